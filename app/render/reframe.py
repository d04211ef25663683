"""Reframe a key art to a format's aspect ratio, keeping every face whole.

Crop when a window at the target ratio holds every face with its headroom; among such
windows take the one with the most saliency. When none does, expand: take the widest (or
tallest) window that still holds the subjects, place it on the canvas and let a generator
fill the rest. Generated canvas is the last resort: when that expand would generate more than
`max_generated` of the canvas, a crop that holds every face with less room around it (never
below MIN_ROOM of it, so faces stay whole) is taken instead; failing that, the largest room
whose expand stays under `max_generated`; failing that, the full expand (the report flags it).
The generator is passed in (`expander`), so this module stays pure; without one, the classical
extension (app.render.extension) fills the canvas in the brand kit's extension style.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .canvas_placement import cut_sides, expand_placement
from .extension import Expander, classical_expander
from .geometry import Box, union_of
from .kit import DEFAULT_EXTENSION

# Space kept around the union of faces, as a fraction of the face height.
HEADROOM = 0.6
SIDE_ROOM = 0.35
FOOTROOM = 0.4
#: The least of that room a reframe may keep to avoid a mostly generated canvas.
MIN_ROOM = 0.15
#: Share of generated canvas above which a smaller room is tried first (a kit may set its own).
MAX_GENERATED = 0.35

@dataclass(frozen=True)
class Reframe:
    mode: str            # "crop" or "expand"
    crop: Box            # window in source pixels (for "expand": the part of the source placed)
    anchor: str | None = None     # a reviewer's crop anchor, also used by expand_placement
    room: float = 1.0             # the share of HEADROOM/SIDE_ROOM/FOOTROOM kept around the faces
    pin: tuple[str, ...] = ()     # for "expand": sides where a face meets the art's frame (cut_sides)


@dataclass
class Framed:
    canvas: Image.Image
    scale: float                  # source px -> canvas px
    offset: Box                   # canvas position of source (0, 0)
    placement: Box | None = None  # where the source window lies on the canvas, for "expand"
    provenance: dict = field(default_factory=dict)


def _clamp(v: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, v))


def _subject_box(faces: tuple[Box, ...] | list[Box], room: float = 1.0) -> Box | None:
    if not faces:
        return None
    u = union_of(list(faces))
    fh = max(f.h for f in faces) * room
    pad_x, pad_top, pad_bottom = round(fh * SIDE_ROOM), round(fh * HEADROOM), round(fh * FOOTROOM)
    return Box(u.x - pad_x, u.y - pad_top, u.w + 2 * pad_x, u.h + pad_top + pad_bottom)


def _clip(b: Box, width: int, height: int) -> Box:
    x0, y0 = max(0, b.x), max(0, b.y)
    x1, y1 = min(width, b.right), min(height, b.bottom)
    return Box(x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def _best_offset(profile: np.ndarray, length: int, lo: int, hi: int, prefer: float) -> int:
    """Start of the window of `length` along a 1-D saliency profile with the most mass, within
    [lo, hi]; ties (and flat maps) go to the start closest to `prefer`."""
    if hi <= lo:
        return lo
    csum = np.concatenate([[0.0], np.cumsum(profile)])
    starts = np.arange(lo, hi + 1)
    mass = csum[starts + length] - csum[starts]
    total = max(float(csum[-1]), 1e-6)
    score = mass / total - 0.02 * np.abs(starts - prefer) / max(1, len(profile))
    return int(starts[int(np.argmax(score))])


#: Crop anchors a re-render may ask for: which side of the art the window leans to.
ANCHORS = ("center", "left", "right", "top", "bottom")


def _anchored(lo: float, hi: float, centre: float, axis: str, anchor: str | None) -> float | None:
    """The window start along one axis for an anchor, within [lo, hi]; None = not asked on this axis."""
    if anchor is None or hi < lo:
        return None
    if anchor == "center":
        return _clamp(centre, lo, hi)
    if (axis, anchor) in (("x", "left"), ("y", "top")):
        return lo
    if (axis, anchor) in (("x", "right"), ("y", "bottom")):
        return hi
    return None


def plan_reframe(width: int, height: int, faces: tuple[Box, ...] | list[Box], aspect: float,
                 saliency: object | None = None, anchor: str | None = None,
                 max_generated: float = MAX_GENERATED, lettering: tuple[Box, ...] | list[Box] = ()) -> Reframe:
    """The window at `aspect` that keeps the faces (with headroom) and the most saliency, or an
    expand plan when no such window exists. `saliency` is an analyze.SaliencyMap or None.
    An expand generating more than `max_generated` of the canvas is avoided by keeping less
    room around the faces (down to MIN_ROOM): a crop when one then holds them, else a smaller expand.

    `anchor` (ANCHORS) is a reviewer's request from a re-render: the window goes as far to that
    side as the faces allow ("center": centred on the art), instead of where saliency pulls it.
    Faces stay whole whatever the anchor says.

    `lettering` is the text printed in the art (analysis.text_boxes): the render removes or
    plates it, so its saliency (white letters on a dark sky are the most unexpected thing in
    many posters) does not pull the window; a title at the top otherwise took a banner to the
    top of the art and cut the subject below in half."""
    if anchor is not None and anchor not in ANCHORS:
        raise ValueError(f"crop anchor {anchor!r} is not one of {', '.join(ANCHORS)}")
    if width / height > aspect:
        cw, ch = round(height * aspect), height
    else:
        cw, ch = width, round(width / aspect)
    cw, ch = min(cw, width), min(ch, height)
    sal = saliency.resized(width, height, tuple(lettering)) if saliency is not None else None
    subject = _subject_box(faces)
    if subject is None:
        # No faces: the window with the most saliency; without a map, centred, upper part kept.
        x, y = (width - cw) // 2, round((height - ch) * 0.35)
        if sal is not None:
            x = _best_offset(sal.sum(axis=0), cw, 0, width - cw, x)
            y = _best_offset(sal.sum(axis=1), ch, 0, height - ch, y)
        ax = _anchored(0, width - cw, (width - cw) / 2, "x", anchor)
        ay = _anchored(0, height - ch, (height - ch) / 2, "y", anchor)
        x, y = (x if ax is None else round(ax)), (y if ay is None else round(ay))
        return Reframe("crop", Box(x, y, cw, ch), anchor)
    first = _room_plan(width, height, cw, ch, faces, aspect, sal, anchor, 1.0)
    if first.mode == "crop" or expand_share(first.crop, aspect) <= max_generated:
        return first
    # Expanding would generate most of the canvas. A crop that keeps every face whole, with
    # less room around them, comes first; then a smaller expand; else all the room (flagged).
    tried = [_room_plan(width, height, cw, ch, faces, aspect, sal, anchor, room) for room in _rooms()[1:]]
    crop = next((r for r in tried if r.mode == "crop"), None)
    small = next((r for r in tried if expand_share(r.crop, aspect) <= max_generated), None)
    return crop or small or first


def _room_plan(width: int, height: int, cw: int, ch: int, faces, aspect: float, sal: np.ndarray | None,
               anchor: str | None, room: float) -> Reframe:
    """Crop if a cw x ch window holds the faces with `room` of their room, else the expand window."""
    subject = _subject_box(faces, room)
    need = _clip(subject, width, height)  # headroom that would lie outside the art cannot be asked for
    if need.w <= cw and need.h <= ch:
        return _crop_plan(width, height, cw, ch, faces, subject, need, sal, anchor, room)
    window = _expand_window(width, height, need, aspect, anchor)
    return Reframe("expand", window, anchor, room, cut_sides(window, faces, width, height))


def _rooms() -> list[float]:
    """The room fractions tried, from all of it down to MIN_ROOM."""
    steps = round((1.0 - MIN_ROOM) / 0.05)
    return [round(1.0 - i * (1.0 - MIN_ROOM) / steps, 4) for i in range(steps + 1)]


def expand_share(window: Box, aspect: float) -> float:
    """The share of a canvas at `aspect` an expand of `window` generates (the window fitted inside)."""
    wa = window.w / window.h
    return 1.0 - min(wa, aspect) / max(wa, aspect)


def _crop_plan(width: int, height: int, cw: int, ch: int, faces, subject: Box, need: Box,
               sal: np.ndarray | None, anchor: str | None, room: float) -> Reframe:
    """The cw x ch window holding `need` (faces and their room) with the most saliency."""
    core = union_of(list(faces))
    # Windows holding the subject with headroom; faces sit in the upper part of the frame.
    cx, cy = subject.x + subject.w / 2, subject.y + subject.h / 2
    x_lo, x_hi = max(0, need.right - cw), min(width - cw, need.x)
    y_lo, y_hi = max(0, need.bottom - ch), min(height - ch, need.y)
    x = _clamp(round(cx - cw / 2), x_lo, x_hi)
    y = _clamp(round(cy - ch * 0.42), y_lo, y_hi)
    if sal is not None:
        x = _best_offset(sal.sum(axis=0), cw, int(x_lo), int(x_hi), x)
        y = _best_offset(sal.sum(axis=1), ch, int(y_lo), int(y_hi), y)
    ax = _anchored(x_lo, x_hi, (width - cw) / 2, "x", anchor)
    ay = _anchored(y_lo, y_hi, (height - ch) / 2, "y", anchor)
    x, y = (x if ax is None else ax), (y if ay is None else ay)
    # The face core (without headroom) is inside whatever the saliency (or anchor) said.
    x = _clamp(x, core.right - cw, core.x)
    y = _clamp(y, core.bottom - ch, core.y)
    return Reframe("crop", Box(round(x), round(y), cw, ch), anchor, room)


def _expand_window(width: int, height: int, need: Box, aspect: float, anchor: str | None = None) -> Box:
    """The largest window with the subject that is no wider (or taller) than the source allows,
    so as little as possible is generated."""
    if width / height < aspect:   # target wider than the art: keep full width, trim height
        h = min(height, max(need.h, round(width / aspect)))
        lo, hi = max(0, need.bottom - h), min(height - h, need.y)
        y = _anchored(lo, hi, (height - h) / 2, "y", anchor)
        y = round(_clamp(need.y - (h - need.h) * 0.3, 0, height - h) if y is None else y)
        return Box(0, y, width, h)
    w = min(width, max(need.w, round(height * aspect)))
    lo, hi = max(0, need.right - w), min(width - w, need.x)
    x = _anchored(lo, hi, (width - w) / 2, "x", anchor)
    x = round(_clamp(need.x + need.w / 2 - w / 2, 0, width - w) if x is None else x)
    return Box(x, 0, w, height)


def plan_placement(plan: Reframe, size: tuple[int, int]) -> Box:
    """Where an expand plan's window lands on a canvas of `size` (expand_placement)."""
    return expand_placement(plan.crop, size, plan.anchor, plan.pin)


def placed_window(source: Image.Image, window: Box, placement: Box) -> Image.Image:
    """The source window resampled to the placement size: the exact pixels the canvas keeps."""
    return source.resize((placement.w, placement.h), Image.Resampling.LANCZOS,
                         box=(window.x, window.y, window.right, window.bottom), reducing_gap=3.0)


def reframe_canvas(source: Image.Image, plan: Reframe, size: tuple[int, int],
                   expander: Expander | None = None, extension: str = DEFAULT_EXTENSION,
                   placement: Box | None = None) -> Framed:
    """The canvas at `size` for a plan; an expand plan's new area comes from `expander`, or
    without one from the classical backend in the `extension` style. `placement` overrides
    where an expand plan's window lies (make_room_placement)."""
    c = plan.crop
    if plan.mode == "expand":
        placement = placement or plan_placement(plan, size)
        expand = expander or classical_expander(extension)
        canvas, prov = expand(placed_window(source, c, placement), size, placement)
        if canvas.size != tuple(size):
            raise ValueError(f"expander returned {canvas.size}, expected {tuple(size)}")
        scale = placement.w / c.w
        return Framed(canvas.convert("RGB"), scale,
                      Box(round(placement.x - c.x * scale), round(placement.y - c.y * scale), 0, 0), placement, prov)
    out = source.resize(size, Image.Resampling.LANCZOS, box=(c.x, c.y, c.right, c.bottom), reducing_gap=3.0)
    scale = size[0] / c.w
    return Framed(out, scale, Box(round(-c.x * scale), round(-c.y * scale), 0, 0))


def faces_on_canvas(faces: tuple[Box, ...] | list[Box], scale: float, offset: Box) -> list[Box]:
    return [f.scaled(scale).shifted(offset.x, offset.y) for f in faces]


def generated_touches(boxes: list[Box], placement: Box | None, size: tuple[int, int], margin: int = 2) -> list[Box]:
    """Boxes (on the canvas) that reach into, or within `margin` px of, the generated area."""
    if placement is None:
        return []
    w, h = size
    inner = Box(placement.x + (margin if placement.x > 0 else 0),
                placement.y + (margin if placement.y > 0 else 0), 0, 0)
    right = placement.right - (margin if placement.right < w else 0)
    bottom = placement.bottom - (margin if placement.bottom < h else 0)
    inner = Box(inner.x, inner.y, right - inner.x, bottom - inner.y)
    return [b for b in boxes if not inner.contains(b)]
