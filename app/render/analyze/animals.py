"""Cat faces with OpenCV's frontal cat-face Haar cascades (shipped in the opencv wheel).

A single cascade run fires on fur and foliage, and misses a close-up whose ears leave the
frame. So both cascades (plain and extended) run over several views, each view the image
with a plain border of a different width at a different size, with minNeighbors=1; a box
is kept only where enough views agree (the same box, IoU >= 0.5, in >= VOTES of the 8 views),
which rejects the scattered one-off hits: on the evaluation set no cat face was found on
people, textures or scenes, and 5 of 6 views of the cat were (a title over its brow hides
it). The score is the share of views that agreed.
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from .boxes import nms, overlaps

CASCADES = ("haarcascade_frontalcatface.xml", "haarcascade_frontalcatface_extended.xml")
PADS = (0.3, 0.6)                 # border, as a share of the long side
SIDES = (150, 210)                # long side of each view, border included (cat faces >= ~4% of the art)
VOTES = 0.25                      # share of views that must agree
AGREE_IOU = 0.5
MIN_FACE = 0.15                   # smallest cat face searched, as a share of the art's long side


@lru_cache(maxsize=None)
def _cascade(name: str) -> cv2.CascadeClassifier:
    c = cv2.CascadeClassifier(cv2.data.haarcascades + name)
    if c.empty():
        raise RuntimeError(f"OpenCV cascade {name} failed to load")
    return c


def detect(rgb: np.ndarray) -> list[tuple[tuple[float, float, float, float], float]]:
    """Cat faces as ((x0, y0, x1, y1), score) in the array's pixels (may reach past the frame)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    h, w = grey.shape
    pre = min(1.0, max(SIDES) / max(h, w))           # shrink once; the views are all small
    if pre < 1.0:
        grey = cv2.resize(grey, None, fx=pre, fy=pre, interpolation=cv2.INTER_AREA)
        h, w = grey.shape
    views = []
    for pad in PADS:
        p = int(round(max(h, w) * pad))
        padded = cv2.copyMakeBorder(grey, p, p, p, p, cv2.BORDER_CONSTANT, value=128)
        for side in SIDES:
            s = side / max(padded.shape)
            small = cv2.resize(padded, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
            min_side = max(24, round(MIN_FACE * max(h, w) * s))
            views.append((small, s * pre, p / pre, min_side))
    hits = []                                          # (x0, y0, x1, y1, view)
    for name in CASCADES:
        for v, (small, s, p, min_side) in enumerate(views):
            for x, y, bw, bh in _cascade(name).detectMultiScale(small, 1.1, 1, minSize=(min_side, min_side)):
                hits.append((x / s - p, y / s - p, (x + bw) / s - p, (y + bh) / s - p, v + len(views) * CASCADES.index(name)))
    if not hits:
        return []
    arr = np.array(hits, dtype=np.float64)
    boxes, view_ids = arr[:, :4], arr[:, 4].astype(int)
    n_views = len(views) * len(CASCADES)
    # For each hit, how many distinct views saw about the same box.
    support = np.array([len(set(view_ids[overlaps(b, boxes) >= AGREE_IOU])) for b in boxes], dtype=np.float64)
    share = support / n_views
    keep = nms(boxes, share, 0.3)
    return [(tuple(boxes[i]), float(share[i])) for i in keep if share[i] >= VOTES]
