"""Take baked-in lettering out of the art: find its strokes inside the detector's box and paint
them over from the art around them (OpenCV's Telea inpainting).

Why: a title printed in the key art has to go from every localized variant. An opaque plate in
the kit's colour hid it, but read as a redaction bar across the photograph (a black slab over a
wooden table). Lettering is thin strokes of one tone on a background; once the strokes are
known, the pixels around them are enough to fill them in, and the art reads as the art.

It is done once per key art, on the art itself, before any reframe (cleaned_art): every format's
crop and every extension then starts from art without the title (an extension made from the
art with its title carried ghosts of the letters into the generated canvas), and a box is
painted out once instead of once per variant. Lettering that cannot be painted out (it nears a
face, or is not one colour) is left to each variant's plates, as before.

The strokes are the colour cluster of the box its border holds least (stroke_mask), grown by a
few pixels. When no cluster stands apart from its border, or the strokes would cover most of
the box, the lettering is not one colour on a background (a block of text on a busy photograph,
a logo): the box keeps the plate (compose.cover_with_plates).
"""
from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from weakref import ref

import cv2
import numpy as np
from PIL import Image

from .compose import plate_boxes, plate_region
from .geometry import Box

#: Strokes may cover at most this share of the plate's box; more and the plate is kept.
MAX_STROKE_SHARE = 0.7
#: The letters' colour differs from the others of the box by at least this (RGB distance).
MIN_STROKE_CONTRAST = 40
#: A shadow or outline beside the strokes stands out from its surroundings by this much grey.
SHADE_CONTRAST = 13
#: Colour clusters of a box: the letters, and up to two tones of what is behind them.
CLUSTERS = 3
#: Strokes are found and filled where the box is at most this tall (see remove_lettering).
WORK_HEIGHT = 64


def stroke_mask(region: np.ndarray) -> np.ndarray | None:
    """The lettering's strokes in an RGB region (uint8 mask, 255 on strokes, grown), or None
    when the region does not hold lettering of one colour on a background.

    Lettering is printed in one colour, and that colour is not what surrounds the title: of
    three colour clusters of the box (k-means), the letters are the one the box's border holds
    least (the border is background). Colour, not grey, because yellow letters on a light grey
    wall have the wall's grey. Thin structures of either tone right beside the strokes (a drop
    shadow, an outline) join them, and the mask is grown by a few pixels for anti-aliasing."""
    h, w = region.shape[:2]
    if min(h, w) < 4:
        return None
    px = region.reshape(-1, 3).astype(np.float32)
    cv2.setRNGSeed(0)  # the same strokes every time: a canvas shared across locales is made once
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)
    _, labels, centres = cv2.kmeans(px, CLUSTERS, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    labels = labels.reshape(h, w)
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    on_border = np.bincount(border, minlength=CLUSTERS) / len(border)
    inside = np.bincount(labels.ravel(), minlength=CLUSTERS) / labels.size
    candidates = [c for c in range(CLUSTERS) if inside[c] >= 0.04]
    if not candidates:
        return None
    letter = min(candidates, key=lambda c: on_border[c] / inside[c])
    others = [c for c in range(CLUSTERS) if c != letter]
    if min(float(np.linalg.norm(centres[letter] - centres[c])) for c in others) < MIN_STROKE_CONTRAST:
        return None
    strokes = (labels == letter).astype(np.uint8) * 255
    share = float(strokes.mean()) / 255
    if on_border[letter] > 0.2 or not 0 < share <= MAX_STROKE_SHARE:
        return None
    grey = cv2.cvtColor(region, cv2.COLOR_RGB2GRAY)
    k = max(5, round(min(h, w) * 0.45)) | 1       # wider than a stroke, narrower than the art's shapes
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    grow = max(2, round(min(h, w) * 0.05))
    ring = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    # a shadow or outline: thin structures of either tone right beside the strokes (a dark
    # shadow under white letters, a soft grey one under dark letters)
    shade = np.maximum(cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, kernel), cv2.morphologyEx(grey, cv2.MORPH_TOPHAT, kernel))
    beside = cv2.dilate(strokes, ring, iterations=2)
    strokes[(shade >= SHADE_CONTRAST) & (beside > 0)] = 255
    return cv2.dilate(strokes, ring)


def marked_region(boxes: list[Box], size: tuple[int, int]) -> Box:
    """The part of a canvas of `size` that remove_lettering and compose.cover_with_plates may
    change for these boxes: each box's context (remove_lettering pastes inside it) and the
    plates with their shadow."""
    u = plate_region(boxes, size)
    for b in boxes:
        u = u.union(_context(b, size))
    return u


def _context(b: Box, size: tuple[int, int]) -> Box:
    """A box and the art around it that a fill reads from (half its height, at least 4 px)."""
    return b.grown(max(4, b.h // 2), Box(0, 0, *size))


def remove_lettering(canvas: Image.Image, boxes: list[Box]) -> list[Box]:
    """Paint the lettering out of each box of the canvas (in place); returns the boxes where
    it could not be told from its background (the caller plates those).

    The strokes are found and filled on a copy where the box is at most WORK_HEIGHT px tall
    (inpainting costs grow with the square of the size; a poster-wide title took minutes at
    full size), and the fill is pasted back through the strokes' mask at full size."""
    kept = []
    for b in boxes:
        c = _context(b, canvas.size)
        x0, y0 = c.x, c.y
        region = np.asarray(canvas.crop((c.x, c.y, c.right, c.bottom)))
        s = min(1.0, WORK_HEIGHT / b.h)
        small = region if s == 1 else cv2.resize(region, (max(1, round(region.shape[1] * s)),
                                                          max(1, round(region.shape[0] * s))),
                                                 interpolation=cv2.INTER_AREA)
        bx0, by0 = round((b.x - x0) * s), round((b.y - y0) * s)
        bx1, by1 = round((b.right - x0) * s), round((b.bottom - y0) * s)
        strokes = stroke_mask(np.ascontiguousarray(small[by0:by1, bx0:bx1]))
        if strokes is None:
            kept.append(b)
            continue
        mask = np.zeros(small.shape[:2], np.uint8)
        mask[by0:by1, bx0:bx1] = strokes
        filled = cv2.inpaint(small, mask, 3, cv2.INPAINT_TELEA)
        if s != 1:
            size = (region.shape[1], region.shape[0])
            filled = cv2.resize(filled, size, interpolation=cv2.INTER_LINEAR)
            # every full-size pixel the strokes' mask touches at all, so no edge of a letter stays
            mask = cv2.dilate((cv2.resize(mask, size, interpolation=cv2.INTER_LINEAR) > 0).astype(np.uint8) * 255,
                              np.ones((3, 3), np.uint8))
        canvas.paste(Image.fromarray(filled), (x0, y0), Image.fromarray(mask))
    return kept


#: The key art's metadata key that records what was painted out of it (shared canvases are keyed by it).
REMOVED_INFO = "marquee_baked_text_removed"
_CLEANED: OrderedDict[int, tuple] = OrderedDict()
_CLEANED_LOCK = Lock()
_CLEANED_SIZE = 1   # a 24 MP art is 72 MB: one key art at a time (a render job has one)


def clean_art(source: Image.Image, text_boxes: tuple[Box, ...], faces: tuple[Box, ...]
              ) -> tuple[Image.Image, tuple[Box, ...]]:
    """The key art with the lettering of each text box painted out (a copy; the source itself
    when there is nothing to remove) and the text boxes removed. A box is removed only where a
    plate could have covered it (compose.plate_boxes on the art: never near a face, never a box
    that is the art itself) and its strokes are found (remove_lettering)."""
    removed, cleaned = [], None
    for t in text_boxes:
        cover, _ = plate_boxes([t], source.size, list(faces))
        if not cover:
            continue
        cleaned = cleaned if cleaned is not None else source.convert("RGB")  # a copy, whatever the mode
        if not remove_lettering(cleaned, cover):
            removed.append(t)
    if not removed:
        return source, ()
    cleaned.info[REMOVED_INFO] = ";".join(",".join(map(str, b.as_list())) for b in removed)
    return cleaned, tuple(removed)


def cleaned_art(source: Image.Image, text_boxes: tuple[Box, ...], faces: tuple[Box, ...]
                ) -> tuple[Image.Image, tuple[Box, ...]]:
    """clean_art, made once per key art in this process: every variant of a render job (and
    the GPU job's placed window) asks for the same source and analysis. The last one is kept;
    an entry serves only the very image object it was made from."""
    if not text_boxes:
        return source, ()
    want = (tuple(text_boxes), tuple(faces))
    with _CLEANED_LOCK:
        hit = _CLEANED.get(id(source))
        if hit is not None and hit[0]() is source and hit[1] == want:
            _CLEANED.move_to_end(id(source))
            return hit[2], hit[3]
    cleaned, removed = clean_art(source, *want)
    with _CLEANED_LOCK:
        _CLEANED[id(source)] = (ref(source), want, cleaned, removed)
        while len(_CLEANED) > _CLEANED_SIZE:
            _CLEANED.popitem(last=False)
    return cleaned, removed
