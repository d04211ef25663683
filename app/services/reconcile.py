"""The reconciler: the database says what should be happening; make Redis agree.

A variant that is queued or rendering but whose job is gone (Redis flushed or restarted),
failed outside our code, or stopped sending heartbeats (its worker was SIGKILLed) is put
back to `queued` with a new attempt and enqueued again.

The reconciler reads rows, then asks RQ about their jobs; a job can finish in between. So
what RQ says is judged only against the row read again after the lookup, and the move back
to `queued` is a conditional UPDATE on the state that was read (status, revision, attempt
token, enqueued_at): a variant that has moved on (rendered, claimed, re-queued by someone
else) is never touched. A job RQ calls finished has committed its result before RQ marked
it so; the row read after the lookup shows it.

A job that waits for another one (deferred: a variant's job on its chunk's render job, a render
on its GPU job, a chunk on the key art's analysis) is as alive as what it waits for.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from rq.job import Job, JobStatus
from sqlalchemy import or_, select, update

from .. import queueing
from ..extensions import db
from ..models import AuditEvent, FixRequest, Variant, VariantStatus
from ..models.base import utcnow
from ..queueing import render_job_id
from .generation import uses_gpu_queue
from .review import edit_job_id_of, enqueue_generator_edit

_ENDED = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


def _job_lost(job_id: str, stale_s: int) -> str | None:
    """Why the job that should be doing some work no longer is, or None while it still may."""
    job = queueing.fetch_job(job_id)  # looked up on the module: tests stand in for it there
    if job is None:
        return "job missing from Redis"
    status = job.get_status(refresh=False)
    if status == JobStatus.DEFERRED:
        return _wait_lost(job, stale_s)
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        return f"job {status.value}"
    if status == JobStatus.FINISHED:
        return "job finished without recording a result"
    if status == JobStatus.STARTED:
        beat = job.last_heartbeat or job.started_at
        if beat is not None:
            if beat.tzinfo is None:
                beat = beat.replace(tzinfo=timezone.utc)
            if utcnow() - beat > timedelta(seconds=stale_s):
                return "worker stopped sending heartbeats"
    return None


def _wait_lost(job: Job, stale_s: int) -> str | None:
    """Why a deferred job will never run, or None while what it waits for may still release it:
    a dependency that is itself lost, or one that ended while the job stayed deferred (RQ
    releases dependents in the transaction that ends a job, so the job is read again after)."""
    for dep_id in job.dependency_ids:
        dep = queueing.fetch_job(dep_id)
        status = dep.get_status(refresh=False) if dep is not None else None
        if status is not None and status not in _ENDED:
            reason = _job_lost(dep_id, stale_s)
            if reason is not None:
                return f"waits for {dep_id}: {reason}"
            continue
        again = queueing.fetch_job(job.id)
        if again is None or again.get_status(refresh=False) != JobStatus.DEFERRED:
            return _job_lost(job.id, stale_s)  # released (or gone) meanwhile: judge it as it is now
        return f"waits for {dep_id}: " + ("job missing from Redis" if status is None
                                          else f"job {status.value} without releasing it")
    return None


@dataclass(frozen=True)
class Seen:
    """A pending variant as the reconciler read it: the state its move is conditional on."""

    id: int
    revision: int
    status: str
    attempt: str | None
    enqueued_at: datetime | None

    @property
    def job_id(self) -> str:
        return render_job_id(self.id, self.revision)

    def unchanged(self) -> tuple:
        """WHERE clauses that hold only while the row is still in the state that was read."""
        return (Variant.id == self.id, Variant.revision == self.revision, Variant.status == self.status,
                Variant.attempt.is_(None) if self.attempt is None else Variant.attempt == self.attempt,
                Variant.enqueued_at.is_(None) if self.enqueued_at is None else Variant.enqueued_at == self.enqueued_at)


_SEEN_COLUMNS = (Variant.id, Variant.revision, Variant.status, Variant.attempt, Variant.enqueued_at)


def pending_variants(cutoff: datetime) -> list[Seen]:
    """Queued or rendering variants enqueued before `cutoff` (or never), as read now."""
    rows = db.session.execute(select(*_SEEN_COLUMNS).where(
        Variant.status.in_([VariantStatus.QUEUED.value, VariantStatus.RENDERING.value]),
        or_(Variant.enqueued_at.is_(None), Variant.enqueued_at < cutoff)).order_by(Variant.id)).all()
    db.session.commit()  # end the read: what follows must see later commits
    return [Seen(*row) for row in rows]


def _still(seen: Seen) -> bool:
    """Read the row again: is it still exactly as the reconciler saw it?"""
    found = db.session.execute(select(Variant.id).where(*seen.unchanged())).first()
    db.session.commit()
    return found is not None


def reconcile_variant(seen: Seen, stale_s: int) -> dict | None:
    """Look up the variant's job, then requeue it if the job is lost and the row has not moved
    since `seen` was read. Returns what was done, or None."""
    reason = "never enqueued" if seen.enqueued_at is None else _job_lost(seen.job_id, stale_s)
    if reason is None or not _still(seen):  # e.g. the job finished and recorded its result meanwhile
        return None
    res = db.session.execute(update(Variant).where(*seen.unchanged()).values(
        status=VariantStatus.QUEUED.value, attempt=None, enqueued_at=utcnow())
        .execution_options(synchronize_session=False))
    if res.rowcount != 1:  # it moved between the re-read and now: not ours to move
        db.session.rollback()
        return None
    db.session.add(AuditEvent(actor="reconciler", action="variant.requeued", entity_type="variant",
                              entity_id=seen.id, revision=seen.revision, state_before=seen.status,
                              state_after=VariantStatus.QUEUED.value, detail={"reason": reason}))
    db.session.commit()
    old = queueing.fetch_job(seen.job_id)
    if old is not None:
        queueing.discard_job(old)
    queueing.enqueue_once(queueing.RENDER, "jobs.render.render_variant_job", seen.job_id, seen.id, seen.revision)
    return {"variant": seen.id, "revision": seen.revision, "reason": reason}


def reconcile() -> list[dict]:
    """Re-enqueue lost work; returns what was done, one entry per variant or generator edit."""
    cfg = current_app.config
    cutoff = utcnow() - timedelta(seconds=cfg["RECONCILE_GRACE_S"])
    done = []
    for seen in pending_variants(cutoff):
        entry = reconcile_variant(seen, cfg["RECONCILE_STALE_S"])
        if entry is not None:
            done.append(entry)
    return done + reconcile_generator_edits(cutoff, cfg["RECONCILE_STALE_S"])


def reconcile_generator_edits(cutoff, stale_s: int) -> list[dict]:
    """Generator edits (remove / restyle) waiting for the `gpu` queue whose job was lost: back to
    queued and enqueued again. A proposal is an image, so running one twice loses nothing; but an
    edit that finished (done / failed) while its job was looked up stays as it is: the move is
    conditional on the status read before the lookup and judged after reading the row again."""
    if not uses_gpu_queue():  # edits run inside the web request then: nothing is queued
        return []
    seen = db.session.execute(select(FixRequest.id, FixRequest.status).where(
        FixRequest.status.in_(["queued", "running"]), FixRequest.created_at < cutoff)
        .order_by(FixRequest.id)).all()
    db.session.commit()
    done = []
    for fix_id, status in seen:
        jid = edit_job_id_of(fix_id)
        reason = _job_lost(jid, stale_s)
        if reason is None:
            continue
        res = db.session.execute(update(FixRequest).where(FixRequest.id == fix_id, FixRequest.status == status)
                                 .values(status="queued").execution_options(synchronize_session=False))
        if res.rowcount != 1:  # it finished (or was claimed) while its job was looked up
            db.session.rollback()
            continue
        fix = db.session.get(FixRequest, fix_id)
        db.session.add(AuditEvent(actor="reconciler", action="generator_edit.requeued", entity_type="fix_request",
                                  entity_id=fix_id, state_before=status, state_after="queued",
                                  detail={"reason": reason, "variant_id": fix.variant_id}))
        db.session.commit()
        old = queueing.fetch_job(jid)
        if old is not None:
            queueing.discard_job(old)
        enqueue_generator_edit(fix)
        done.append({"fix_request": fix_id, "reason": reason})
    return done
