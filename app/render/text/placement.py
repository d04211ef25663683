"""Where the text goes: candidate zones per format, scored on the actual canvas.

Score = overlap with faces (disqualifying), background busyness (edge density from OpenCV's
Canny on the canvas), saliency (spectral residual) and a small preference for the format's
usual zone. Busy or salient art under text costs legibility and hides what matters.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from ..geometry import Box

MAP_W = 192  # analysis maps are computed on a copy this wide


@dataclass(frozen=True)
class Maps:
    busy: np.ndarray       # integral image of edge density (0..1 per pixel)
    salient: np.ndarray    # integral image of saliency (0..1 per pixel)
    scale: float           # map px per canvas px


def _integral(a: np.ndarray) -> np.ndarray:
    return cv2.integral(a.astype(np.float32))


def canvas_maps(canvas: Image.Image) -> Maps:
    scale = MAP_W / canvas.width
    # A box reduce first (reducing_gap), then grey: a third of the cost of greying the full canvas
    # and filtering it down in one step, for maps that only rank zones.
    small = canvas.resize((MAP_W, max(1, round(canvas.height * scale))), Image.Resampling.BILINEAR,
                          reducing_gap=2.0).convert("L")
    grey = np.asarray(small)
    edges = cv2.Canny(cv2.GaussianBlur(grey, (3, 3), 0), 60, 160) / 255.0
    edges = cv2.blur(edges, (5, 5))
    f = np.fft.fft2(grey.astype(np.float32))
    log_amp = np.log1p(np.abs(f))
    residual = log_amp - cv2.blur(log_amp, (3, 3))
    sal = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(f)))) ** 2
    sal = cv2.GaussianBlur(sal.astype(np.float32), (9, 9), 2.5)
    sal = sal / (sal.max() or 1.0)
    return Maps(_integral(edges), _integral(sal), scale)


def _mean(integral: np.ndarray, box: Box, scale: float) -> float:
    h, w = integral.shape[0] - 1, integral.shape[1] - 1
    x0, y0 = min(w, max(0, int(box.x * scale))), min(h, max(0, int(box.y * scale)))
    x1, y1 = min(w, max(x0 + 1, int(round(box.right * scale)))), min(h, max(y0 + 1, int(round(box.bottom * scale))))
    total = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
    return float(total) / max(1, (x1 - x0) * (y1 - y0))


def busyness(maps: Maps, box: Box) -> float:
    return _mean(maps.busy, box, maps.scale)


def saliency(maps: Maps, box: Box) -> float:
    return _mean(maps.salient, box, maps.scale)


#: Where text may go; a re-render may ask for one of these by name.
ZONES = ("bottom", "top", "left", "right")


def candidate_zones(fmt_aspect: float, safe: Box, rtl_first: bool, requested: str | None = None
                    ) -> list[tuple[str, Box]]:
    """Bands where text may go, in the format's order of preference: side zones for wide formats;
    on narrower ones only the side a re-render asked for (`requested`)."""
    band_h = round(safe.h * (0.36 if fmt_aspect < 1.2 else 0.46))
    zones = [("bottom", Box(safe.x, safe.bottom - band_h, safe.w, band_h)),
             ("top", Box(safe.x, safe.y + round(safe.h * 0.10), safe.w, band_h))]
    side_w = round(safe.w * 0.46)
    sides = [("left", Box(safe.x, safe.y, side_w, safe.h)),
             ("right", Box(safe.right - side_w, safe.y, side_w, safe.h))]
    if fmt_aspect >= 1.5:
        zones = (sides[::-1] if rtl_first else sides) + zones
    elif requested in ("left", "right"):
        zones = [z for z in sides if z[0] == requested] + zones
    return zones


def face_overlap(box: Box, faces: list[Box]) -> int:
    return sum(box.intersection(f) for f in faces)


def score_zone(index: int, zone: Box, faces: list[Box], maps: Maps | None, art_text: list[Box] = ()) -> dict:
    """Lower is better; a zone touching a face is only used when every zone does, and text
    already in the art (analysis' baked-in text boxes) weighs heavily against a zone."""
    overlap = face_overlap(zone, faces)
    on_text = face_overlap(zone, list(art_text))
    busy = busyness(maps, zone) if maps else 0.0
    sal = saliency(maps, zone) if maps else 0.0
    score = (1000.0 * overlap + 40.0 * on_text) / max(1, zone.area) + 4.0 * busy + 1.5 * sal + 0.08 * index
    return {"score": round(score, 4), "face_overlap_px": overlap, "art_text_overlap_px": on_text,
            "busyness": round(busy, 4), "saliency": round(sal, 4)}
