"""Key-art analysis done once per key art: subjects (faces, animal faces, the salient subject),
a saliency map, baked-in text and a palette.

Everything runs offline from installed packages, through small detectors behind one interface
(detectors.py), chosen by a tuple of names. The result is plain data, cached by the caller
with the key art (KeyArt.analysis JSON) and recomputed when ANALYSIS_VERSION changes.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

from PIL import Image

from ..geometry import Box
from .detectors import DEFAULT_DETECTORS, DETECTORS, HEAVY, Context, resolve
from .haar import detect_faces_haar
from .model import ANALYSIS_VERSION, ANIMAL_FACE, FACE, PROTECTED_KINDS, SALIENT, Analysis, SaliencyMap, Subject
from .palette import dominant_palette
from .saliency import spectral_residual_saliency
from .text import detect_text

__all__ = ["ANALYSIS_VERSION", "ANIMAL_FACE", "DEFAULT_DETECTORS", "DETECTORS", "FACE", "PROTECTED_KINDS",
           "SALIENT", "Analysis", "SaliencyMap", "Subject", "analyze", "detect_faces", "detect_faces_haar",
           "detect_text", "dominant_palette", "spectral_residual_saliency"]


def analyze(image: Image.Image, detectors: tuple[str, ...] | list[str] | None = None, threads: int = 1) -> Analysis:
    """Run the named detectors (default: DEFAULT_DETECTORS) on the image, in order. With
    `threads` > 1 their heavy parts start at once in that many threads (same findings; the
    wall time of the slowest instead of the sum, on a host with the cores to spare)."""
    names = resolve(detectors)
    ctx = Context(image if image.mode == "RGB" else image.convert("RGB"))
    heavy = [n for n in names if n in HEAVY]
    threaded = threads > 1 and len(heavy) > 1
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="analyze") if threaded else nullcontext() as pool:
        if pool is not None:
            ctx.work  # noqa: B018 - made once here, before the threads read it
            ctx.started = {n: pool.submit(HEAVY[n], ctx) for n in heavy}
        for name in names:
            DETECTORS[name](ctx)
    subjects = tuple(sorted(ctx.subjects, key=lambda s: -s.score))
    protected = [s for s in subjects if s.kind in PROTECTED_KINDS]
    return Analysis(ctx.image.width, ctx.image.height, tuple(s.box for s in protected), ANALYSIS_VERSION,
                    ctx.saliency, tuple(ctx.text_boxes), tuple(ctx.palette), subjects, names,
                    tuple(s.head or s.box for s in protected))


def detect_faces(image: Image.Image) -> list[Box]:
    """Human faces in source pixels (the learned detector), most confident first."""
    return list(analyze(image, ("faces",)).faces)
