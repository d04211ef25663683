"""Dominant colours by k-means in RGB on a downscaled copy, seeded so it is the same every run."""
from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from .boxes import downscaled


def dominant_palette(image: Image.Image, k: int = 5) -> list[tuple[str, float]]:
    """k dominant colours by k-means (seeded: the same image gives the same palette)."""
    small, _ = downscaled(image.convert("RGB"), 96)
    px = np.asarray(small, dtype=np.float32).reshape(-1, 3)
    k = max(1, min(k, len(px)))
    cv2.setRNGSeed(1234)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.5)
    _, labels, centers = cv2.kmeans(px, k, None, criteria, 3, cv2.KMEANS_PP_CENTERS)
    counts = np.bincount(labels.ravel(), minlength=k).astype(np.float64)
    order = np.argsort(-counts)
    return [("#%02x%02x%02x" % tuple(int(round(v)) for v in centers[i]), round(float(counts[i] / counts.sum()), 4))
            for i in order if counts[i] > 0]
