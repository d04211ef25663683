"""What a render starts from: a key art's decoded pixels and its analysis.

Both are shared within a process (a render job renders several variants of one key art) and the
analysis is made once per key art, by a job on the render queue enqueued when the key art is
uploaded (`ensure_analysis`): renders wait for that job (an RQ dependency) or find the analysis
in the row. A render that finds neither, because the job failed or was lost, analyses the art
itself and stores the result: a fallback, never the plan.
"""
from __future__ import annotations

import io
import logging
from dataclasses import replace
from functools import lru_cache

from flask import current_app
from PIL import Image
from redis.exceptions import RedisError
from rq.job import JobStatus

from app import queueing

from ..extensions import db
from ..models import KeyArt
from ..render.analyze import ANALYSIS_VERSION, Analysis, analyze
from . import blob_store, pixel_cache

log = logging.getLogger(__name__)

#: Statuses of an analysis job that a render can still wait for.
_WAITABLE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED,
             JobStatus.READY_TO_ENQUEUE}


@lru_cache(maxsize=2)
def _decoded(location: str, key: str, size: tuple[int, int]) -> Image.Image:
    """The working copy decoded once per process (a 24 MP copy is 72 MB: two at most), and once
    per machine when the pixel cache can hold it."""
    cached = pixel_cache.load(location, key, size)
    if cached is not None:
        return cached
    img = Image.open(io.BytesIO(blob_store().get(key)))
    img.load()
    img = img.convert("RGB")
    pixel_cache.save(location, key, img)
    return img


def working_copy(art: KeyArt) -> Image.Image:
    """The art's sRGB working copy; shared, so callers must not draw into it."""
    return _decoded(blob_store().location, art.working_key, (art.width, art.height))


def is_current(art: KeyArt) -> bool:
    """Whether the row holds an analysis of the current version."""
    return bool(art.analysis) and art.analysis.get("version") == ANALYSIS_VERSION


def analysis_of(art: KeyArt) -> Analysis:
    """The art's analysis: from the row, or (fallback) computed here and stored."""
    if is_current(art):
        return Analysis.from_json(art.analysis)  # 0.1 ms: not worth a cache
    result = analyze(working_copy(art), threads=current_app.config["ANALYSIS_THREADS"])
    art.analysis = result.to_json()
    db.session.commit()
    return result


def source_kind(art: KeyArt) -> str:
    """What load_source renders from, for the variant report: "textless" or "key_art"."""
    return "textless" if art.textless_id is not None else "key_art"


def source_art(art: KeyArt) -> KeyArt:
    """The row whose pixels a render of `art` uses: its textless companion when it has one."""
    return art.textless if art.textless is not None else art


def load_source(art: KeyArt) -> tuple[Image.Image, Analysis]:
    """The sRGB working copy and its analysis.

    A key art with a textless companion renders from the companion: its pixels carry no
    printed text, so nothing has to be kept clear of or painted out (text boxes empty), and
    its own faces and saliency are used."""
    if art.textless is not None:
        return working_copy(art.textless), replace(analysis_of(art.textless), text_boxes=())
    return working_copy(art), analysis_of(art)


def analysis_job_id(art: KeyArt) -> str:
    return queueing.job_id_for(f"analyze-k{art.id}-v{ANALYSIS_VERSION}")


def ensure_analysis(art: KeyArt) -> str | None:
    """The id of the analysis job a render of `art` must wait for, enqueuing it on the render
    queue if it is neither done nor on its way; None when the row already holds the analysis."""
    target = source_art(art)
    if is_current(target):
        return None
    job_id = analysis_job_id(target)
    queueing.enqueue_once(queueing.RENDER, "jobs.render.analyze_key_art_job", job_id, target.id)
    job = queueing.fetch_job(job_id)
    return job_id if job is not None and job.get_status(refresh=False) in _WAITABLE else None


def analyse_soon(art: KeyArt) -> None:
    """At upload: put the analysis on the render queue now, so that no render waits for it
    later. Best effort: without Redis the upload still succeeds and the request enqueues it."""
    try:
        ensure_analysis(art)
    except RedisError:
        log.warning("could not enqueue the analysis of key art %s; the first request will", art.id, exc_info=True)


def analyze_key_art(key_art_id: int) -> str:
    """The analysis job's work: 'analysed', 'cached' (done meanwhile) or 'missing'."""
    art = db.session.get(KeyArt, key_art_id)
    if art is None:
        return "missing"
    if is_current(art):
        return "cached"
    analysis_of(art)
    return "analysed"
