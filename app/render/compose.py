"""Compose: marks laid over the reframed art (the kit's logo, plates over baked-in text)."""
from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .geometry import Box, union_of
from .paint import paint
from .safe import padded_faces

#: A baked-in text box larger than this share of the canvas is not plated (it is the art).
MAX_PLATE_SHARE = 0.3


@lru_cache(maxsize=64)
def _logo_image(logo_png: bytes, size: tuple[int, int]) -> Image.Image:
    return Image.open(io.BytesIO(logo_png)).convert("RGBA").resize(size, Image.Resampling.LANCZOS)


def paste_logo(canvas: Image.Image, logo_png: bytes | None, box: Box | None) -> Box | None:
    """Paste the kit's logo (with alpha) into `box` (from safe.logo_for_zone); returns the box."""
    if not logo_png or box is None:
        return None
    logo = _logo_image(logo_png, (box.w, box.h))
    canvas.paste(logo, (box.x, box.y), logo)
    return box


def _on_canvas(b: Box, size: tuple[int, int]) -> Box | None:
    """The part of a box on a canvas of `size`; None when under 2 px of it is."""
    x0, y0 = max(0, b.x), max(0, b.y)
    x1, y1 = min(size[0], b.right), min(size[1], b.bottom)
    return Box(x0, y0, x1 - x0, y1 - y0) if x1 - x0 >= 2 and y1 - y0 >= 2 else None


def on_canvas(boxes: list[Box], size: tuple[int, int]) -> list[Box]:
    """The parts of these boxes a canvas of `size` shows."""
    return [on for on in (_on_canvas(b, size) for b in boxes) if on is not None]


def plate_boxes(text_boxes: list[Box], size: tuple[int, int], faces: list[Box]) -> tuple[list[Box], list[Box]]:
    """Which baked-in text boxes a plate may cover on a canvas of `size`: (plates, left visible).

    A plate keeps a face's clearance; close to a face it shrinks to the text's own box. A box is
    left visible when even that would touch a face (faces are never covered) or when it is so
    large that it is the art itself rather than lettering on it."""
    keep_clear = padded_faces(faces)
    canvas = Box(0, 0, *size)
    cover, visible = [], []
    for b in text_boxes:
        on = _on_canvas(b, size)
        if on is None:
            continue  # not on this canvas
        if not (b.w >= 1.5 * b.h or b.h >= 3 * b.w):
            continue  # not shaped like a line (or a vertical column) of lettering
        plate = _plate_box(on, canvas)
        if any(plate.intersection(f) for f in keep_clear):
            plate = _trimmed_off(on, faces)
        if on.area > MAX_PLATE_SHARE * size[0] * size[1] or plate is None:
            visible.append(on)
        else:
            cover.append(plate)
    return cover, visible


def _trimmed_off(b: Box, faces: list[Box]) -> Box | None:
    """The text box cut back to the edge of each face it grazes (a detector's box pads the
    lettering a little); None when that would cut into the lettering itself (more than 12%)."""
    x0, y0, x1, y1 = b.x, b.y, b.right, b.bottom
    for f in faces:
        if Box(x0, y0, x1 - x0, y1 - y0).intersection(f) == 0:
            continue
        cuts = {"top": f.bottom - y0, "bottom": y1 - f.y, "left": f.right - x0, "right": x1 - f.x}
        side = min(cuts, key=cuts.get)
        if cuts[side] > 0.12 * (b.h if side in ("top", "bottom") else b.w):
            return None
        if side == "top":
            y0 = f.bottom
        elif side == "bottom":
            y1 = f.y
        elif side == "left":
            x0 = f.right
        else:
            x1 = f.x
    return Box(x0, y0, x1 - x0, y1 - y0)


def _plate_box(b: Box, canvas: Box) -> Box:
    return b.grown(max(3, round(b.h * 0.18)), canvas)


def _plate_radius(plates: list[Box]) -> int:
    """The plates' corner softness and shadow blur, px."""
    return max(2, min(min(p.h for p in plates) // 8, 12))


def plate_region(plates: list[Box], size: tuple[int, int]) -> Box:
    """The part of a canvas of `size` that cover_with_plates changes: the plates and their shadow."""
    return union_of(plates).grown(3 * _plate_radius(plates), Box(0, 0, *size))


def cover_with_plates(canvas: Image.Image, plates: list[Box], color: tuple[int, int, int]) -> None:
    """Opaque rounded plates in the kit's colour over baked-in text (in place), edged with a soft
    shadow so they read as a designed element, not a redaction bar."""
    if not plates:
        return
    radius = _plate_radius(plates)
    region_box = plate_region(plates, canvas.size)
    x0, y0, x1, y1 = region_box.x, region_box.y, region_box.right, region_box.bottom
    mask = Image.new("L", (x1 - x0, y1 - y0), 0)
    draw = ImageDraw.Draw(mask)
    for p in plates:
        draw.rounded_rectangle((p.x - x0, p.y - y0, p.right - 1 - x0, p.bottom - 1 - y0),
                               radius=max(2, min(p.w, p.h) // 6), fill=255)
    soft = np.asarray(mask.filter(ImageFilter.GaussianBlur(radius)), np.float32)
    paint(canvas, (0, 0, 0), (x0, y0), (soft * 0.45).astype(np.uint8))  # a soft shadow around the plate
    paint(canvas, color, (x0, y0), mask)  # the plate itself is opaque inside its outline
