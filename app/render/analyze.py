"""Key-art analysis done once per key art: faces, a saliency map, baked-in text, palette.

Everything here runs offline from installed packages:
- faces: OpenCV's Haar cascade, shipped inside opencv-python-headless;
- saliency: the spectral residual method (Hou & Zhang 2007) written with numpy/cv2, because
  cv2.saliency lives in opencv-contrib, which we do not install;
- baked-in text: MSER character candidates grouped into lines (OpenCV core). Tesseract is
  a test-only dependency, and the EAST/DB text detectors need weights we cannot ship, so the
  app uses this geometric heuristic: it is tuned to miss little title-sized text and is used
  as a keep-out map and for removal suggestions, never to delete pixels on its own;
- palette: k-means in RGB on a downscaled copy, seeded so it is the same every run.
The result is plain data, cached by the caller with the key art (KeyArt.analysis JSON).
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image

from .geometry import Box

ANALYSIS_VERSION = 2
_DETECT_MAX_SIDE = 1024
_SALIENCY_SIDE = 64      # the stored map's long side, in cells
_TEXT_MAX_SIDE = 1024


@dataclass(frozen=True)
class SaliencyMap:
    """A small grid of 0..255 saliency values covering the whole image."""

    width: int
    height: int
    data: bytes

    def array(self) -> np.ndarray:
        return np.frombuffer(self.data, dtype=np.uint8).reshape(self.height, self.width)

    def resized(self, w: int, h: int) -> np.ndarray:
        """The map as float32 in [0, 1] at (w, h), for scoring windows in source pixels."""
        return cv2.resize(self.array().astype(np.float32) / 255.0, (w, h), interpolation=cv2.INTER_LINEAR)

    def to_json(self) -> dict:
        return {"w": self.width, "h": self.height, "b64": base64.b64encode(self.data).decode("ascii")}

    @classmethod
    def from_json(cls, d: dict) -> "SaliencyMap":
        return cls(int(d["w"]), int(d["h"]), base64.b64decode(d["b64"]))


@dataclass(frozen=True)
class Analysis:
    width: int
    height: int
    faces: tuple[Box, ...] = field(default_factory=tuple)
    version: int = ANALYSIS_VERSION
    saliency: SaliencyMap | None = None
    text_boxes: tuple[Box, ...] = field(default_factory=tuple)
    #: (hex colour, share of pixels), largest share first.
    palette: tuple[tuple[str, float], ...] = field(default_factory=tuple)

    def keep_out(self) -> list[Box]:
        """What layout must not cover and reframing must not cut: faces and baked-in text."""
        return list(self.faces) + list(self.text_boxes)

    def to_json(self) -> dict:
        return {"version": self.version, "width": self.width, "height": self.height,
                "faces": [f.as_list() for f in self.faces],
                "saliency": self.saliency.to_json() if self.saliency else None,
                "text_boxes": [b.as_list() for b in self.text_boxes],
                "palette": [[c, s] for c, s in self.palette]}

    @classmethod
    def from_json(cls, data: dict) -> "Analysis":
        sal = data.get("saliency")
        return cls(int(data["width"]), int(data["height"]),
                   tuple(Box.from_list(f) for f in data.get("faces", [])),
                   int(data.get("version", ANALYSIS_VERSION)),
                   SaliencyMap.from_json(sal) if sal else None,
                   tuple(Box.from_list(b) for b in data.get("text_boxes", [])),
                   tuple((str(c), float(s)) for c, s in data.get("palette", [])))


@lru_cache(maxsize=1)
def _face_cascade() -> cv2.CascadeClassifier:
    path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(f"OpenCV face cascade failed to load from {path}")
    return cascade


def _downscaled(image: Image.Image, max_side: int) -> tuple[Image.Image, float]:
    scale = min(1.0, max_side / max(image.size))
    if scale == 1.0:
        return image, 1.0
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BILINEAR), scale


def detect_faces(image: Image.Image) -> list[Box]:
    """Frontal faces in source pixel coordinates, detected on a downscaled grey copy."""
    small, scale = _downscaled(image, _DETECT_MAX_SIDE)
    grey = cv2.equalizeHist(cv2.cvtColor(np.asarray(small.convert("RGB")), cv2.COLOR_RGB2GRAY))
    min_side = max(24, round(min(small.size) * 0.06))
    found = _face_cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=6,
                                             minSize=(min_side, min_side))
    inv = 1.0 / scale
    return [Box(int(x), int(y), int(w), int(h)).scaled(inv) for (x, y, w, h) in found]


def spectral_residual_saliency(image: Image.Image, side: int = _SALIENCY_SIDE) -> SaliencyMap:
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


def _nms(boxes: list[Box], thresh: float = 0.5) -> list[Box]:
    keep: list[Box] = []
    for b in sorted(boxes, key=lambda b: -b.area):
        if all(b.intersection(k) / max(1, min(b.area, k.area)) < thresh for k in keep):
            keep.append(b)
    return keep


def _char_candidates(grey: np.ndarray) -> list[Box]:
    h, w = grey.shape
    mser = cv2.MSER_create(5, 20, max(60, int(h * w * 0.004)))
    out = []
    for plane in (grey, 255 - grey):
        regions, boxes = mser.detectRegions(plane)
        for pts, (x, y, bw, bh) in zip(regions, boxes):
            if bh < 8 or bh > h * 0.25 or not 0.08 <= bw / bh <= 1.6:
                continue
            if x <= 1 or y <= 1 or x + bw >= w - 1 or y + bh >= h - 1:
                continue  # cut by the frame: folds and edges, rarely lettering
            fill = len(pts) / float(bw * bh)
            if 0.15 <= fill <= 0.92:
                out.append(Box(int(x), int(y), int(bw), int(bh)))
    return _nms(out)


def _group_lines(chars: list[Box]) -> list[Box]:
    """Chain character boxes of similar height on one baseline into text lines (3+ characters)."""
    chars = sorted(chars, key=lambda b: b.x)
    used = [False] * len(chars)
    lines = []
    for i, c in enumerate(chars):
        if used[i]:
            continue
        members, last = [c], c
        for j in range(i + 1, len(chars)):
            d = chars[j]
            if used[j]:
                continue
            gap = d.x - last.right
            if gap > 1.0 * max(last.h, d.h):
                if d.x > last.right + 3 * last.h:
                    break
                continue
            same_h = max(d.h, last.h) / max(1, min(d.h, last.h)) < 1.5
            cy_close = abs((d.y + d.h / 2) - (last.y + last.h / 2)) < 0.35 * max(d.h, last.h)
            if same_h and cy_close and gap > -0.1 * last.h:
                members.append(d)
                used[j] = True
                last = d
        if len(members) >= 3:
            u = members[0]
            for m in members[1:]:
                u = u.union(m)
            heights = sorted(m.h for m in members)
            med = heights[len(heights) // 2]
            tops = np.array([m.y for m in members], dtype=np.float32)
            bottoms = np.array([m.bottom for m in members], dtype=np.float32)
            aligned = min(float(tops.std()), float(bottoms.std())) < 0.12 * med
            # Text is a row of similar marks sharing a baseline or cap line, longer than tall.
            if u.w >= 1.5 * u.h and heights[-1] <= 2.0 * heights[0] and aligned:
                used[i] = True
                lines.append(u)
    return _nms(lines, 0.3)


def detect_text(image: Image.Image) -> list[Box]:
    """Boxes of lines of text baked into the art, in source pixels, padded a little."""
    small, scale = _downscaled(image, _TEXT_MAX_SIDE)
    grey = cv2.cvtColor(np.asarray(small.convert("RGB")), cv2.COLOR_RGB2GRAY)
    lines = _group_lines(_char_candidates(grey))
    inv = 1.0 / scale
    out = []
    for b in lines:
        pad = max(2, round(b.h * 0.15))
        x0, y0 = max(0, b.x - pad), max(0, b.y - pad)
        x1, y1 = min(small.width, b.right + pad), min(small.height, b.bottom + pad)
        out.append(Box(x0, y0, x1 - x0, y1 - y0).scaled(inv))
    return out


def dominant_palette(image: Image.Image, k: int = 5) -> list[tuple[str, float]]:
    """k dominant colours by k-means (seeded: the same image gives the same palette)."""
    small, _ = _downscaled(image.convert("RGB"), 96)
    px = np.asarray(small, dtype=np.float32).reshape(-1, 3)
    k = max(1, min(k, len(px)))
    cv2.setRNGSeed(1234)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.5)
    _, labels, centers = cv2.kmeans(px, k, None, criteria, 3, cv2.KMEANS_PP_CENTERS)
    counts = np.bincount(labels.ravel(), minlength=k).astype(np.float64)
    order = np.argsort(-counts)
    return [("#%02x%02x%02x" % tuple(int(round(v)) for v in centers[i]), round(float(counts[i] / counts.sum()), 4))
            for i in order if counts[i] > 0]


def analyze(image: Image.Image) -> Analysis:
    rgb = image.convert("RGB")
    return Analysis(rgb.width, rgb.height, tuple(detect_faces(rgb)), ANALYSIS_VERSION,
                    spectral_residual_saliency(rgb), tuple(detect_text(rgb)), tuple(dominant_palette(rgb)))
