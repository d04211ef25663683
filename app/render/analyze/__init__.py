"""Key-art analysis done once per key art: subjects (faces, animal faces, the salient subject),
a saliency map, baked-in text and a palette.

Everything runs offline from installed packages, through small detectors behind one interface
(detectors.py), chosen by a tuple of names. The result is plain data, cached by the caller
with the key art (KeyArt.analysis JSON) and recomputed when ANALYSIS_VERSION changes.
"""
from __future__ import annotations

from PIL import Image

from ..geometry import Box
from .detectors import DEFAULT_DETECTORS, DETECTORS, Context, resolve
from .haar import detect_faces_haar
from .model import ANALYSIS_VERSION, ANIMAL_FACE, FACE, PROTECTED_KINDS, SALIENT, Analysis, SaliencyMap, Subject
from .palette import dominant_palette
from .saliency import spectral_residual_saliency
from .text import detect_text

__all__ = ["ANALYSIS_VERSION", "ANIMAL_FACE", "DEFAULT_DETECTORS", "DETECTORS", "FACE", "PROTECTED_KINDS",
           "SALIENT", "Analysis", "SaliencyMap", "Subject", "analyze", "detect_faces", "detect_faces_haar",
           "detect_text", "dominant_palette", "spectral_residual_saliency"]


def analyze(image: Image.Image, detectors: tuple[str, ...] | list[str] | None = None) -> Analysis:
    """Run the named detectors (default: DEFAULT_DETECTORS) on the image, in order."""
    names = resolve(detectors)
    ctx = Context(image if image.mode == "RGB" else image.convert("RGB"))
    for name in names:
        DETECTORS[name](ctx)
    subjects = tuple(sorted(ctx.subjects, key=lambda s: -s.score))
    faces = tuple(s.box for s in subjects if s.kind in PROTECTED_KINDS)
    return Analysis(ctx.image.width, ctx.image.height, faces, ANALYSIS_VERSION, ctx.saliency,
                    tuple(ctx.text_boxes), tuple(ctx.palette), subjects, names)


def detect_faces(image: Image.Image) -> list[Box]:
    """Human faces in source pixels (the learned detector), most confident first."""
    return list(analyze(image, ("faces",)).faces)
