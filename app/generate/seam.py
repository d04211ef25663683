"""The CPU side of a generative expand, done only where it shows.

An expand keeps the art's pixels, generates the rest at the model's size, upscales it and
blends it in with a feather that is 0 at the art's edge and 1 a few percent into the new
area. Two observations keep this cheap beside the GPU's denoising:

- At strength 1 the inpainting model never sees the new area of its init image (the masked
  image is blanked there and the latents start from noise), so the init image is the art
  reflected outwards at generation size, not a graded blur at full canvas size.
- The feather's blend partner (the art reflected outwards, crisp at the seam and softer with
  distance) matters only inside the feather band, so it is computed on strips along the
  art's sides, never on the whole canvas.

Pure numpy + OpenCV: no torch, no Flask. The upscale itself happens where the pixels are
(the diffusers backend does it on the GPU).
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from ..render.extension_fill import box_distance, soft_blur
from ..render.geometry import Box

#: The graded blur's schedule in units of the canvas's short side / 40: (sigma, reach), the
#: reach being the distance from the art at which that blur has fully taken over.
_LEVELS = ((0.5, 1.0), (1.5, 4.0), (4.0, 10.0), (10.0, 24.0))
#: Far from the art the reflection darkens by up to this much (it must never outshine the art).
_FADE = 0.25


def reflect_index(idx: np.ndarray, n: int) -> np.ndarray:
    """Indices into an axis of length n, reflected as numpy's 'symmetric' padding does."""
    period = np.mod(idx, 2 * n)
    return np.where(period < n, period, 2 * n - 1 - period)


def mirror_window(placed: np.ndarray, placement: Box, rect: Box) -> np.ndarray:
    """The canvas region `rect` of the placed art reflected outwards (as np.pad 'symmetric'
    of the whole canvas would give), built from that region's indices alone."""
    rows = reflect_index(np.arange(rect.y, rect.bottom) - placement.y, placement.h)
    cols = reflect_index(np.arange(rect.x, rect.right) - placement.x, placement.w)
    return placed.take(rows, axis=0).take(cols, axis=1)


def generation_inputs(placed: np.ndarray, canvas: tuple[int, int], placement: Box,
                      gen_size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(init image, mask) at generation size. The mask is 255 on every low-resolution pixel
    that reaches into the new area (half a pixel of slack), so the upscaled output covers the
    whole new area; the init image is the art there, reflected outwards elsewhere."""
    (w, h), (gw, gh), p = canvas, gen_size, placement
    sx, sy = gw / w, gh / h
    x0, y0 = round(p.x * sx), round(p.y * sy)
    small = Box(x0, y0, max(1, min(gw, round(p.right * sx)) - x0), max(1, min(gh, round(p.bottom * sy)) - y0))
    art = cv2.resize(placed, (small.w, small.h), interpolation=cv2.INTER_AREA)
    init = mirror_window(art, small, Box(0, 0, gw, gh))
    mask = np.full((gh, gw), 255, np.uint8)
    x0, y0 = math.ceil(p.x * sx + 0.5), math.ceil(p.y * sy + 0.5)
    x1, y1 = math.floor(p.right * sx - 0.5), math.floor(p.bottom * sy - 0.5)
    if x1 > x0 and y1 > y0:
        mask[y0:y1, x0:x1] = 0
    return np.ascontiguousarray(init), mask


def graded_reflection(filled: np.ndarray, dist: np.ndarray, unit: float, upto: float) -> np.ndarray:
    """The reflected art blurred more the further it lies from the art (float RGB). Only the
    levels that start before `upto` px are computed: the band needs the first one or two."""
    out = filled.astype(np.float32)
    start = 0.0
    for sigma, reach in _LEVELS:
        if start * unit >= upto:
            break
        t = np.clip((dist - start * unit) / ((reach - start) * unit), 0.0, 1.0)[..., None]
        out = out * (1 - t) + soft_blur(filled, sigma * unit) * t
        start = reach
    return out * (1 - np.clip(dist / (unit * 30.0), 0.0, 1.0)[..., None] * _FADE)


def _context_margin(unit: float, upto: float) -> int:
    """How far past the band a strip must reach so its widest blur sees real neighbours."""
    start, widest = 0.0, 0.0
    for sigma, reach in _LEVELS:
        if start * unit >= upto:
            break
        widest, start = sigma, reach
    return math.ceil(3 * widest * unit)


def seam_strips(canvas: tuple[int, int], placement: Box, band: int, margin: int) -> list[tuple[Box, Box]]:
    """(context, band) rectangles along each side of the art that has new area beside it."""
    (w, h), p = canvas, placement
    bx0, by0, bx1, by1 = max(0, p.x - band), max(0, p.y - band), min(w, p.right + band), min(h, p.bottom + band)
    cx0, cy0 = max(0, bx0 - margin), max(0, by0 - margin)
    cx1, cy1 = min(w, bx1 + margin), min(h, by1 + margin)
    out = []
    if p.x > 0:
        right = min(w, p.x + margin)
        out.append((Box(cx0, cy0, right - cx0, cy1 - cy0), Box(bx0, by0, p.x - bx0, by1 - by0)))
    if p.right < w:
        left = max(0, p.right - margin)
        out.append((Box(left, cy0, cx1 - left, cy1 - cy0), Box(p.right, by0, bx1 - p.right, by1 - by0)))
    if p.y > 0:
        bottom = min(h, p.y + margin)
        out.append((Box(cx0, cy0, cx1 - cx0, bottom - cy0), Box(bx0, by0, bx1 - bx0, p.y - by0)))
    if p.bottom < h:
        top = max(0, p.bottom - margin)
        out.append((Box(cx0, top, cx1 - cx0, cy1 - top), Box(bx0, p.bottom, bx1 - bx0, by1 - p.bottom)))
    return out


def finish_canvas(up: np.ndarray, placed: np.ndarray, placement: Box, feather_frac: float) -> np.ndarray:
    """Blend the upscaled generation `up` (canvas-sized uint8 RGB, changed in place) with the
    reflected art across the feather band, then put the art's own bytes back in its box."""
    h, w = up.shape[:2]
    width = max(2.0, min(w, h) * feather_frac)
    unit = max(4.0, min(w, h) / 40.0)
    for ctx, band in seam_strips((w, h), placement, math.ceil(width), _context_margin(unit, width)):
        dist = box_distance(ctx, placement)
        partner = graded_reflection(mirror_window(placed, placement, ctx), dist, unit, width)
        sy, sx = slice(band.y - ctx.y, band.bottom - ctx.y), slice(band.x - ctx.x, band.right - ctx.x)
        a = np.clip(dist[sy, sx] / width, 0.0, 1.0)[..., None]
        region = up[band.y:band.bottom, band.x:band.right]
        region[:] = np.clip(partner[sy, sx] * (1 - a) + region.astype(np.float32) * a + 0.5, 0, 255).astype(np.uint8)
    up[placement.y:placement.bottom, placement.x:placement.right] = placed
    return up
