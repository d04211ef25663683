"""Generative expand for variants: decide, enqueue on `gpu`, run in the GPU worker, hand to render.

Only a configured model (MARQUEE_MODEL_DIR) sends work to the `gpu` queue; the classical
backend is cheap and runs inside the render job. The GPU job writes its canvas and mask as
content-addressed blobs and a record in Variant.generator, keyed by revision; the render job
(an RQ dependent of the GPU job) uses that canvas only if its placed pixels are exactly the
ones it would place itself, else it generates in-process, so a lost GPU job never blocks.
The GPU job's own work (and the batch it fills from its queued neighbours) is gpu_expand.py.
"""
from __future__ import annotations

import hashlib
import io
from collections import OrderedDict

import numpy as np
from flask import current_app
from PIL import Image

from app import queueing

from ..extensions import db
from ..generate import ExpandRequest, Generated, get_generator
from ..generate.registry import default_backend
from ..models import Variant
from ..render.formats import get_format
from ..render.geometry import Box
from ..render.kit import KitSpec
from ..render.baked_text import cleaned_art
from ..render.extension import CLASSICAL
from ..render.reframe import Expander, Reframe, placed_window, plan_placement, plan_reframe
from . import blob_store
from .sources import analysis_of, is_current, load_source, source_art

#: Expands made in this process, by content: the locales of a format share one background (one
#: seed per key art and format), so a render job that renders several of them expands once.
_EXPANDED: OrderedDict[tuple, tuple[Generated, str]] = OrderedDict()
_EXPANDED_MAX = 4  # a 2400x800 banner canvas is 6 MB


def generator():
    """The process's resident backend for the configured model (classical without one)."""
    cfg = current_app.config
    return get_generator(cfg["MODEL_DIR"] or None, cfg["GENERATE_DEVICE"] or None,
                         steps=cfg["GENERATE_STEPS"], max_batch=cfg["GENERATE_BATCH"],
                         backend=cfg["GENERATOR_BACKEND"] or None, compile=cfg["GENERATE_COMPILE"])


def uses_gpu_queue() -> bool:
    return bool(current_app.config["MODEL_DIR"])


def costly_expand() -> bool:
    """Whether the configured backend is a model (read from the configuration: asking the backend
    would load it). A render then decides its framing on the classical extension and asks the
    backend for the kept one only (render_variant's costly_expander), which its GPU job made."""
    cfg = current_app.config
    return (cfg["GENERATOR_BACKEND"] or default_backend(cfg["MODEL_DIR"] or None)) != CLASSICAL


def seed_for(art_sha256: str, format_key: str) -> int:
    """One seed per key art and format, so every locale of a format shares one background."""
    return int(hashlib.sha256(f"{art_sha256}:{format_key}".encode()).hexdigest()[:8], 16)


def kit_of(variant: Variant) -> KitSpec:
    """The variant's brand kit as the renderer reads it (no logo: only its reframe options are used here)."""
    return KitSpec.from_dict(dict(variant.request.brand_kit.spec))


def reframe_plan(variant: Variant, size: tuple[int, int], analysis) -> Reframe:
    """The reframe the render job will make for this revision (its crop anchor override included)
    of a source of `size`."""
    fmt = get_format(variant.format)
    return plan_reframe(size[0], size[1], analysis.faces, fmt.aspect, analysis.saliency,
                        (variant.overrides or {}).get("crop_anchor"), kit_of(variant).max_generated_share,
                        analysis.text_boxes)


def expand_inputs(variant: Variant, source: Image.Image, analysis,
                  framing: tuple[Reframe, Box | None] | None = None) -> dict | None:
    """What the reframe of this variant would ask a generator for, or None if it just crops.
    `framing`: the plan and placement its render keeps (pipeline.decide_framing), when the
    text made it move the art; else the plan's own placement."""
    fmt = get_format(variant.format)
    plan, placement = framing or (reframe_plan(variant, source.size, analysis), None)
    if plan.mode != "expand":
        return None
    placement = placement or plan_placement(plan, (fmt.width, fmt.height))
    art = variant.request.key_art
    # the art the render job reframes: without the lettering printed in it (a generator would
    # otherwise continue the letters into the new canvas)
    clean, _ = cleaned_art(source, tuple(analysis.text_boxes), tuple(analysis.faces))
    return {"image": placed_window(clean, plan.crop, placement), "size": (fmt.width, fmt.height),
            "placement": placement, "window": plan.crop, "seed": seed_for(art.sha256, fmt.key),
            "prompt": current_app.config["GENERATE_PROMPT"], "style": kit_of(variant).extension}


def png_bytes(img: Image.Image) -> bytes:
    """Lossless, so the placed art keeps its exact bytes; compress level 1: speed over size."""
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def _placed_matches(canvas: Image.Image, image: Image.Image, placement: Box) -> bool:
    region = canvas.crop((placement.x, placement.y, placement.right, placement.bottom))
    return np.array_equal(np.asarray(region.convert("RGB")), np.asarray(image.convert("RGB")))


class GenerationFailed(RuntimeError):
    pass


def _expand_once(request: ExpandRequest) -> tuple[Generated, str]:
    """The configured backend's expand and its stored mask key, once per identical request in
    this process (keyed by the placed pixels themselves, so nothing can stand in for them)."""
    key = (hashlib.blake2b(request.image.tobytes(), digest_size=16).digest(), request.image.size,
           request.canvas, tuple(request.placement.as_list()), request.prompt, request.seed, request.style)
    hit = _EXPANDED.get(key)
    if hit is None:
        out = generator().expand_batch([request])[0]
        hit = _EXPANDED[key] = (out, blob_store().put(png_bytes(out.mask)))
        while len(_EXPANDED) > _EXPANDED_MAX:
            _EXPANDED.popitem(last=False)
    _EXPANDED.move_to_end(key)
    return hit


def expander_for(variant: Variant) -> Expander:
    """The render job's expander: the GPU job's canvas for this revision when it fits exactly,
    else the configured backend run here (classical, or diffusers when the GPU job was lost)."""
    rec = variant.generator if (variant.generator or {}).get("revision") == variant.revision else None
    art_sha, fmt_key = variant.request.key_art.sha256, variant.format
    style = kit_of(variant).extension

    def expand(image: Image.Image, size: tuple[int, int], placement: Box) -> tuple[Image.Image, dict]:
        store = blob_store()
        if rec and rec.get("error"):
            raise GenerationFailed(f"generative expand failed on the gpu queue: {rec['error']}")
        if rec and rec.get("canvas_key") and rec.get("placement") == placement.as_list():
            canvas = Image.open(io.BytesIO(store.get(rec["canvas_key"]))).convert("RGB")
            if canvas.size == tuple(size) and _placed_matches(canvas, image, placement):
                return canvas, {k: v for k, v in rec.items() if k != "revision"}
        out, mask_key = _expand_once(ExpandRequest(image, size, placement, current_app.config["GENERATE_PROMPT"],
                                                   seed_for(art_sha, fmt_key), style))
        return out.image.copy(), {**out.provenance, "op": "expand", "queue": "render",
                                  "placement": placement.as_list(), "canvas_key": None, "mask_key": mask_key}

    return expand


def may_expand(variant: Variant) -> bool:
    """Whether the variant's reframe expands: exactly when the key art's analysis is there (no
    pixels decoded: the plan needs sizes, faces and saliency); without it, whenever the format's
    aspect differs from the art's (only a same-aspect crop can never expand)."""
    art = source_art(variant.request.key_art)
    if is_current(art):
        return reframe_plan(variant, (art.width, art.height), analysis_of(art)).mode == "expand"
    return abs(get_format(variant.format).aspect - art.width / art.height) > 1e-3


def enqueue_generation(variants: list[Variant]) -> dict[int, str]:
    """Put the variants that need generative expand on the gpu queue as one batched job.
    Returns {variant id: gpu job id} for the render jobs to depend on. Without the key art's
    analysis yet (its job still waits on the render queue) the job takes every variant that may
    expand, and skips those that turn out to crop; it does not wait for the analysis job (it is
    on the gpu queue at once), so if it starts first it analyses the art itself."""
    if not uses_gpu_queue() or not variants:
        return {}
    need = [v for v in variants if may_expand(v)]
    if not need:
        return {}
    pairs = sorted((v.id, v.revision) for v in need)
    job_id = queueing.job_id_for("gen-" + hashlib.sha256(repr(pairs).encode()).hexdigest()[:20])
    queueing.enqueue_once(queueing.GPU, "jobs.generate.generate_job", job_id, pairs,
                          timeout=current_app.config["GENERATE_JOB_TIMEOUT"])
    return {v.id: job_id for v in need}
