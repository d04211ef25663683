"""Saliency map and, when the art has no face, the salient subject's box.

The map is the spectral residual method (Hou & Zhang 2007) written with numpy/cv2, because
cv2.saliency lives in opencv-contrib, which we do not install. The subject box is the
region of high saliency holding the most of it, at the map's resolution; its score says how
much of the saliency it concentrates for its size (0..1)."""
from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from .model import SaliencyMap

SALIENCY_SIDE = 64      # the stored map's long side, in cells
REGION_LEVEL = 0.3      # cells at least this share of the peak (and above mean + std) may be the subject


def spectral_residual_saliency(image: Image.Image, side: int = SALIENCY_SIDE) -> SaliencyMap:
    """Where the image is unexpected: the log spectrum minus its local average, transformed back."""
    grey = np.asarray(image.convert("L"), dtype=np.float32)
    h, w = grey.shape
    s = side / max(w, h)
    sw, sh = max(8, round(w * s)), max(8, round(h * s))
    small = cv2.resize(grey, (sw, sh), interpolation=cv2.INTER_AREA)
    spectrum = np.fft.fft2(small)
    log_amp = np.log(np.abs(spectrum) + 1e-8)
    phase = np.angle(spectrum)
    residual = log_amp - cv2.blur(log_amp, (3, 3))
    sal = np.abs(np.fft.ifft2(np.exp(residual + 1j * phase))) ** 2
    sal = cv2.GaussianBlur(sal.astype(np.float32), (0, 0), sigmaX=max(1.0, side / 24))
    sal -= sal.min()
    peak = float(sal.max())
    sal = sal / peak if peak > 0 else sal
    return SaliencyMap(sw, sh, (sal * 255 + 0.5).astype(np.uint8).tobytes())


def salient_box(saliency: SaliencyMap, width: int, height: int) -> tuple[tuple[float, float, float, float], float] | None:
    """The salient subject as ((x0, y0, x1, y1) in image pixels, score), or None for a flat map.

    Spectral residual lights a subject's outline more than its inside (a ring round a cup), so
    cells above max(REGION_LEVEL * peak, mean + std) are closed over a gap of an eighth of the
    map, and the connected region holding the most saliency is the subject. Score: how much
    more of the saliency it holds than of the area, (mass share - area share) / (1 - area share)."""
    sal = saliency.array().astype(np.float32) / 255.0
    if float(sal.max()) <= 0:
        return None
    level = max(REGION_LEVEL * float(sal.max()), float(sal.mean() + sal.std()))
    mask = (sal >= level).astype(np.uint8)
    k = max(3, (max(sal.shape) // 8) | 1)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return None
    mass = np.bincount(labels.ravel(), weights=sal.ravel(), minlength=n)[1:]
    lab = int(np.argmax(mass)) + 1
    x, y, w, h = (int(v) for v in stats[lab][:4])
    region = labels[y:y + h, x:x + w] == lab
    m_share = float(sal[y:y + h, x:x + w][region].sum()) / max(float(sal.sum()), 1e-6)
    a_share = float(region.sum()) / sal.size
    score = (m_share - a_share) / max(1e-6, 1.0 - a_share)
    sx, sy = width / saliency.width, height / saliency.height
    return (x * sx, y * sy, (x + w) * sx, (y + h) * sy), max(0.0, min(1.0, score))
