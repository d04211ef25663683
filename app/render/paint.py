"""A solid colour painted through an 8-bit mask: the one way every treatment, plate and glyph
reaches the canvas.

Pillow's `paste(colour, box, mask)` (fill through a mask) and `paste(image, box, mask)` apply the
same 8-bit BLEND to every value, but the fill path is about 2.5x slower (Pillow 13, one core, an
RGB canvas and a 2000x1200 mask: 18 ms against 7 ms; the solid image costs 0.6 ms to make). So
the colour is pasted as an image of that colour: the same pixels (tested), for less. On an RGB
canvas only (the render's); other modes keep Pillow's fill (an RGBA paste blends differently).
"""
from __future__ import annotations

import numpy as np
from PIL import Image


def paint(canvas: Image.Image, color: tuple[int, ...], xy: tuple[int, int], mask: np.ndarray | Image.Image) -> None:
    """Blend `color` into `canvas` through `mask` (8-bit alpha) with its top-left corner at `xy`."""
    m = mask if isinstance(mask, Image.Image) else Image.fromarray(np.ascontiguousarray(mask), "L")
    x, y = xy
    box = (x, y, x + m.width, y + m.height)
    canvas.paste(Image.new("RGB", m.size, color) if canvas.mode == "RGB" else color, box, m)
