"""The render queue in units that share work: one job renders several locales of one format.

Reframing and the resize to a format's size depend on the key art and the format, not on the
locale; so do the decoded key art and its analysis. One render job per chunk of a format's
locales (`plan_chunks`) decodes the art once, reuses its analysis and the format's canvas, and
pays the work-horse start-up once. Chunks are sized by output pixels so that two or more
workers share a request evenly whatever order RQ releases them in, biggest first.

Each variant revision still has its own RQ job, `queueing.render_job_id`: a fallback deferred on its
chunk's job (app.queue_fallbacks). The chunk's job claims a variant only while that job still
waits on it, records it exactly as a job of its own would (claim, attempt token, conditional
write), then marks the variant's job done. So the reconciler, which looks up one job per
variant, sees the variant waiting while the chunk's job lives, and requeues the variant on its
own when it is lost. Variants that wait for a GPU job keep plain per-variant jobs.
"""
from __future__ import annotations

import hashlib
import math
from collections import defaultdict

from flask import current_app
from rq.job import JobStatus

from app import queueing

from ..extensions import db
from ..models import Variant
from ..models.base import utcnow
from ..render.formats import get_format
from .generation import enqueue_generation
from .sources import ensure_analysis

RENDER_FUNC = "jobs.render.render_variant_job"
CHUNK_FUNC = "jobs.render.render_chunk_job"

#: Output pixels one render job takes on: about a sixteenth of the sample matrix (19 locales x 8
#: formats = 296 Mpx), so a poster chunk holds 3 locales and a small thumbnail's one holds all.
CHUNK_PIXELS = 18_000_000

_ACTIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED,
           JobStatus.READY_TO_ENQUEUE}


def variant_job_id(variant_id: int, revision: int) -> str:
    """The variant revision's own RQ job id (app.queueing names it)."""
    return queueing.render_job_id(variant_id, revision)


def chunk_job_id(pairs: list[list[int]], request_id: int, format_key: str) -> str:
    digest = hashlib.sha256(repr(sorted(map(tuple, pairs))).encode()).hexdigest()[:16]
    return queueing.job_id_for(f"render-q{request_id}-{format_key}-{digest}")


def _pixels(variants: list[Variant]) -> int:
    fmt = get_format(variants[0].format)
    return fmt.width * fmt.height * len(variants)


def plan_chunks(variants: list[Variant]) -> list[list[Variant]]:
    """The variants by (request, format), each split into about equal chunks of at most
    CHUNK_PIXELS of output (at least one variant), biggest chunk first."""
    by_format: dict[tuple[int, str], list[Variant]] = defaultdict(list)
    for v in sorted(variants, key=lambda v: v.id):
        by_format[(v.request_id, v.format)].append(v)
    chunks = []
    for vs in by_format.values():
        n = max(1, math.ceil(_pixels(vs) / CHUNK_PIXELS))
        size = math.ceil(len(vs) / n)
        chunks += [vs[i:i + size] for i in range(0, len(vs), size)]
    return sorted(chunks, key=_pixels, reverse=True)


def _waiting(job_id: str) -> bool:
    job = queueing.fetch_job(job_id)
    return job is not None and job.get_status(refresh=False) in _ACTIVE


def _enqueue_chunk(chunk: list[Variant], depends_on: str | None) -> int:
    """One job for the chunk's variants that have no job waiting yet, and a fallback job each."""
    todo = [v for v in chunk if not _waiting(variant_job_id(v.id, v.revision))]
    if not todo:
        return 0
    pairs = [[v.id, v.revision] for v in todo]
    chunk_id = chunk_job_id(pairs, todo[0].request_id, todo[0].format)
    queueing.enqueue_once(queueing.RENDER, CHUNK_FUNC, chunk_id, chunk_id, pairs, depends_on=depends_on,
                          timeout=current_app.config["RENDER_JOB_TIMEOUT"] * len(todo))
    return sum(queueing.enqueue_once(queueing.RENDER, RENDER_FUNC, variant_job_id(v.id, v.revision), v.id,
                                     v.revision, depends_on=chunk_id)
               for v in todo)


def enqueue_renders(variants: list[Variant]) -> int:
    """Put each variant's current revision on the render queue (no-op for one already there).
    Returns how many were newly enqueued.

    The variants are stamped enqueued first: a reconciler reading them meanwhile then gives the
    enqueue its grace period instead of taking them for never enqueued (it would requeue them)."""
    enqueued = utcnow()
    for v in variants:
        v.enqueued_at = enqueued
    db.session.commit()
    gpu_jobs = enqueue_generation(variants)  # {} unless a model is configured and a format expands
    n = sum(queueing.enqueue_once(queueing.RENDER, RENDER_FUNC, variant_job_id(v.id, v.revision), v.id, v.revision,
                                  depends_on=gpu_jobs[v.id]) for v in variants if v.id in gpu_jobs)
    analysis_jobs = {art.id: ensure_analysis(art) for art in {v.request.key_art for v in variants}}
    for chunk in plan_chunks([v for v in variants if v.id not in gpu_jobs]):
        n += _enqueue_chunk(chunk, analysis_jobs[chunk[0].request.key_art_id])
    return n
