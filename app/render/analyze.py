"""Key-art analysis done once per key art: faces (and later saliency, baked-in text, palette).

The face detector is OpenCV's Haar cascade that ships inside opencv-python-headless 4.x,
so it loads offline. The result is plain data, cached by the caller with the key art.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image

from .geometry import Box

ANALYSIS_VERSION = 1
_DETECT_MAX_SIDE = 1024


@dataclass(frozen=True)
class Analysis:
    width: int
    height: int
    faces: tuple[Box, ...] = field(default_factory=tuple)
    version: int = ANALYSIS_VERSION

    def to_json(self) -> dict:
        return {"version": self.version, "width": self.width, "height": self.height,
                "faces": [f.as_list() for f in self.faces]}

    @classmethod
    def from_json(cls, data: dict) -> "Analysis":
        return cls(int(data["width"]), int(data["height"]),
                   tuple(Box.from_list(f) for f in data.get("faces", [])),
                   int(data.get("version", ANALYSIS_VERSION)))


@lru_cache(maxsize=1)
def _face_cascade() -> cv2.CascadeClassifier:
    path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(f"OpenCV face cascade failed to load from {path}")
    return cascade


def detect_faces(image: Image.Image) -> list[Box]:
    """Frontal faces in source pixel coordinates, detected on a downscaled grey copy."""
    scale = min(1.0, _DETECT_MAX_SIDE / max(image.size))
    small = image if scale == 1.0 else image.resize(
        (max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.BILINEAR)
    grey = cv2.equalizeHist(cv2.cvtColor(np.asarray(small.convert("RGB")), cv2.COLOR_RGB2GRAY))
    min_side = max(24, round(min(small.size) * 0.06))
    found = _face_cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=6,
                                             minSize=(min_side, min_side))
    inv = 1.0 / scale
    return [Box(int(x), int(y), int(w), int(h)).scaled(inv) for (x, y, w, h) in found]


def analyze(image: Image.Image) -> Analysis:
    return Analysis(image.width, image.height, tuple(detect_faces(image)))
