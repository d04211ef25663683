"""The analysis result: plain, JSON-round-trippable data cached with the key art."""
from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..geometry import Box

#: Bumped whenever detectors or fields change: callers re-analyze a cached analysis of another version.
#: 3: learned face detector, animal faces, `subjects` with kind and score, stricter text.
#: 4: text lines completed along their row (a title is found from its first letter to its last).
#: 5: the head around a turned face (`heads`, from the face detector's keypoints).
ANALYSIS_VERSION = 5

#: Kinds of subject. Faces and animal faces must never be cut or covered; a salient box is a hint.
FACE, ANIMAL_FACE, SALIENT = "face", "animal_face", "salient"
PROTECTED_KINDS = (FACE, ANIMAL_FACE)


@dataclass(frozen=True)
class Subject:
    """One thing the art is about: where, what kind, and how sure the detector is (0..1)."""

    kind: str
    box: Box
    score: float
    #: A turned face's head, where it reaches past the box (the back and top of the skull); None
    #: when the box is the whole of what must stay clear (a face seen from the front, an animal).
    head: Box | None = None

    def __post_init__(self) -> None:
        # Rounded once here so that an analysis equals its JSON round trip.
        object.__setattr__(self, "score", round(float(self.score), 4))

    def to_json(self) -> dict:
        out = {"kind": self.kind, "box": self.box.as_list(), "score": self.score}
        return {**out, "head": self.head.as_list()} if self.head else out

    @classmethod
    def from_json(cls, d: dict) -> "Subject":
        head = d.get("head")
        return cls(str(d["kind"]), Box.from_list(d["box"]), float(d.get("score", 1.0)),
                   Box.from_list(head) if head else None)


@dataclass(frozen=True)
class SaliencyMap:
    """A small grid of 0..255 saliency values covering the whole image."""

    width: int
    height: int
    data: bytes

    def array(self) -> np.ndarray:
        return np.frombuffer(self.data, dtype=np.uint8).reshape(self.height, self.width)

    def resized(self, w: int, h: int, without: tuple[Box, ...] = ()) -> np.ndarray:
        """The map as float32 in [0, 1] at (w, h), for scoring windows in source pixels; 0 over
        the boxes `without` (source pixels) and the map cell around them (the resize spreads a
        cell's value into its neighbour). The blur's wider halo is left: zeroing it also zeroed
        the subject beside a title (the top of the flower under flower-title's lettering)."""
        out = cv2.resize(self.array().astype(np.float32) / 255.0, (w, h), interpolation=cv2.INTER_LINEAR)
        cx, cy = math.ceil(w / self.width), math.ceil(h / self.height)
        for b in without:
            out[max(0, b.y - cy):max(0, b.bottom + cy), max(0, b.x - cx):max(0, b.right + cx)] = 0.0
        return out

    def to_json(self) -> dict:
        return {"w": self.width, "h": self.height, "b64": base64.b64encode(self.data).decode("ascii")}

    @classmethod
    def from_json(cls, d: dict) -> "SaliencyMap":
        return cls(int(d["w"]), int(d["h"]), base64.b64decode(d["b64"]))


@dataclass(frozen=True)
class Analysis:
    width: int
    height: int
    #: Boxes that must never be cut or covered: human faces and animal faces (see `subjects`).
    faces: tuple[Box, ...] = field(default_factory=tuple)
    version: int = ANALYSIS_VERSION
    saliency: SaliencyMap | None = None
    text_boxes: tuple[Box, ...] = field(default_factory=tuple)
    #: (hex colour, share of pixels), largest share first.
    palette: tuple[tuple[str, float], ...] = field(default_factory=tuple)
    #: Every subject found, with kind and confidence, most confident first.
    subjects: tuple[Subject, ...] = field(default_factory=tuple)
    #: The detector names that produced this analysis, in the order they ran.
    detectors: tuple[str, ...] = field(default_factory=tuple)
    #: One per face, in the same order: the head marks keep clear of (the face box itself unless
    #: the face is turned, see Subject.head).
    heads: tuple[Box, ...] = field(default_factory=tuple)

    def subjects_of(self, *kinds: str) -> list[Subject]:
        return [s for s in self.subjects if s.kind in kinds]

    def head_boxes(self) -> tuple[Box, ...]:
        """`heads`, or the faces themselves for an analysis made without them."""
        return self.heads if len(self.heads) == len(self.faces) else self.faces

    def to_json(self) -> dict:
        return {"version": self.version, "width": self.width, "height": self.height,
                "faces": [f.as_list() for f in self.faces],
                "saliency": self.saliency.to_json() if self.saliency else None,
                "text_boxes": [b.as_list() for b in self.text_boxes],
                "palette": [[c, s] for c, s in self.palette],
                "subjects": [s.to_json() for s in self.subjects],
                "detectors": list(self.detectors), "heads": [b.as_list() for b in self.heads]}

    @classmethod
    def from_json(cls, data: dict) -> "Analysis":
        sal = data.get("saliency")
        return cls(int(data["width"]), int(data["height"]),
                   tuple(Box.from_list(f) for f in data.get("faces", [])),
                   int(data.get("version", ANALYSIS_VERSION)),
                   SaliencyMap.from_json(sal) if sal else None,
                   tuple(Box.from_list(b) for b in data.get("text_boxes", [])),
                   tuple((str(c), float(s)) for c, s in data.get("palette", [])),
                   tuple(Subject.from_json(s) for s in data.get("subjects", [])),
                   tuple(str(d) for d in data.get("detectors", [])),
                   tuple(Box.from_list(b) for b in data.get("heads", [])))
