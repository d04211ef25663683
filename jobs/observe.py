"""Worker-side metrics: what one finished job adds to the Prometheus series (app.metrics).

Called in the process that ran the job (the work horse, or the GPU worker itself), after RQ
has recorded the outcome; with PROMETHEUS_MULTIPROC_DIR the horse's samples outlive it.
"""
from __future__ import annotations

import logging
import re

from app.extensions import db
from app.metrics import EXPORT_SECONDS, GPU_BATCH, GPU_SECONDS, JOB_FAILURES, RENDER_SECONDS
from app.models import Export, Variant

from .context import get_app

log = logging.getLogger("marquee.worker")

RENDER_FUNC = "jobs.render.render_variant_job"
EXPORT_FUNC = "jobs.export.export_job"
GPU_FUNCS = {"jobs.generate.generate_job": "expand", "jobs.generate.edit_job": "edit"}


def failure_reason(job) -> str:
    """The exception type of the job's latest failure ('JobTimeoutException', 'FileNotFoundError')."""
    try:
        result = job.latest_result()
        text = (result.exc_string or "").strip().splitlines() if result else []
    except Exception:  # noqa: BLE001
        return "unknown"
    last = text[-1] if text else "unknown"
    match = re.match(r"([A-Za-z_][\w.]*)(:|$)", last)
    return (match.group(1).rsplit(".", 1)[-1] if match else "unknown")[:60]


def observe_job(job, queue_name: str, ok: bool, seconds: float) -> None:
    """Never raises: metrics must not fail a job or a worker."""
    try:
        _observe(job, queue_name, ok, seconds)
    except Exception:  # noqa: BLE001
        log.warning("could not record metrics for job %s", job.id, exc_info=True)


def _observe_batch(job, result: object) -> None:
    """The variants a GPU expand job really expanded, borrowed ones included; none for a job whose
    pairs a neighbour already did (it did no batch)."""
    if isinstance(result, dict) and "variants" in result:
        n = int(result["variants"]) + int(result.get("borrowed", 0))
    else:
        n = len(job.args[0]) if job.args else 0
    if n:
        GPU_BATCH.observe(n)


def _observe(job, queue_name: str, ok: bool, seconds: float) -> None:
    func = job.func_name
    short_queue = queue_name.rsplit(":", 1)[-1]
    if not ok:
        JOB_FAILURES.labels(short_queue, failure_reason(job)).inc()
        return
    result = getattr(job, "_result", None)
    if func in GPU_FUNCS:
        GPU_SECONDS.labels(GPU_FUNCS[func]).observe(seconds)
        if GPU_FUNCS[func] == "expand":
            _observe_batch(job, result)
        return
    if func == RENDER_FUNC and result == "rendered":
        with get_app().app_context():
            v = db.session.get(Variant, job.args[0])
            backend = ((v.generator or {}).get("backend") or "crop") if v is not None else "unknown"
            RENDER_SECONDS.labels(v.format if v is not None else "unknown", backend).observe(seconds)
            db.session.remove()
    elif func == EXPORT_FUNC and result in ("failed", "retrying"):
        JOB_FAILURES.labels(short_queue, f"export {result}").inc()
    elif func == EXPORT_FUNC and result == "done":
        with get_app().app_context():
            e = db.session.get(Export, job.args[0])
            fmt = e.variant.format if e is not None and e.variant is not None else "unknown"
            kind = e.target.kind if e is not None and e.target is not None else "unknown"
            EXPORT_SECONDS.labels(fmt, kind).observe(seconds)
            db.session.remove()
