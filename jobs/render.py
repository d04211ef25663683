"""Render-queue jobs, thin: load the app, hand the work to the services.

`render_chunk_job` renders several locales of one format in one work horse (so they share the
decoded key art, its analysis and the format's canvas; app.services.render_queue). Each variant
in it is rendered exactly as `render_variant_job` would render it alone, its log lines carry its
own job id, and its job is marked done for it. A failed variant fails alone; a timeout ends the
chunk, and what it did not reach is rendered by the variants' own jobs.
"""
from __future__ import annotations

import logging
import time

from PIL import Image
from rq.timeouts import JobTimeoutException
from sqlalchemy.orm import configure_mappers

from app import queue_fallbacks
from app.extensions import db
from app.logging_setup import JOB_ID
from app.metrics import JOB_FAILURES, RENDER_SECONDS
from app.models import Variant
from app.render.analyze import analyze
from app.render.locales import SUPPORTED_LOCALES, get_locale
from app.render.text.fontchain import chain_for, cmap
from app.services import rendering, sources
from app.services.render_queue import variant_job_id

from .context import get_app

log = logging.getLogger("marquee.worker")


def warm_up() -> float:
    """Load, in a worker before it forks its work horses, what every horse would otherwise load
    again for its first variant (about 0.5 s): the ORM's mappers, Pillow's codecs, and the
    character maps of every supported locale's fonts (fontTools; 0.1-0.2 s per CJK font). The
    horses inherit them copy-on-write. Never fails the worker: what cannot be loaded here is
    loaded by the render that needs it. Returns the seconds it took."""
    t0 = time.perf_counter()
    configure_mappers()
    Image.init()
    analyze(Image.new("RGB", (64, 64)))
    for script in sorted({get_locale(tag).script for tag in SUPPORTED_LOCALES}):
        try:
            for ref in chain_for(script, {}).refs:
                cmap(ref)
        except Exception:  # noqa: BLE001 - a missing font is the render's to report
            log.warning("could not preload the fonts for script %s", script, exc_info=True)
    return time.perf_counter() - t0


def render_variant_job(variant_id: int, revision: int) -> str:
    with get_app().app_context():
        # A forked work horse must not share its parent's pooled DB connections.
        db.engine.dispose(close=False)
        return rendering.render_variant_revision(variant_id, revision)


def analyze_key_art_job(key_art_id: int) -> str:
    """Analyse an uploaded key art once, before its renders fan out (they wait for this job)."""
    with get_app().app_context():
        db.engine.dispose(close=False)
        return sources.analyze_key_art(key_art_id)


def render_chunk_job(chunk_id: str, pairs: list[list[int]]) -> dict:
    """Render the listed variant revisions one after the other; returns counts per outcome."""
    with get_app().app_context():
        db.engine.dispose(close=False)
        counts: dict[str, int] = {}
        for variant_id, revision in pairs:
            outcome = _render_in_chunk(chunk_id, variant_id, revision)
            counts[outcome] = counts.get(outcome, 0) + 1
        queue_fallbacks.forget_replaced(chunk_id)
        return counts


def _render_in_chunk(chunk_id: str, variant_id: int, revision: int) -> str:
    """One variant of a chunk, only while its own job still waits on the chunk (else the
    reconciler gave it a job of its own: not ours any more). Returns the outcome."""
    job_id = variant_job_id(variant_id, revision)
    if not queue_fallbacks.waits_on(job_id, chunk_id):
        return "not ours"
    token = JOB_ID.set(job_id)  # this variant's log lines carry its own job id
    try:
        outcome, error = _render_one(variant_id, revision)
        queue_fallbacks.complete(job_id, chunk_id, error=error, result=outcome)
        log.info("variant %s revision %s %s (in chunk %s)", variant_id, revision, outcome, chunk_id)
    finally:
        JOB_ID.reset(token)
    return outcome


def _render_one(variant_id: int, revision: int) -> tuple[str, str | None]:
    """(outcome, error): what the variant's own job would have returned or raised."""
    t0 = time.perf_counter()
    try:
        outcome = rendering.render_variant_revision(variant_id, revision)
    except JobTimeoutException:
        raise  # the chunk's time is up: the variants' own jobs render what is left
    except Exception as exc:  # recorded on the variant by the service; the others go on
        db.session.rollback()
        log.exception("variant %s revision %s failed", variant_id, revision)
        JOB_FAILURES.labels("render", type(exc).__name__).inc()
        return "failed", f"{type(exc).__name__}: {exc}"
    if outcome == "rendered":
        _observe(variant_id, time.perf_counter() - t0)
    return outcome, None


def _observe(variant_id: int, seconds: float) -> None:
    """The render latency metric, as jobs.observe records it for a variant's own job."""
    v = db.session.get(Variant, variant_id)
    backend = (v.generator or {}).get("backend") or "crop"
    RENDER_SECONDS.labels(v.format, backend).observe(seconds)
