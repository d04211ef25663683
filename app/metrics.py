"""Prometheus metrics for the web process and the workers (prometheus_client).

Both gunicorn (several web processes) and RQ's forking workers (one work horse per job) are
several processes, so metrics use prometheus_client's multiprocess mode when
PROMETHEUS_MULTIPROC_DIR is set: every process writes its samples to files in that directory
and whoever serves /metrics adds them up. The web process serves them at /metrics; a worker
serves its own (and its horses') on MARQUEE_METRICS_PORT. Queue depths and variant/export
states are read from Redis and the database at scrape time, so any one web process reports
the whole deployment's, however many hosts run workers.
"""
from __future__ import annotations

import os
import re
import time
from typing import Iterator

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily
from rq import Queue, Worker
from sqlalchemy import func, select

from .extensions import db
from .models import Export, Variant
from .queueing import EXPORT, GPU, RENDER, get_queue

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 300, 600)

HTTP_REQUESTS = Counter("marquee_http_requests_total", "HTTP requests answered",
                        ["method", "endpoint", "status"])
HTTP_SECONDS = Histogram("marquee_http_request_seconds", "HTTP request latency", ["method", "endpoint"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
RENDER_SECONDS = Histogram("marquee_render_seconds", "Render job latency (claim to stored blobs)",
                           ["format", "backend"], buckets=LATENCY_BUCKETS)
EXPORT_SECONDS = Histogram("marquee_export_seconds", "Export job latency (all files of one variant to one target)",
                           ["format", "backend"], buckets=LATENCY_BUCKETS)
GPU_SECONDS = Histogram("marquee_gpu_job_seconds", "GPU job latency (one batched expand or one edit)",
                        ["op"], buckets=LATENCY_BUCKETS)
GPU_BATCH = Histogram("marquee_gpu_batch_size", "Variants per batched GPU expand job",
                      buckets=(1, 2, 4, 8, 16, 32, 64))
JOB_FAILURES = Counter("marquee_job_failures_total", "Failed jobs by queue and reason (the exception type)",
                       ["queue", "reason"])
REQUEUES = Counter("marquee_reconciler_requeues_total", "Work the reconcilers put back on a queue",
                   ["kind", "reason"])


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def registry() -> CollectorRegistry:
    """This process's samples, or every process's in the multiprocess directory."""
    if multiprocess_dir():
        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
        return reg
    return REGISTRY


def reason_label(text: str) -> str:
    """Bounded label values: ids and numbers out, at most 60 characters."""
    return re.sub(r"\d+", "N", text or "unknown")[:60]


class StateCollector:
    """Queue depths from Redis and variant/export counts by state from the database, read at
    scrape time inside the app (so the numbers are the deployment's, not this process's)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("marquee_queue_jobs", "RQ jobs per queue and state", labels=["queue", "state"])
        workers = GaugeMetricFamily("marquee_queue_workers", "RQ workers listening per queue", labels=["queue"])
        with self.app.app_context():
            for row in queue_stats():
                for state in ("queued", "started", "deferred", "scheduled", "failed"):
                    depth.add_metric([row["queue"], state], row[state])
                workers.add_metric([row["queue"]], row["workers"])
        yield depth
        yield workers
        states = GaugeMetricFamily("marquee_variants", "Variants by status", labels=["status"])
        exports = GaugeMetricFamily("marquee_exports", "Exports by status", labels=["status"])
        with self.app.app_context():
            for status, n in db.session.execute(select(Variant.status, func.count()).group_by(Variant.status)):
                states.add_metric([status], n)
            for status, n in db.session.execute(select(Export.status, func.count()).group_by(Export.status)):
                exports.add_metric([status], n)
            db.session.remove()
        yield states
        yield exports


def queue_stats() -> list[dict]:
    """Depth, workers and failed jobs of each Marquee queue (app context)."""
    rows = []
    for name in (RENDER, GPU, EXPORT):
        q: Queue = get_queue(name)
        rows.append({"queue": name, "redis_name": q.name, "queued": q.count,
                     "started": q.started_job_registry.count, "deferred": q.deferred_job_registry.count,
                     "scheduled": q.scheduled_job_registry.count, "failed": q.failed_job_registry.count,
                     "workers": Worker.count(queue=q)})
    return rows


def web_metrics_text(app: Flask) -> bytes:
    """The /metrics body: this web process (or all of them, multiprocess) plus the deployment state."""
    state = CollectorRegistry(auto_describe=False)
    state.register(StateCollector(app))
    try:
        extra = generate_latest(state)
    except Exception as exc:  # noqa: BLE001 - Redis or DB down: still serve the process metrics
        extra = f"# state unavailable: {type(exc).__name__}\n".encode()
    return generate_latest(registry()) + extra


def init_web_metrics(app: Flask) -> None:
    """Count and time every request; serve /metrics."""
    @app.before_request
    def _start_timer() -> None:
        g.metrics_t0 = time.perf_counter()

    @app.after_request
    def _observe(resp):
        t0 = g.get("metrics_t0")
        if t0 is not None:
            endpoint = request.endpoint or "unmatched"
            HTTP_SECONDS.labels(request.method, endpoint).observe(time.perf_counter() - t0)
            HTTP_REQUESTS.labels(request.method, endpoint, str(resp.status_code)).inc()
        return resp

    @app.get("/metrics", endpoint="health.metrics")
    def metrics():
        return Response(web_metrics_text(app), mimetype=CONTENT_TYPE_LATEST)
