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
from ..models import AuditEvent, FixRequest, Variant, VariantStatus
from ..models.base import utcnow


def _job_lost(job_id: str, stale_s: int) -> str | None:
    """Why the job that should be doing some work no longer is, or None while it still may."""
    from rq.job import JobStatus

    from jobs.queues import fetch_job

    job = fetch_job(job_id)
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
        reason = "never enqueued" if v.enqueued_at is None else _job_lost(v.job_id, cfg["RECONCILE_STALE_S"])
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
    return done + reconcile_generator_edits(cutoff, cfg["RECONCILE_STALE_S"])


def reconcile_generator_edits(cutoff, stale_s: int) -> list[dict]:
    """Generator edits (remove / restyle) waiting for the `gpu` queue whose job was lost: back to
    queued and enqueued again. A proposal is an image, so running one twice loses nothing."""
    from jobs.queues import discard_job, fetch_job

    from .generation import uses_gpu_queue
    from .review import edit_job_id, enqueue_generator_edit

    if not uses_gpu_queue():  # edits run inside the web request then: nothing is queued
        return []
    done = []
    edits = db.session.scalars(select(FixRequest).where(FixRequest.status.in_(["queued", "running"]),
                                                        FixRequest.created_at < cutoff)).all()
    for fix in edits:
        reason = _job_lost(edit_job_id(fix), stale_s)
        if reason is None:
            continue
        old = fetch_job(edit_job_id(fix))
        if old is not None:
            discard_job(old)
        fix.status = "queued"
        db.session.add(AuditEvent(actor="reconciler", action="generator_edit.requeued", entity_type="fix_request",
                                  entity_id=fix.id, detail={"reason": reason, "variant_id": fix.variant_id}))
        db.session.commit()
        enqueue_generator_edit(fix)
        done.append({"fix_request": fix.id, "reason": reason})
    return done
