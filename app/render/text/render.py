"""Draw a text layout on the canvas: treat the art until every element is legible, draw the
glyphs, and measure (contrast behind the glyphs, ink height, overflow): the report's text section.

Glyph masks and measurements live in a window around the text; the contrast of each ladder step
is measured at the footprint's samples only (treatment.Layers); only the chosen treatment
touches the wider region (the scrim's fade), pasted once over the box where it shows.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from ..geometry import Box, union_of
from ..paint import paint
from . import legibility
from .draw import draw_element
from .model import TextInputs, TextLayout
from .shaping import fonts_used
from .treatment import WINDOW_PAD, Layers, paste_treatment


def text_region(layout: TextLayout, w: int, h: int) -> tuple[Box, Box]:
    """The union of element boxes, and the canvas region a treatment may touch."""
    union = union_of([e.box for e in layout.elements])
    pad = max(8, union.h // 3)
    if layout.zone_name == "bottom":
        reg = Box(0, max(0, union.y - union.h - pad), w, h - max(0, union.y - union.h - pad))
    elif layout.zone_name == "top":
        reg = Box(0, 0, w, min(h, union.bottom + union.h + pad))
    elif layout.zone_name == "left":
        reg = Box(0, 0, min(w, union.right + union.w + pad), h)
    else:
        reg = Box(max(0, union.x - union.w - pad), 0, w - max(0, union.x - union.w - pad), h)
    return union, reg


def scrim_groups(layout: TextLayout, reg: Box, canvas_w: int) -> list[tuple[str, Box, bool]]:
    """One scrim for the horizontal stack (from the zone's edge), one per vertical title column."""
    flat = [e.box for e in layout.elements if not e.vertical]
    groups: list[tuple[str, Box, bool]] = []
    if flat:
        groups.append((layout.zone_name, union_of(flat).shifted(-reg.x, -reg.y), False))
    for e in layout.elements:
        if e.vertical:
            edge = "right" if e.box.x + e.box.w / 2 > canvas_w / 2 else "left"
            groups.append((edge, e.box.shifted(-reg.x, -reg.y), True))
    return groups


def _window(union: Box, reg: Box, size_px: int) -> Box:
    """The text's window: its boxes padded (the plate's margin and soft edge), inside the region."""
    return union.grown(max(8, math.ceil(size_px * WINDOW_PAD)), reg)


@dataclass(frozen=True)
class Ink:
    """One element's glyph coverage, cut to the box its footprint can reach (window pixels): the
    ink's box grown by legibility.footprint_reach + 1, inside the window. Outside it the
    coverage is 0 and no pixel is within the footprint's reach of a glyph, so measuring on the
    cut gives what measuring on the whole window gave."""
    ink: Box | None        # the box holding the ink; None when the element drew nothing
    box: Box
    mask: np.ndarray       # coverage over `box`

    def sample_index(self, size_px: int, win_w: int) -> np.ndarray:
        """legibility.sample_index of this element's footprint, as flat indices into the window."""
        if self.ink is None:
            return np.zeros(0, np.intp)
        local = legibility.sample_index(legibility.footprint(self.mask, size_px), size_px,
                                        offset=(self.box.x, self.box.y))
        r, c = np.divmod(local, self.box.w)
        return (r + self.box.y) * win_w + c + self.box.x


def _glyph_masks(layout: TextLayout, win: Box) -> tuple[list[Ink], np.ndarray]:
    """Each element's glyph coverage (cut to its ink), and all of them over the window."""
    inks, frame = [], Box(0, 0, win.w, win.h)
    mask_all = np.zeros((win.h, win.w), np.uint8)
    for e in layout.elements:
        m = Image.new("L", (win.w, win.h), 0)
        draw_element(ImageDraw.Draw(m), layout, e, win.x, win.y, 255)
        bbox = m.getbbox()
        if not bbox:
            inks.append(Ink(None, Box(0, 0, 0, 0), np.zeros((0, 0), np.uint8)))
            continue
        ink = Box(bbox[0], bbox[1], bbox[2] - bbox[0], bbox[3] - bbox[1])
        box = ink.grown(legibility.footprint_reach(e.plan.size) + 1, frame)
        cut = np.asarray(m.crop((box.x, box.y, box.right, box.bottom)))
        np.maximum(mask_all[box.y:box.bottom, box.x:box.right], cut, out=mask_all[box.y:box.bottom, box.x:box.right])
        inks.append(Ink(ink, box, cut))
    return inks, mask_all


def _paste_glyphs(canvas: Image.Image, mask_all: np.ndarray, win: Box, inked: list[Box], color) -> None:
    """Paste the text colour through the glyph mask over the boxes that hold ink only (a
    mask value of 0 leaves a pixel as it is, so the pixels are those of one paste over the
    window; the gaps between title, tagline and badge are not walked). Overlapping boxes are
    joined first: a pixel is never blended twice."""
    boxes: list[Box] = []
    for b in inked:
        while (hit := next((o for o in boxes if o.intersection(b)), None)) is not None:
            boxes.remove(hit)
            b = b.union(hit)
        boxes.append(b)
    for b in boxes:
        paint(canvas, color, (win.x + b.x, win.y + b.y), mask_all[b.y:b.bottom, b.x:b.right])


def _choose(layers: Layers, t: TextInputs, art_w: np.ndarray, inks: list[Ink], sizes: list[int],
            targets: list[float], treat_color: tuple[int, int, int]) -> tuple[legibility.Step, list[float]]:
    """The first ladder step at which every element meets its target (else the last), and the
    contrasts there; measured on a grid of each footprint (legibility.sample_index). A step is
    given up at its first failing element (the one that failed last time is measured first):
    only the chosen step's contrasts are reported, and they are all measured."""
    idx = [ink.sample_index(s, layers.win.w) for ink, s in zip(inks, sizes)]
    art_px = [np.ascontiguousarray(art_w.reshape(-1, 3)[i].T, dtype=np.float32) for i in idx]  # (3, n)
    points = [layers.samples(i) for i in idx]
    ladder = legibility.LADDERS.get(t.treatment, legibility.LADDERS["scrim"])
    order = list(range(len(idx)))

    def contrast(step: legibility.Step, k: int) -> float:
        return legibility.blended_contrast(art_px[k], layers.alpha(step, points[k]), treat_color, t.text_color)

    for step in ladder[:-1]:
        contrasts: dict[int, float] = {}
        for k in order:
            contrasts[k] = contrast(step, k)
            if contrasts[k] < targets[k]:
                order.remove(k)
                order.insert(0, k)
                break
        else:
            return step, [contrasts[k] for k in range(len(idx))]
    return ladder[-1], [contrast(ladder[-1], k) for k in range(len(idx))]


def render_text(canvas: Image.Image, layout: TextLayout, t: TextInputs) -> dict:
    """Treat the art until every element is legible, draw, and measure: the report's text section."""
    w, h = canvas.size
    union, reg = text_region(layout, w, h)
    sizes = [e.plan.size for e in layout.elements]
    win = _window(union, reg, sizes[0])
    inks, mask_all = _glyph_masks(layout, win)
    art_w = np.asarray(canvas.crop((win.x, win.y, win.right, win.bottom)))
    layout.window, layout.art_window = win, art_w
    text_lum = float(legibility.luminance(np.array(t.text_color)))
    treat_color = t.scrim_color if text_lum > 0.4 else (250, 250, 250)
    targets = [max(t.contrast_target, legibility.wcag_threshold(s)) for s in sizes]
    layers = Layers(reg, win, scrim_groups(layout, reg, w), [e.box.shifted(-reg.x, -reg.y) for e in layout.elements],
                    mask_all, sizes[0], legibility.keep_off(layout.protect, reg))
    chosen, contrasts = _choose(layers, t, art_w, inks, sizes, targets, treat_color)
    if chosen.scrim or chosen.plate or chosen.shadow:
        paste_treatment(canvas, layers, *layers.treatment_mask(chosen), treat_color)
    _paste_glyphs(canvas, mask_all, win, [i.ink for i in inks if i.ink], t.text_color)
    return _report(layout, chosen, contrasts, targets, sizes)


def _report(layout: TextLayout, chosen: legibility.Step | None, contrasts: list[float], targets: list[float],
            sizes: list[int]) -> dict:
    elements = []
    for e, c, tg in zip(layout.elements, contrasts, targets):
        p = e.plan
        item = {"role": e.role, "text": e.text, "box": e.box.as_list(), "size_px": p.size,
                "text_height_px": p.text_height, "fits": p.fits,
                "contrast": round(c, 2) if math.isfinite(c) else None,
                "contrast_required": legibility.wcag_threshold(p.size), "contrast_target": tg,
                "fonts": fonts_used(layout.shaper, e.text)}
        if e.vertical:
            item.update({"lines": list(p.columns), "vertical": True, "overflow_px": 0 if p.fits else None})
        else:
            rows = [e.extra["rating"]] if e.extra.get("rows", 1) > 1 else []   # a badge's rating over its copy line
            item.update({"lines": rows + list(p.lines), "overflow_px": p.overflow_px, "min_size_px": p.min_size})
        elements.append(item)
    finite = [c for c in contrasts if math.isfinite(c)]
    return {"treatment": chosen.name if chosen else "none",
            "treatment_levels": {"scrim": chosen.scrim, "shadow": chosen.shadow, "plate": chosen.plate} if chosen else {},
            "elements": elements,
            "min_contrast": round(min(finite), 2) if finite else None,
            "legible": all(c >= legibility.wcag_threshold(s) for c, s in zip(contrasts, sizes)),
            "min_text_height_px": min(e["text_height_px"] for e in elements)}
