"""A treatment's alpha (gradient scrim, plate, soft shadow) around a text block, at the cost of text.

Trying a ladder step only needs the treatment's alpha at the pixels the contrast is measured on
(legibility.sample_index), so the layers that do not depend on the step (the scrim's ramps, the
blurred plate, the glyph halo, the face keep-off) are made once per render and every step is
evaluated at those samples; the chosen step alone is made over the text's window, and the wide
scrim over the region as 8-bit rows or columns (its ramps are separable). Every value is the
same float32 arithmetic, element by element, as making each step over the whole region, so the
pixels do not change: only what is never looked at is no longer computed.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Callable

import cv2
import numpy as np
from PIL import Image

from ..geometry import Box
from ..paint import paint
from .legibility import KeepOff, Step


PLATE_PAD = 1 / 4     # the plate's margin around the text, of the title size ...
PLATE_SOFT = 1 / 12   # ... and its soft edge (Gaussian sigma) ...
WINDOW_PAD = PLATE_PAD + 3 * PLATE_SOFT   # ... end inside the text's window (render._window)


def smooth_ramp(n: int, full_from: int, fade: int) -> np.ndarray:
    """0 up to `full_from - fade`, rising smoothly (smoothstep) to 1 at `full_from`, float32."""
    idx = np.arange(n, dtype=np.float32)
    t = np.clip((idx - (full_from - fade)) / max(1, fade), 0, 1)
    return t * t * (3 - 2 * t)


@dataclass(frozen=True)
class Ramp:
    """One scrim group's gradient: a unit ramp along rows ("y") or columns ("x") of the region,
    and for a local group (a vertical title column) a fade along rows above and below it."""
    axis: str
    unit: np.ndarray
    fade: np.ndarray | None


def scrim_ramp(h: int, w: int, box: Box, edge: str, local: bool) -> Ramp:
    """Full behind the text block `box` (region coordinates), fading towards the art."""
    if edge in ("bottom", "top"):
        fade = max(8, round(box.h * 0.9))
        unit = smooth_ramp(h, box.y, fade) if edge == "bottom" else smooth_ramp(h, h - box.bottom, fade)[::-1]
        axis = "y"
    else:
        fade = max(8, round(box.w * 0.6))
        unit = smooth_ramp(w, box.x, fade) if edge == "right" else smooth_ramp(w, w - box.right, fade)[::-1]
        axis = "x"
    rows = None
    if local:
        f = max(8, box.w // 2)
        idx = np.arange(h, dtype=np.float32)
        t = np.clip(np.minimum(idx - (box.y - f), (box.bottom + f) - idx) / f, 0, 1)
        rows = t * t * (3 - 2 * t)
    return Ramp(axis, unit, rows)


def panels(boxes: list[Box], size_px: int) -> list[Box]:
    """The element boxes joined where one stands within a title size of the one above it (a
    stacked title, tagline and badge make one panel; a vertical title column keeps its own)."""
    out: list[Box] = []
    for b in sorted(boxes, key=lambda b: b.y):
        near = next((i for i, p in enumerate(out)
                     if b.y - p.bottom <= size_px and b.x < p.right and p.x < b.right), None)
        if near is None:
            out.append(b)
        else:
            out[near] = out[near].union(b)
    return out


def to_u8(alpha: np.ndarray) -> np.ndarray:
    """Alpha 0..1 as the 8-bit mask Pillow pastes with (rounded)."""
    return (alpha * 255 + 0.5).astype(np.uint8)


@dataclass
class Points:
    """Where alpha is wanted: region rows and columns (broadcastable), and the flat window indices
    of the same pixels (None: the whole window). What a step reads there is gathered once
    (`memo`): gathering then scaling gives the same values as scaling then gathering."""
    rows: np.ndarray
    cols: np.ndarray
    flat: np.ndarray | None = None
    memo: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, ...]:
        return np.broadcast_shapes(self.rows.shape, self.cols.shape)

    def take(self, window_array: np.ndarray) -> np.ndarray:
        return window_array if self.flat is None else window_array.reshape(-1)[self.flat]

    def gathered(self, key: str, make: Callable[[], np.ndarray]) -> np.ndarray:
        if key not in self.memo:
            self.memo[key] = make()
        return self.memo[key]


@dataclass
class Layers:
    """The parts of every ladder step, made once: region `reg` and text window `win` (canvas
    coordinates), scrim groups and element boxes in region coordinates, the window's glyph mask."""
    reg: Box
    win: Box
    groups: list[tuple[str, Box, bool]]
    boxes: list[Box]
    mask_all: np.ndarray
    size_px: int
    keep: KeepOff | None = None        # legibility.keep_off over the region (faces), or None

    @cached_property
    def ramps(self) -> list[Ramp]:
        return [scrim_ramp(self.reg.h, self.reg.w, box, edge, local) for edge, box, local in self.groups]

    @cached_property
    def plate(self) -> np.ndarray:
        """One soft-edged panel behind each stack of elements (uint8 over the window): the title,
        tagline and badge share one panel, so no seam of art shows between them, with a margin
        and a soft edge that end inside the window (WINDOW_PAD), never cut by its border."""
        ox, oy = self.origin
        plate = np.zeros((self.win.h, self.win.w), np.uint8)
        pad = max(2, round(self.size_px * PLATE_PAD))
        for b in panels(self.boxes, self.size_px):
            cv2.rectangle(plate, (b.x - ox - pad, b.y - oy - pad), (b.right - ox + pad - 1, b.bottom - oy + pad - 1),
                          255, -1)
        return cv2.GaussianBlur(plate, (0, 0), max(0.8, self.size_px * PLATE_SOFT))

    @cached_property
    def halo(self) -> np.ndarray:
        """The soft shadow around the glyphs (uint8 over the window)."""
        r = max(2, self.size_px // 14)
        return cv2.GaussianBlur(cv2.dilate(self.mask_all, np.ones((r, r), np.uint8)), (0, 0), r * 0.8)

    @property
    def origin(self) -> tuple[int, int]:
        return self.win.x - self.reg.x, self.win.y - self.reg.y

    def samples(self, flat: np.ndarray) -> Points:
        r, c = np.divmod(flat, self.win.w)
        ox, oy = self.origin
        return Points(r + oy, c + ox, flat)

    def window(self) -> Points:
        ox, oy = self.origin
        return Points(np.arange(oy, oy + self.win.h)[:, None], np.arange(ox, ox + self.win.w)[None, :])

    def scrim(self, max_alpha: float, at: Points) -> np.ndarray:
        """Max over the groups of each gradient at these points (an array that broadcasts to the
        points: a band's ramp over a window is one column or row)."""
        out = np.zeros((1,) * len(at.shape), np.float32)
        for g, ramp in enumerate(self.ramps):
            unit = at.gathered(f"unit{g}", lambda r=ramp: r.unit[at.rows if r.axis == "y" else at.cols])
            a = unit * max_alpha
            if ramp.fade is not None:
                a = a * at.gathered(f"fade{g}", lambda r=ramp: r.fade[at.rows])
            out = np.maximum(out, a)
        return out

    def _layers(self, step: Step, at: Points) -> np.ndarray:
        """1 - prod(1 - a_i) of the step's layers, all in the treatment colour (1 * x is x: the
        product starts from the first layer, in the shape that layer has)."""
        keep = np.ones((1,) * len(at.shape), np.float32)
        if step.scrim:
            keep = keep * (1 - self.scrim(step.scrim, at))
        if step.plate:
            plate = at.gathered("plate", lambda: at.take(self.plate).astype(np.float32))
            keep = keep * (1 - plate * (step.plate / 255.0))
        if step.shadow:
            halo = at.gathered("halo", lambda: at.take(self.halo).astype(np.float32))
            keep = keep * (1 - halo * (step.shadow / 255.0))
        return 1 - keep

    def alpha(self, step: Step, at: Points) -> np.ndarray:
        """The step's alpha at these points (broadcasts to them). Near a face the wide scrim fades
        out (keep) and the plate and shadow hugging the glyphs stop only at its clearance box (hard)."""
        if self.keep is None:
            return self._layers(step, at)
        wide = self._layers(replace(step, plate=0.0, shadow=0.0), at)
        local = self._layers(replace(step, scrim=0.0), at)
        kw = at.gathered("keep", lambda: self.keep.at(at.rows, at.cols))
        hard = at.gathered("hard", lambda: (kw > 0).astype(np.float32))
        return 1 - (1 - wide * kw) * (1 - local * hard)

    def window_mask(self, step: Step) -> np.ndarray:
        """The step's 8-bit alpha over the window. Where the keep-off factor is exactly 1 (every
        pixel away from a face) the face formula is the plain one with both factors 1 (x * 1 is
        x), made in the layers' own shapes; only the box where it is not is made pixel by pixel."""
        at = self.window()
        if self.keep is None:
            return np.broadcast_to(to_u8(self._layers(step, at)), (self.win.h, self.win.w))
        wide = self._layers(replace(step, plate=0.0, shadow=0.0), at)
        local = self._layers(replace(step, scrim=0.0), at)
        out = np.array(np.broadcast_to(to_u8(1 - (1 - wide) * (1 - local)), (self.win.h, self.win.w)))
        ox, oy = self.origin
        off = self._off_faces(Box(ox, oy, self.win.w, self.win.h))
        if off is not None:
            kw = self.keep.cut(off)
            near = off.shifted(-ox, -oy)
            ys, xs = slice(near.y, near.bottom), slice(near.x, near.right)
            w_near = np.broadcast_to(wide, out.shape)[ys, xs]
            l_near = np.broadcast_to(local, out.shape)[ys, xs]
            out[ys, xs] = to_u8(1 - (1 - w_near * kw) * (1 - l_near * (kw > 0).astype(np.float32)))
        return out

    def treatment_mask(self, step: Step) -> tuple[np.ndarray, Box]:
        """The 8-bit alpha of the chosen step (the wide scrim, faded off faces, and the window's
        full alpha inside the window) over the box of the region where it can show (region
        coordinates); zero everywhere else. Rounding is monotonic, so the max of rounded ramps
        is the rounded max; where the keep-off factor is not exactly 1 the product is rounded."""
        ox, oy = self.origin
        ramps = [self._ramp_u8(r, step.scrim) for r in self.ramps] if step.scrim else []
        box = Box(ox, oy, self.win.w, self.win.h)
        for u8 in ramps:
            shows = _extent(u8, self.reg.h, self.reg.w)
            box = box.union(shows) if shows else box
        out = np.zeros((box.h, box.w), np.uint8)
        for u8 in ramps:
            full = np.broadcast_to(u8, (self.reg.h, self.reg.w))
            np.maximum(out, full[box.y:box.bottom, box.x:box.right], out=out)
        if ramps and self.keep is not None:
            self._fade_off_faces(out, box, step.scrim)
        out[oy - box.y:oy - box.y + self.win.h, ox - box.x:ox - box.x + self.win.w] = self.window_mask(step)
        return out, box

    def _ramp_u8(self, ramp: Ramp, max_alpha: float) -> np.ndarray:
        """One group's scrim, 8-bit: a column (h, 1) or row (1, w), or (h, w) for a local group."""
        a = ramp.unit * max_alpha
        a = a[:, None] if ramp.axis == "y" else a[None, :]
        if ramp.fade is not None:
            a = a * ramp.fade[:, None]
        return to_u8(a)

    def _off_faces(self, b: Box) -> Box | None:
        """The box, inside box `b` of the region, holding every pixel where the keep-off factor is
        not exactly 1 (beyond the keep-off's own box it is 1); None when there is none."""
        hit = self.keep.box.overlap(b)
        off = None if hit is None else _extent((self.keep.cut(hit) != 1).astype(np.uint8), hit.h, hit.w)
        return None if off is None else off.shifted(hit.x, hit.y)

    def _fade_off_faces(self, out: np.ndarray, box: Box, max_alpha: float) -> None:
        """Where the keep-off factor is not exactly 1, the scrim times the factor, rounded."""
        near = self._off_faces(box)
        if near is None:
            return
        y0, y1, x0, x1 = near.y, near.bottom, near.x, near.right
        scrim = self.scrim(max_alpha, Points(np.arange(y0, y1)[:, None], np.arange(x0, x1)[None, :]))
        out[y0 - box.y:y1 - box.y, x0 - box.x:x1 - box.x] = to_u8(scrim * self.keep.cut(near))


def _extent(u8: np.ndarray, h: int, w: int) -> Box | None:
    """The box holding the non-zero values of a mask of shape (h, w), (h, 1) or (1, w) (the
    latter two broadcast over the other axis); None when it is all zero."""
    rows, cols = u8.any(axis=1), u8.any(axis=0)
    if not rows.any():
        return None
    ys, xs = np.flatnonzero(rows), np.flatnonzero(cols)
    y0, y1 = (int(ys[0]), int(ys[-1]) + 1) if u8.shape[0] > 1 else (0, h)
    x0, x1 = (int(xs[0]), int(xs[-1]) + 1) if u8.shape[1] > 1 else (0, w)
    return Box(x0, y0, x1 - x0, y1 - y0)


def paste_treatment(canvas: Image.Image, layers: Layers, mask: np.ndarray, box: Box,
                    color: tuple[int, int, int]) -> None:
    """Paste the treatment colour through `mask`, which covers `box` of the region."""
    paint(canvas, color, (layers.reg.x + box.x, layers.reg.y + box.y), mask)
