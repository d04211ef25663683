"""Saliency map and, when the art has no face, the salient subject's box.

The map is the spectral residual method (Hou & Zhang 2007) written with numpy/cv2, because
cv2.saliency lives in opencv-contrib, which we do not install. The subject box is the
connected region around the map's peak above a share of the peak, at the map's resolution;
its score says how much more salient that region is than the rest of the image (0..1)."""
from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from .model import SaliencyMap

SALIENCY_SIDE = 64      # the stored map's long side, in cells
REGION_LEVEL = 0.5      # cells at least this share of the peak belong to the salient region


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
    """The salient region around the peak, as ((x0, y0, x1, y1) in image pixels, score), or None
    for a flat map. Score: the region's mean saliency minus the rest's, over the region's mean."""
    sal = saliency.array().astype(np.float32) / 255.0
    if float(sal.max()) <= 0:
        return None
    mask = (sal >= REGION_LEVEL * float(sal.max())).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    peak = np.unravel_index(int(np.argmax(sal)), sal.shape)
    lab = labels[peak]
    x, y, w, h = (int(v) for v in stats[lab][:4])
    inside = labels == lab
    rest = sal[~inside]
    mean_in = float(sal[inside].mean())
    score = (mean_in - (float(rest.mean()) if rest.size else 0.0)) / max(mean_in, 1e-6)
    sx, sy = width / saliency.width, height / saliency.height
    return (x * sx, y * sy, (x + w) * sx, (y + h) * sy), max(0.0, min(1.0, score))
