"""Legibility measured on the real pixels behind the glyphs (WCAG 2 contrast ratio).

The glyph footprint (the pixels around the glyphs, within a stroke's fraction of them, and
their faint anti-aliased edges; not what the glyphs cover) selects the pixels the text is read
against; the ratio reported is the 5th percentile over them, so a bright patch behind
one letter is not averaged away. Treatments (gradient scrim, shadow, plate) are tried in the
kit's order (LADDERS) until every element meets its target; treatment.py makes their alpha.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..geometry import Box, union_of

WORST_PERCENTILE = 5
#: Large text is measured on a regular grid of its footprint that keeps at least this many pixels:
#: on the 19 x 8 sample matrix from a 2000x3000 key art the reported ratios moved by at most
#: 3.1 % against all pixels and no treatment changed, at a fraction of the cost (the pixels around
#: a poster title's glyphs number 40,000-120,000, measured once per ladder step).
MIN_SAMPLES = 20_000


def _srgb_to_linear(c: np.ndarray) -> np.ndarray:
    """sRGB values 0..1 to linear light (the WCAG formula), float32."""
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4).astype(np.float32)


#: Steps per 8-bit level of the linear-light table. A blended pixel is not a whole level, so it is
#: looked up at the nearest 1/64 of one: the luminance moves by at most 7e-5 (a contrast ratio by
#: under 0.15 %, reported to two decimals), at a fifth of the cost of the power function, which
#: was the largest single cost of choosing a treatment (a ladder step measures ~20,000 samples).
LINEAR_STEPS = 64
_LINEAR = _srgb_to_linear(np.arange(255 * LINEAR_STEPS + 1, dtype=np.float64) / (255 * LINEAR_STEPS))


def _linear_light(v: np.ndarray) -> np.ndarray:
    """sRGB values 0..255 (float32 or integer, any shape) to linear light 0..1, from the table."""
    idx = np.multiply(v, LINEAR_STEPS, dtype=np.float32)
    idx += 0.5
    return _LINEAR.take(idx.astype(np.int32), mode="clip")


def luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB values 0..255 (any shape ending in 3)."""
    lin = _linear_light(np.asarray(rgb, dtype=np.float32))
    return lin[..., 0] * 0.2126 + lin[..., 1] * 0.7152 + lin[..., 2] * 0.0722


def contrast_ratio(l1: np.ndarray | float, l2: np.ndarray | float) -> np.ndarray:
    hi, lo = np.maximum(l1, l2), np.minimum(l1, l2)
    return (hi + 0.05) / (lo + 0.05)


def wcag_threshold(size_px: int, bold: bool = True) -> float:
    """3:1 for large text (>= 24 px, or >= 18.67 px bold), else 4.5:1."""
    return 3.0 if size_px >= 24 or (bold and size_px >= 18.67) else 4.5


#: Glyph coverage from which a pixel is the text's rather than its background's.
COVERED = 64


def footprint(mask: np.ndarray, size_px: int) -> np.ndarray:
    """The pixels the text is read against: around the glyphs (the mask grown by a stroke's
    fraction) and their anti-aliased edges, not what the glyphs cover. Under the glyphs a shadow
    is at its darkest, so counting those pixels reported more contrast than the edges have
    (9.4:1 where the edges of a title beside a face, its scrim faded off, held 6.5:1)."""
    r = footprint_reach(size_px)
    grown = cv2.dilate(mask, np.ones((2 * r + 1, 2 * r + 1), np.uint8))
    return (grown > 64) & (mask < COVERED)


def footprint_reach(size_px: int) -> int:
    """How far (px) the footprint reaches beyond the glyphs' ink: a stroke's fraction of the size."""
    return max(1, size_px // 30)


def measure(background: np.ndarray, mask: np.ndarray, color: tuple[int, int, int], size_px: int,
            sel: np.ndarray | None = None) -> float:
    """Worst-5% contrast between the text colour and the pixels behind the glyphs."""
    sel = footprint(mask, size_px) if sel is None else sel
    return contrast_of(background[sel], color)


def contrast_of(pixels: np.ndarray, color: tuple[int, int, int]) -> float:
    """Worst-5% contrast between the text colour and these (n, 3) pixels; inf for none."""
    if not len(pixels):
        return float("inf")
    ratios = contrast_ratio(luminance(pixels), float(luminance(np.array(color))))
    return float(np.percentile(ratios, WORST_PERCENTILE))


def blended_contrast(planes: np.ndarray, alpha: np.ndarray, color: tuple[int, int, int],
                     text_color: tuple[int, int, int]) -> float:
    """contrast_of(blend(pixels, alpha, color), text_color) for pixels held as three planes
    (3, n): the same operations per value, on contiguous rows."""
    if not planes.shape[1]:
        return float("inf")
    out = planes * (1 - alpha)
    out += np.array(color, np.float32)[:, None] * alpha
    lin = _linear_light(out)
    lum = lin[0] * 0.2126 + lin[1] * 0.7152 + lin[2] * 0.0722
    ratios = contrast_ratio(lum, float(luminance(np.array(text_color))))
    return float(np.percentile(ratios, WORST_PERCENTILE))


def sample_index(sel: np.ndarray, size_px: int, min_samples: int | None = None,
                 offset: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Flat indices (into `sel`) of the footprint pixels a contrast is measured on. Small text:
    all of them. Large text: those on a grid of stride k in x and y, k as large as keeps
    `min_samples` (MIN_SAMPLES) and still puts about four samples across a stroke (k <= size /
    32; a stroke is about size / 8), so a bright patch behind one letter is still seen. `sel`
    may be a cut of a larger picture at `offset` (x, y): the grid is the larger picture's."""
    n = int(np.count_nonzero(sel))
    k = max(1, min(int(math.sqrt(n / (min_samples or MIN_SAMPLES))), size_px // 32))
    if k > 1:
        grid = np.zeros_like(sel)
        grid[-offset[1] % k::k, -offset[0] % k::k] = True
        sel = sel & grid
    return np.flatnonzero(sel)


@dataclass(frozen=True)
class Step:
    name: str
    scrim: float = 0.0     # max alpha of the gradient scrim
    shadow: float = 0.0    # alpha of the soft shadow
    plate: float = 0.0     # alpha of the plate behind each element


LADDERS: dict[str, tuple[Step, ...]] = {
    "scrim": (Step("none"), Step("scrim", scrim=0.45), Step("scrim", scrim=0.62), Step("scrim", scrim=0.78),
              Step("scrim+shadow", scrim=0.78, shadow=0.8), Step("scrim+plate", scrim=0.78, plate=0.85)),
    "shadow": (Step("none"), Step("shadow", shadow=0.85), Step("shadow+scrim", shadow=0.85, scrim=0.55),
               Step("shadow+scrim", shadow=0.85, scrim=0.75), Step("shadow+plate", shadow=0.85, plate=0.85)),
    "plate": (Step("none"), Step("plate", plate=0.55), Step("plate", plate=0.72), Step("plate", plate=0.9)),
}


def blend(art: np.ndarray, alpha: np.ndarray, color: tuple[int, int, int]) -> np.ndarray:
    """art * (1 - alpha) + color * alpha, for (n, 3) or (h, w, 3) art."""
    a = alpha[..., None]
    out = art * (1 - a)
    out += np.array(color, np.float32) * a
    return out


@dataclass(frozen=True)
class KeepOff:
    """A factor for a treatment's alpha over a region: 0 on the protected boxes (faces), rising
    smoothly to 1 within a quarter of a face's size, and exactly 1 outside `box` (most of the
    region), which is never made: only the box around the faces is."""
    region: Box
    box: Box             # region coordinates: the only part where the factor may be under 1
    values: np.ndarray   # float32 over `box`

    def cut(self, b: Box) -> np.ndarray:
        """The factor over `b`, a box inside `box` (region coordinates): a view of `values`."""
        return self.values[b.y - self.box.y:b.bottom - self.box.y, b.x - self.box.x:b.right - self.box.x]

    def at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The factor at these region rows and columns (broadcast together), float32."""
        rows, cols = np.broadcast_arrays(rows - self.box.y, cols - self.box.x)
        inside = (rows >= 0) & (rows < self.box.h) & (cols >= 0) & (cols < self.box.w)
        out = np.ones(rows.shape, np.float32)
        out[inside] = self.values[rows[inside], cols[inside]]
        return out

    def full(self) -> np.ndarray:
        """The factor over the whole region (for checks: the render reads only `box`)."""
        out = np.ones((self.region.h, self.region.w), np.float32)
        out[self.box.y:self.box.bottom, self.box.x:self.box.right] = self.values
        return out


#: keep_off works at 1/KEEP_SCALE of the resolution (a soft ramp needs no more) and scales up
#: by exactly that integer, so any box of the full-size map can be made on its own, seamlessly.
KEEP_SCALE = 4


def keep_grid(boxes: list[Box], w: int, h: int, cells: Box | None = None) -> np.ndarray:
    """The keep-off factor of `boxes` over a w x h region, on the grid KEEP_SCALE times coarser
    (float32, ceil(h / KEEP_SCALE) x ceil(w / KEEP_SCALE)), or over the grid cells `cells` of it.

    A part holding every box and every cell within reach of one is the same as that part of the
    whole grid: the distance (OpenCV's 3x3 chamfer) runs along paths inside the rectangle of a
    cell and its nearest box, and beyond the reach the factor is 1 either way."""
    f = KEEP_SCALE
    cells = cells or _grid(w, h)
    free = np.full((cells.h, cells.w), 255, np.uint8)
    for c in map(_grid_cells, boxes):
        cv2.rectangle(free, (c.x - cells.x, c.y - cells.y), (c.right - 1 - cells.x, c.bottom - 1 - cells.y), 0, -1)
    dist = cv2.distanceTransform(free, cv2.DIST_L2, 3)
    t = np.clip(dist / keep_reach(boxes), 0, 1)
    return (t * t * (3 - 2 * t)).astype(np.float32)


def _grid(w: int, h: int) -> Box:
    """The keep-off grid of a w x h region, in cells: it covers the region (a part cell included)."""
    return Box(0, 0, -(-w // KEEP_SCALE), -(-h // KEEP_SCALE))


def _grid_cells(b: Box) -> Box:
    """The cells of the keep-off grid a box marks as protected: those it touches and one more
    to the right and below (the coarse grid errs towards keeping off)."""
    f = KEEP_SCALE
    x0, y0 = b.x // f, b.y // f
    return Box(x0, y0, (b.right - 1) // f + 2 - x0, (b.bottom - 1) // f + 2 - y0)


def keep_reach(boxes: list[Box]) -> float:
    """How far (grid cells) the keep-off factor rises from 0 to 1: a quarter of the largest box."""
    return max(2.0, max(max(b.w, b.h) for b in boxes) * 0.25 / KEEP_SCALE)


def keep_off(protect: tuple[Box, ...] | list[Box], region: Box) -> KeepOff | None:
    """The keep-off factor (KeepOff) of the protected boxes (faces) over `region`, so a scrim
    fades out around a face instead of darkening it. None when no protected box touches the region.

    The distance to the faces is measured on a grid KEEP_SCALE times coarser, over the cells within
    its reach of them only; the full-size factor is that grid scaled up by exactly KEEP_SCALE
    (bilinear), made only over the grid cells under 1 and one cell around them (the cells a
    bilinear tap of theirs reads)."""
    hit = [b.shifted(-region.x, -region.y) for b in protect if b.intersection(region)]
    if not hit:
        return None
    f = KEEP_SCALE
    near = union_of([_grid_cells(b) for b in hit]).grown(math.ceil(keep_reach(hit)) + 2, _grid(region.w, region.h))
    small = keep_grid(hit, region.w, region.h, near)
    under = small < 1
    rows, cols = np.flatnonzero(under.any(axis=1)), np.flatnonzero(under.any(axis=0))
    r0, r1 = max(0, int(rows[0]) - 1), min(near.h, int(rows[-1]) + 2)
    c0, c1 = max(0, int(cols[0]) - 1), min(near.w, int(cols[-1]) + 2)
    up = cv2.resize(small[r0:r1, c0:c1], ((c1 - c0) * f, (r1 - r0) * f), interpolation=cv2.INTER_LINEAR)
    x0, y0 = (near.x + c0) * f, (near.y + r0) * f
    box = Box(x0, y0, min(region.w, (near.x + c1) * f) - x0, min(region.h, (near.y + r1) * f) - y0)
    out = np.ascontiguousarray(up[:box.h, :box.w])
    for b in hit:  # exact zero on the boxes themselves, whatever the interpolation did
        on = b.overlap(box)
        if on is not None:
            out[on.y - box.y:on.bottom - box.y, on.x - box.x:on.right - box.x] = 0
    return KeepOff(region, box, out)
