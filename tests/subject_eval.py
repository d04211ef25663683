"""Scoring detectors on the labelled subject set: precision and recall per category.

A detection matches a labelled box when their intersection over union is at least MATCH_IOU
(boxes from different detectors frame a face differently, brow-to-chin or hair-to-chin, so the
usual 0.5 would count well-placed boxes as misses). Each labelled box matches at most once."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from subject_set import TARGET_AREA, Labelled

MATCH_IOU = 0.3
NO_FACE_CATEGORIES = ("texture", "scene")

Box4 = tuple[int, int, int, int]
#: A detector under test: image -> (protected boxes (faces and animal faces), text boxes), as (x, y, w, h).
Detector = Callable[[object], tuple[list[Box4], list[Box4]]]


def iou(a: Box4, b: Box4) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / max(1e-9, a[2] * a[3] + b[2] * b[3] - inter)


def covered(target: Box4, boxes: list[Box4]) -> float:
    """Share of target's area inside the union of boxes (pixel-exact on target's grid)."""
    import numpy as np

    x, y, w, h = target
    m = np.zeros((max(1, h), max(1, w)), bool)
    for bx, by, bw, bh in boxes:
        x0, y0 = max(0, bx - x), max(0, by - y)
        x1, y1 = min(w, bx + bw - x), min(h, by + bh - y)
        if x1 > x0 and y1 > y0:
            m[y0:y1, x0:x1] = True
    return float(m.mean())


@dataclass
class Tally:
    tp: int = 0           # detections matching a labelled face
    fp: int = 0
    found: int = 0        # labelled faces found
    total: int = 0
    found_target: int = 0  # labelled faces >= TARGET_AREA of the image, found
    total_target: int = 0
    text_found: int = 0
    text_total: int = 0
    false_text: int = 0   # text lines on images that have none (textures, scenes)
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        for k in ("tp", "fp", "found", "total", "found_target", "total_target", "text_found", "text_total",
                  "false_text", "seconds"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.misses += other.misses
        self.false += other.false

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.total if self.total else 1.0

    @property
    def recall_target(self) -> float:
        return self.found_target / self.total_target if self.total_target else 1.0


def score_one(item: Labelled, faces: list[Box4], text: list[Box4]) -> Tally:
    t = Tally()
    truth = item.boxes("face", "animal_face")
    area = item.image.width * item.image.height
    used: set[int] = set()
    for d in sorted(faces, key=lambda b: -b[2] * b[3]):
        best = max(((iou(d, g), i) for i, g in enumerate(truth) if i not in used), default=(0.0, -1))
        if best[0] >= MATCH_IOU:
            used.add(best[1])
            t.tp += 1
        else:
            t.fp += 1
            t.false.append(f"{item.name}:{list(d)}")
    for i, g in enumerate(truth):
        big = g[2] * g[3] >= TARGET_AREA * area
        t.total += 1
        t.total_target += big
        if i in used:
            t.found += 1
            t.found_target += big
        else:
            t.misses.append(f"{item.name}:{list(g)}")
    for g in item.boxes("text"):
        t.text_total += 1
        t.text_found += covered(g, text) >= 0.5
    if item.category in NO_FACE_CATEGORIES:
        t.false_text += len(text)
    return t


def evaluate(items: list[Labelled], detector: Detector) -> dict[str, Tally]:
    """Tallies per category, plus 'people' (every category but animal: human faces) and 'all'."""
    out: dict[str, Tally] = {}
    total = Tally()
    for item in items:
        start = time.perf_counter()
        faces, text = detector(item.image)
        t = score_one(item, faces, text)
        t.seconds = time.perf_counter() - start
        out.setdefault(item.category, Tally()).add(t)
        if item.category != "animal":
            out.setdefault("people", Tally()).add(t)
        total.add(t)
    out["all"] = total
    return out


def old_detector(image) -> tuple[list[Box4], list[Box4]]:
    """Analysis version 2: the Haar face cascade and MSER text without stroke checks."""
    from app.render.analyze import detect_faces_haar, detect_text

    return ([tuple(b.as_list()) for b in detect_faces_haar(image)],
            [tuple(b.as_list()) for b in detect_text(image, strict=False)])


def new_detector(image) -> tuple[list[Box4], list[Box4]]:
    """The default detectors of this version (subjects and text; saliency and palette are not scored)."""
    from app.render.analyze import analyze

    a = analyze(image, ("faces", "animal_faces", "text"))
    return [tuple(b.as_list()) for b in a.faces], [tuple(b.as_list()) for b in a.text_boxes]


def table(old: dict[str, Tally], new: dict[str, Tally]) -> str:
    """Old and new side by side: precision, recall (all, and faces >= 2% of the image), text."""
    head = (f"{'category':<9} | {'old P':>6} {'old R':>6} {'R>=2%':>6} {'FP':>3} {'text':>5} {'ftxt':>4} {'s':>5} |"
            f" {'new P':>6} {'new R':>6} {'R>=2%':>6} {'FP':>3} {'text':>5} {'ftxt':>4} {'s':>5} | faces")
    lines = [head, "-" * len(head)]
    cats = [c for c in new if c not in ("people", "all")] + ["people", "all"]
    for c in cats:
        row = [f"{c:<9}"]
        for t in (old[c], new[c]):
            txt = f"{t.text_found}/{t.text_total}" if t.text_total else "-"
            row.append(f"{t.precision:6.2f} {t.recall:6.2f} {t.recall_target:6.2f} {t.fp:3d} {txt:>5} {t.false_text:4d} {t.seconds:5.1f}")
        row.append(f"{new[c].total}")
        lines.append(" | ".join(row))
    return "\n".join(lines)


def false_text(items: list[Labelled], detector: Detector) -> list[str]:
    """Text boxes found on images that have none (textures, scenes), for inspection."""
    out = []
    for item in items:
        if item.category in NO_FACE_CATEGORIES:
            out += [f"{item.name}:{list(b)}" for b in detector(item.image)[1]]
    return out
