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

from dataclasses import dataclass, replace
from functools import cached_property

import cv2
import numpy as np
from PIL import Image

from ..geometry import Box
from .legibility import Step


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


def to_u8(alpha: np.ndarray) -> np.ndarray:
    """Alpha 0..1 as the 8-bit mask Pillow pastes with (rounded)."""
    return (alpha * 255 + 0.5).astype(np.uint8)


@dataclass(frozen=True)
class Points:
    """Where alpha is wanted: region rows and columns (broadcastable), and the flat window indices
    of the same pixels (None: the whole window)."""
    rows: np.ndarray
    cols: np.ndarray
    flat: np.ndarray | None = None

    def take(self, window_array: np.ndarray) -> np.ndarray:
        return window_array if self.flat is None else window_array.reshape(-1)[self.flat]


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
    keep: np.ndarray | None = None     # legibility.keep_off over the region (faces), or None

    @cached_property
    def ramps(self) -> list[Ramp]:
        return [scrim_ramp(self.reg.h, self.reg.w, box, edge, local) for edge, box, local in self.groups]

    @cached_property
    def plate(self) -> np.ndarray:
        """The plates behind the elements, blurred (uint8 over the window)."""
        ox, oy = self.origin
        plate = np.zeros((self.win.h, self.win.w), np.uint8)
        for b in self.boxes:
            pad = max(4, round(b.h * 0.18))
            cv2.rectangle(plate, (b.x - ox - pad, b.y - oy - pad // 2), (b.right - ox + pad, b.bottom - oy + pad // 2),
                          255, -1)
        return cv2.GaussianBlur(plate, (0, 0), max(1.0, self.size_px / 40))

    @cached_property
    def halo(self) -> np.ndarray:
        """The soft shadow around the glyphs (uint8 over the window)."""
        r = max(2, self.size_px // 14)
        return cv2.GaussianBlur(cv2.dilate(self.mask_all, np.ones((r, r), np.uint8)), (0, 0), r * 0.8)

    @cached_property
    def keep_w(self) -> np.ndarray | None:
        """The keep-off factor over the window (contiguous: samples are taken from it flat)."""
        if self.keep is None:
            return None
        ox, oy = self.origin
        return np.ascontiguousarray(self.keep[oy:oy + self.win.h, ox:ox + self.win.w])

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
        """Max over the groups of each gradient at these points."""
        out = np.zeros(np.broadcast_shapes(at.rows.shape, at.cols.shape), np.float32)
        for ramp in self.ramps:
            a = (ramp.unit * max_alpha)[at.rows if ramp.axis == "y" else at.cols]
            if ramp.fade is not None:
                a = a * ramp.fade[at.rows]
            np.maximum(out, a, out=out)
        return out

    def _layers(self, step: Step, at: Points) -> np.ndarray:
        """1 - prod(1 - a_i) of the step's layers, all in the treatment colour."""
        keep = np.ones(np.broadcast_shapes(at.rows.shape, at.cols.shape), np.float32)
        if step.scrim:
            keep = keep * (1 - self.scrim(step.scrim, at))
        if step.plate:
            keep = keep * (1 - at.take(self.plate).astype(np.float32) * (step.plate / 255.0))
        if step.shadow:
            keep = keep * (1 - at.take(self.halo).astype(np.float32) * (step.shadow / 255.0))
        return 1 - keep

    def alpha(self, step: Step, at: Points) -> np.ndarray:
        """The step's alpha at these points. Near a face the wide scrim fades out (keep) and the
        plate and shadow hugging the glyphs stop only at its clearance box (hard)."""
        if self.keep_w is None:
            return self._layers(step, at)
        wide = self._layers(replace(step, plate=0.0, shadow=0.0), at)
        local = self._layers(replace(step, scrim=0.0), at)
        kw = at.take(self.keep_w)
        return 1 - (1 - wide * kw) * (1 - local * (kw > 0).astype(np.float32))

    def region_mask(self, step: Step, alpha_w: np.ndarray) -> np.ndarray:
        """The 8-bit alpha of the chosen step over the region: the wide scrim (faded off faces)
        everywhere, the window's full alpha inside the window."""
        out = np.zeros((self.reg.h, self.reg.w), np.uint8)
        if step.scrim:
            out[:] = self._scrim_u8(step.scrim)
        ox, oy = self.origin
        out[oy:oy + self.win.h, ox:ox + self.win.w] = to_u8(alpha_w)
        return out

    def _scrim_u8(self, max_alpha: float) -> np.ndarray:
        """The scrim over the region, 8-bit. Rounding is monotonic, so the max of rounded ramps
        is the rounded max; where the keep-off factor is not exactly 1 the product is rounded."""
        out = np.zeros((1, 1), np.uint8)
        for ramp in self.ramps:
            a = ramp.unit * max_alpha
            a = a[:, None] if ramp.axis == "y" else a[None, :]
            if ramp.fade is not None:
                a = a * ramp.fade[:, None]
            out = np.maximum(out, to_u8(a))
        out = np.broadcast_to(out, (self.reg.h, self.reg.w))
        if self.keep is None:
            return out
        off = self.keep != 1
        ys, xs = np.flatnonzero(off.any(axis=1)), np.flatnonzero(off.any(axis=0))
        if not len(ys):
            return out
        y0, y1, x0, x1 = ys[0], ys[-1] + 1, xs[0], xs[-1] + 1
        near = self.scrim(max_alpha, Points(np.arange(y0, y1)[:, None], np.arange(x0, x1)[None, :]))
        out = np.array(out)
        out[y0:y1, x0:x1] = to_u8(near * self.keep[y0:y1, x0:x1])
        return out


def paste_treatment(canvas: Image.Image, layers: Layers, mask: np.ndarray, color: tuple[int, int, int]) -> None:
    """Paste the treatment colour through `mask` (region), only over the box where it shows."""
    amask = Image.fromarray(mask, "L")
    bb = amask.getbbox()  # a zero alpha changes no pixel
    if bb:
        reg = layers.reg
        canvas.paste(color, (reg.x + bb[0], reg.y + bb[1], reg.x + bb[2], reg.y + bb[3]), amask.crop(bb))
