"""Canvas extension without a model: the expander the render uses when no generator is passed.

An expand plan places the art on a larger canvas; something must fill the rest. A generator
backend (app.generate) may be handed in as the `expander`; without one the render fills it
here, in-process, in the brand kit's extension style (extension_fill), and records the same
provenance app.generate's classical backend records for the same work.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np
from PIL import Image, ImageFilter

from .extension_fill import SEAM_REACH, graded_blur, match_edges, mirror_extend, soft_extend
from .geometry import Box
from .kit import DEFAULT_EXTENSION, EXTENSION_STYLES
from .provenance import record

#: expander(image at placement size, canvas (w, h), placement) -> (canvas image, provenance dict)
Expander = Callable[[Image.Image, tuple[int, int], Box], tuple[Image.Image, dict]]

#: The backend name the provenance of a model-free extension carries.
CLASSICAL = "classical"


def extend_canvas(image: Image.Image, canvas: tuple[int, int], placement: Box, style: str = DEFAULT_EXTENSION,
                  seed: int = 0) -> tuple[Image.Image, str]:
    """`image` placed at `placement` on a canvas of size `canvas`, the rest filled in `style`;
    with the method's name for the provenance. The placed pixels are the image's, byte for
    byte (resized only when its size differs from the placement's)."""
    if style not in EXTENSION_STYLES:
        raise ValueError(f"extension style {style!r} is not one of {', '.join(EXTENSION_STYLES)}")
    w, h = canvas
    p = placement
    if p.w <= 0 or p.h <= 0 or p.x < 0 or p.y < 0 or p.right > w or p.bottom > h:
        raise ValueError(f"placement {p.as_list()} does not lie inside the canvas {w}x{h}")
    placed = image.convert("RGB")
    if placed.size != (p.w, p.h):
        placed = placed.resize((p.w, p.h), Image.Resampling.LANCZOS)
    if (p.w, p.h) == (w, h):
        return placed, "none (nothing to extend)"
    art = np.asarray(placed)
    if style == "mirror":
        new_area = np.ones((h, w), bool)
        new_area[p.y:p.bottom, p.x:p.right] = False
        filled = graded_blur(mirror_extend(art, (w, h), p), new_area)
        method = "mirror+graded-blur"
    else:
        filled = soft_extend(placed, (w, h), p, style, seed)
        match_edges(filled, art, p, max(1.5, min(w, h) * SEAM_REACH))
        method = "blur-backdrop+feather" if style == "blur_backdrop" else "palette-gradient+feather"
    filled[p.y:p.bottom, p.x:p.right] = art
    return Image.fromarray(filled, "RGB"), method


def classical_expander(style: str = DEFAULT_EXTENSION) -> Expander:
    """The in-process extension in `style` (a kit's reframe.extension), as an Expander."""

    def expand(image: Image.Image, size: tuple[int, int], placement: Box) -> tuple[Image.Image, dict]:
        t0 = time.perf_counter()
        canvas, method = extend_canvas(image, size, placement, style)
        return canvas, record(CLASSICAL, "expand", seed=0, prompt="", started=t0, method=method, style=style)

    return expand


def expand_classical(source: Image.Image, size: tuple[int, int]) -> tuple[Image.Image, Box]:
    """Fit the whole source in `size` and fill the rest with a blurred, enlarged copy.

    Kept for the sample key art (a simple, fast backdrop); reframing uses classical_expander."""
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
