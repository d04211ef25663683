"""The old Haar-cascade face detector (analysis version 2), kept as the `haar_faces` detector so
the evaluation can print it beside the learned one and a deployment can still choose it."""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
from PIL import Image

from ..geometry import Box
from .boxes import downscaled

_DETECT_MAX_SIDE = 1024


@lru_cache(maxsize=1)
def _face_cascade() -> cv2.CascadeClassifier:
    path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(f"OpenCV face cascade failed to load from {path}")
    return cascade


def detect_faces_haar(image: Image.Image) -> list[Box]:
    """Frontal faces in source pixel coordinates, detected on a downscaled grey copy."""
    small, scale = downscaled(image, _DETECT_MAX_SIDE)
    grey = cv2.equalizeHist(cv2.cvtColor(np.asarray(small.convert("RGB")), cv2.COLOR_RGB2GRAY))
    min_side = max(24, round(min(small.size) * 0.06))
    found = _face_cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=6,
                                             minSize=(min_side, min_side))
    inv = 1.0 / scale
    return [Box(int(x), int(y), int(w), int(h)).scaled(inv) for (x, y, w, h) in found]
