"""The detector interface and registry: each detector adds its findings to one shared Context.

A detector is a function Context -> None with a name in DETECTORS; analyze() runs the names
it is given in order, so a configuration is just a tuple of names (DEFAULT_DETECTORS when the
caller has none). Later detectors may read what earlier ones found (the salient subject is
only looked for when no face was found, and reuses the saliency map).

The heavy part of a detector (HEAVY: the face network, the cat cascades, MSER) reads the work
image alone, never what another detector found, so analyze() may start them all at once in
threads (OpenCV releases the GIL) and the detectors, still run in order, take their results:
the findings are the same, the wall time is the slowest detector's instead of their sum."""
from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import numpy as np
from PIL import Image

from ..geometry import Box
from . import animals, faces
from .boxes import overlaps
from .haar import detect_faces_haar
from .model import ANIMAL_FACE, FACE, PROTECTED_KINDS, SALIENT, SaliencyMap, Subject
from .palette import dominant_palette
from .saliency import salient_box, spectral_residual_saliency
from .text import detect_text

WORK_SIDE = 1536        # detectors see a copy no larger than this: a 24 MP art costs as much as a 2 MP one


@dataclass
class Context:
    """The image being analysed and what the detectors have found so far."""

    image: Image.Image                       # RGB, source pixels
    subjects: list[Subject] = field(default_factory=list)
    saliency: SaliencyMap | None = None
    text_boxes: list[Box] = field(default_factory=list)
    palette: list[tuple[str, float]] = field(default_factory=list)
    started: dict[str, Future] = field(default_factory=dict)   # HEAVY results being made in threads

    def heavy(self, name: str) -> object:
        """The detector's HEAVY result: the one started in a thread, else made here."""
        future = self.started.get(name)
        return future.result() if future is not None else HEAVY[name](self)

    @cached_property
    def work_image(self) -> Image.Image:
        """The image with its long side at most WORK_SIDE (PIL's reducing_gap: a box reduce first,
        so a 24 MP art shrinks in tens of milliseconds)."""
        s = WORK_SIDE / max(self.image.size)
        if s >= 1:
            return self.image
        size = (max(1, round(self.image.width * s)), max(1, round(self.image.height * s)))
        return self.image.resize(size, Image.Resampling.BILINEAR, reducing_gap=1.0)

    @cached_property
    def work(self) -> np.ndarray:
        """RGB uint8 array of work_image."""
        return np.asarray(self.work_image)

    def to_source(self, xyxy: tuple[float, float, float, float]) -> Box:
        """A (x0, y0, x1, y1) box in work pixels -> a Box in source pixels, clipped to the image."""
        sx, sy = self.image.width / self.work.shape[1], self.image.height / self.work.shape[0]
        x0, y0 = max(0.0, xyxy[0] * sx), max(0.0, xyxy[1] * sy)
        x1, y1 = min(float(self.image.width), xyxy[2] * sx), min(float(self.image.height), xyxy[3] * sy)
        x, y = int(round(x0)), int(round(y0))
        return Box(x, y, max(1, int(round(x1)) - x), max(1, int(round(y1)) - y))

    def protected(self) -> list[Subject]:
        return [s for s in self.subjects if s.kind in PROTECTED_KINDS]


Detector = Callable[[Context], None]


def run_faces(ctx: Context) -> None:
    for hit in ctx.heavy("faces"):
        head = hit.head
        ctx.subjects.append(Subject(FACE, ctx.to_source(hit.xyxy), hit.score,
                                    ctx.to_source(head) if head != hit.xyxy else None))


def run_haar_faces(ctx: Context) -> None:
    """Score 1.0: the cascade gives no confidence."""
    ctx.subjects += [Subject(FACE, b, 1.0) for b in detect_faces_haar(ctx.image)]


def run_animal_faces(ctx: Context) -> None:
    """Cat faces, except where a human face already is (a person is not also a cat)."""
    people = np.array([[s.box.x, s.box.y, s.box.right, s.box.bottom] for s in ctx.subjects if s.kind == FACE],
                      dtype=np.float64).reshape(-1, 4)
    for xyxy, score in ctx.heavy("animal_faces"):
        box = ctx.to_source(xyxy)
        b = np.array([box.x, box.y, box.right, box.bottom], dtype=np.float64)
        if len(people) and float(overlaps(b, people, "min").max()) > 0.3:
            continue
        ctx.subjects.append(Subject(ANIMAL_FACE, box, score))


def run_saliency(ctx: Context) -> None:
    ctx.saliency = spectral_residual_saliency(ctx.work_image)


def run_salient_subject(ctx: Context) -> None:
    """Only when nothing protected was found: the art is then about whatever stands out."""
    if ctx.protected():
        return
    sal = ctx.saliency or spectral_residual_saliency(ctx.work_image)
    found = salient_box(sal, ctx.image.width, ctx.image.height)
    if found is not None:
        (x0, y0, x1, y1), score = found
        ctx.subjects.append(Subject(SALIENT, Box(round(x0), round(y0), max(1, round(x1 - x0)), max(1, round(y1 - y0))), score))


def run_text(ctx: Context) -> None:
    sx = ctx.image.width / ctx.work.shape[1]
    sy = ctx.image.height / ctx.work.shape[0]
    ctx.text_boxes = [Box(round(b.x * sx), round(b.y * sy), round(b.w * sx), round(b.h * sy))
                      for b in ctx.heavy("text")]


def run_palette(ctx: Context) -> None:
    ctx.palette = dominant_palette(ctx.work_image)


#: Each detector's work that depends on the work image alone (may run in a thread, see analyze()).
HEAVY: dict[str, Callable[[Context], list]] = {
    "faces": lambda ctx: faces.detect(ctx.work),
    "animal_faces": lambda ctx: animals.detect(ctx.work),
    "text": lambda ctx: detect_text(ctx.work_image),
}

DETECTORS: dict[str, Detector] = {
    "faces": run_faces,
    "haar_faces": run_haar_faces,
    "animal_faces": run_animal_faces,
    "saliency": run_saliency,
    "salient_subject": run_salient_subject,
    "text": run_text,
    "palette": run_palette,
}

#: What analyze() runs when the caller names nothing.
DEFAULT_DETECTORS: tuple[str, ...] = ("faces", "animal_faces", "saliency", "salient_subject", "text", "palette")


def resolve(names: tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """The detector names to run, checked: an unknown name is an error that lists the known ones."""
    if names is None:
        return DEFAULT_DETECTORS
    names = tuple(names)
    unknown = [n for n in names if n not in DETECTORS]
    if unknown:
        raise ValueError(f"unknown detector(s) {unknown}; known: {sorted(DETECTORS)}")
    return names
