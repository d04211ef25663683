"""Exports onto the `export` queue: one RQ job per export and try. Redis being down is not an
error here: the database says the export is pending and the reconciler enqueues it."""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError

from ... import queueing
from ...extensions import db
from ...models import Export
from ...models.base import utcnow

log = logging.getLogger("marquee.export")


def job_id(exp: Export) -> str:
    """One RQ job per export and try count (a retry scheduled by a running job needs an id of its
    own); the queue prefix keeps test runs sharing one Redis apart."""
    return queueing.job_id_for(f"export-{exp.id}-t{exp.tries}")


def enqueue(exports: list[Export], delay_s: float = 0.0) -> int:
    """Put exports on the `export` queue (after `delay_s`: RQ's scheduler, run by the export
    workers, moves the job to the queue then). Returns how many were enqueued."""
    n = 0
    for exp in exports:
        exp.enqueued_at = utcnow() + timedelta(seconds=delay_s)
        exp.job_id = job_id(exp)
        db.session.commit()
        try:
            n += queueing.enqueue_once(queueing.EXPORT, "jobs.export.export_job", exp.job_id, exp.id,
                                       timeout=current_app.config["EXPORT_JOB_TIMEOUT"], delay_s=delay_s)
        except RedisError as exc:
            log.warning("export %s not enqueued (%s); the reconciler will", exp.id, type(exc).__name__)
    return n
