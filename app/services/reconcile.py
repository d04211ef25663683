"""The reconciler: the database says what should be happening; make Redis agree.

A variant that is queued or rendering but whose job is gone (Redis flushed or restarted),
failed outside our code, or stopped sending heartbeats (its worker was SIGKILLed) is put
back to `queued` with a new attempt and enqueued again.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select

from ..extensions import db
from ..models import AuditEvent, Variant, VariantStatus
from ..models.base import utcnow


def _job_lost(variant: Variant, stale_s: int) -> str | None:
    from rq.job import JobStatus

    from jobs.queues import fetch_job

    job = fetch_job(variant.job_id)
    if job is None:
        return "job missing from Redis"
    status = job.get_status(refresh=False)
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        return f"job {status.value}"
    if status == JobStatus.FINISHED:
        return "job finished without recording a result"
    if status == JobStatus.STARTED:
        beat = job.last_heartbeat or job.started_at
        if beat is not None:
            if beat.tzinfo is None:
                from datetime import timezone

                beat = beat.replace(tzinfo=timezone.utc)
            if utcnow() - beat > timedelta(seconds=stale_s):
                return "worker stopped sending heartbeats"
    return None


def reconcile() -> list[dict]:
    """Re-enqueue lost work; returns what was done, one entry per variant."""
    from jobs.queues import RENDER, discard_job, enqueue_once, fetch_job

    cfg = current_app.config
    cutoff = utcnow() - timedelta(seconds=cfg["RECONCILE_GRACE_S"])
    pending = db.session.scalars(
        select(Variant).where(Variant.status.in_([VariantStatus.QUEUED.value, VariantStatus.RENDERING.value]),
                              or_(Variant.enqueued_at.is_(None), Variant.enqueued_at < cutoff))).all()
    done = []
    for v in pending:
        reason = "never enqueued" if v.enqueued_at is None else _job_lost(v, cfg["RECONCILE_STALE_S"])
        if reason is None:
            continue
        before = v.status
        old = fetch_job(v.job_id)
        if old is not None:
            discard_job(old)
        v.status, v.attempt, v.enqueued_at = VariantStatus.QUEUED.value, None, utcnow()
        db.session.add(AuditEvent(actor="reconciler", action="variant.requeued", entity_type="variant",
                                  entity_id=v.id, revision=v.revision, state_before=before,
                                  state_after=v.status, detail={"reason": reason}))
        db.session.commit()
        enqueue_once(RENDER, "jobs.render.render_variant_job", v.job_id, v.id, v.revision)
        done.append({"variant": v.id, "revision": v.revision, "reason": reason})
    return done
