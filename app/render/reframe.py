"""Reframe a key art to a format's aspect ratio, keeping every face whole.

Crop when a window at the target ratio can hold all faces with headroom; otherwise fit the
source inside the canvas and extend it (a classical blur extension here; the generator
backends replace that step with generative expand).
"""
from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageFilter

from .geometry import Box

# Space kept around the union of faces, as a fraction of the face height.
HEADROOM = 0.6
SIDE_ROOM = 0.35


@dataclass(frozen=True)
class Reframe:
    mode: str            # "crop" or "expand"
    crop: Box            # window in source pixels (whole source for "expand")
    placement: Box | None = None  # where the source lands on the canvas, for "expand"


def _clamp(v: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, v))


def _subject_box(faces: tuple[Box, ...] | list[Box]) -> Box | None:
    if not faces:
        return None
    u = faces[0]
    for f in faces[1:]:
        u = u.union(f)
    fh = max(f.h for f in faces)
    pad_x, pad_top, pad_bottom = round(fh * SIDE_ROOM), round(fh * HEADROOM), round(fh * 0.4)
    return Box(u.x - pad_x, u.y - pad_top, u.w + 2 * pad_x, u.h + pad_top + pad_bottom)


def plan_reframe(width: int, height: int, faces: tuple[Box, ...] | list[Box], aspect: float) -> Reframe:
    """Choose the largest window at `aspect` that keeps the faces (with headroom) inside."""
    if width / height > aspect:
        cw, ch = round(height * aspect), height
    else:
        cw, ch = width, round(width / aspect)
    cw, ch = min(cw, width), min(ch, height)
    subject = _subject_box(faces)
    if subject is None:
        # No faces: centre horizontally, keep the upper part vertically (titles sit low).
        x = (width - cw) // 2
        y = round((height - ch) * 0.35)
        return Reframe("crop", Box(x, y, cw, ch))
    core = faces[0]
    for f in faces[1:]:
        core = core.union(f)
    if core.w > cw or core.h > ch:
        return Reframe("expand", Box(0, 0, width, height))
    # Centre the window on the subject, faces in the upper part of the frame.
    cx = subject.x + subject.w / 2
    cy = subject.y + subject.h / 2
    x = _clamp(cx - cw / 2, 0, width - cw)
    y = _clamp(cy - ch * 0.42, 0, height - ch)
    # Pull the window so the face core (without headroom) is always inside.
    x = _clamp(x, core.right - cw, core.x)
    y = _clamp(y, core.bottom - ch, core.y)
    return Reframe("crop", Box(round(x), round(y), cw, ch))


def expand_classical(source: Image.Image, size: tuple[int, int]) -> tuple[Image.Image, Box]:
    """Fit the whole source in `size` and fill the rest with a blurred, enlarged copy."""
    tw, th = size
    scale = min(tw / source.width, th / source.height)
    pw, ph = max(1, round(source.width * scale)), max(1, round(source.height * scale))
    cover = max(tw / source.width, th / source.height)
    bg = source.resize((max(1, round(source.width * cover)), max(1, round(source.height * cover))),
                       Image.Resampling.BILINEAR)
    bx, by = (bg.width - tw) // 2, (bg.height - th) // 2
    bg = bg.crop((bx, by, bx + tw, by + th)).filter(ImageFilter.GaussianBlur(radius=max(8, tw // 60)))
    placement = Box((tw - pw) // 2, (th - ph) // 2, pw, ph)
    bg.paste(source.resize((pw, ph), Image.Resampling.LANCZOS), (placement.x, placement.y))
    return bg, placement


def apply_reframe(source: Image.Image, plan: Reframe, size: tuple[int, int]) -> tuple[Image.Image, float, Box]:
    """Return the canvas at `size`, the source->canvas scale and the canvas offset of source (0,0)."""
    if plan.mode == "expand":
        canvas, placement = expand_classical(source, size)
        scale = placement.w / source.width
        return canvas, scale, Box(placement.x, placement.y, 0, 0)
    c = plan.crop
    out = source.resize(size, Image.Resampling.LANCZOS, box=(c.x, c.y, c.right, c.bottom),
                        reducing_gap=3.0)
    scale = size[0] / c.w
    return out, scale, Box(round(-c.x * scale), round(-c.y * scale), 0, 0)


def faces_on_canvas(faces: tuple[Box, ...] | list[Box], scale: float, offset: Box) -> list[Box]:
    return [f.scaled(scale).shifted(offset.x, offset.y) for f in faces]
