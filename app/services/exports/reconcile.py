"""Make Redis agree with the database: enqueue pending exports whose job is gone, take back running
exports whose heartbeat went stale (their worker died), schedule approvals whose exports were
never created, release webhooks whose assets are done.

Rows are read first, then RQ is asked about their jobs; every move is a conditional UPDATE on the
state that was read, so an export whose job finished (or retried) meanwhile is left alone. RQ is
reached through `queueing.fetch_job` (looked up at call time) so that tests can step in."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from rq.job import JobStatus
from sqlalchemy import Row, exists, or_, select, true, update

from ... import queueing
from ...extensions import db
from ...models import Export, ExportTarget, FeedEntry, Variant
from ...models.base import utcnow
from ...models.export import ExportStatus
from .enqueue import enqueue, job_id
from .records import APPROVED, audit, due_in
from .scheduling import schedule_variant
from .webhooks import release_webhooks

_LIVE = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED)


def _forget_job(jid: str) -> None:
    """Delete a finished, failed or abandoned job so that its id can be enqueued again."""
    job = queueing.fetch_job(jid)
    if job is None:
        return
    try:
        job.delete()
    except Exception:  # RQ 3 cannot delete a job whose execution record died with its worker
        job.connection.delete(job.key)


def _requeue_pending(seen: Row, reason: str) -> Export | None:
    """Take a pending export whose job is gone for re-enqueueing, if it is still as it was read
    (pending, same try count, job and enqueue time): a job can end between the reconciler's read
    and its RQ lookup, and what it did then stands. Returns the export, or None if it moved."""
    export_id, jid, tries, enqueued_at = seen
    res = db.session.execute(update(Export).where(
        Export.id == export_id, Export.status == ExportStatus.PENDING.value, Export.tries == tries,
        Export.job_id.is_(None) if jid is None else Export.job_id == jid,
        Export.enqueued_at.is_(None) if enqueued_at is None else Export.enqueued_at == enqueued_at)
        .values(enqueued_at=utcnow()).execution_options(synchronize_session=False))
    if res.rowcount != 1:
        db.session.rollback()
        return None
    exp = db.session.get(Export, export_id)
    db.session.refresh(exp)
    audit(exp, "reconciler", "export.requeued", ExportStatus.PENDING.value, ExportStatus.PENDING.value,
          {"reason": reason})
    db.session.commit()
    return exp


def _requeue_lost_jobs(now: datetime) -> list[dict]:
    """Pending exports (enqueued longer ago than RECONCILE_GRACE_S) whose job is not live in RQ."""
    grace = timedelta(seconds=current_app.config["RECONCILE_GRACE_S"])
    pending = db.session.execute(select(Export.id, Export.job_id, Export.tries, Export.enqueued_at).where(
        Export.status == ExportStatus.PENDING.value, or_(Export.enqueued_at.is_(None), Export.enqueued_at < now - grace))
        .order_by(Export.id)).all()
    db.session.commit()  # end the read: the re-check after each lookup must see later commits
    done = []
    for seen in pending:
        export_id, jid, tries, _ = seen
        jid = jid or job_id(Export(id=export_id, tries=tries))
        job = queueing.fetch_job(jid)
        status = job.get_status(refresh=False) if job is not None else None
        if status in _LIVE:
            continue
        reason = "job missing from Redis" if job is None else f"job {status.value}"
        exp = _requeue_pending(seen, reason)
        if exp is None:  # its job claimed, finished or rescheduled it meanwhile
            continue
        _forget_job(jid)
        enqueue([exp], delay_s=due_in(exp.next_attempt_at))  # a lost retry keeps its backoff
        done.append({"export": export_id, "reason": reason})
    return done


def _take_back_stale(now: datetime) -> list[dict]:
    """Running exports whose heartbeat is older than EXPORT_STALE_S: their worker died."""
    stale_before = now - timedelta(seconds=current_app.config["EXPORT_STALE_S"])
    stale = db.session.execute(select(Export.id, Export.attempt, Export.job_id, Export.tries).where(
        Export.status == ExportStatus.RUNNING.value, Export.heartbeat_at < stale_before).order_by(Export.id)).all()
    db.session.commit()
    done = []
    for export_id, attempt, jid, tries in stale:
        res = db.session.execute(update(Export).where(
            Export.id == export_id, Export.attempt == attempt, Export.status == ExportStatus.RUNNING.value,
            Export.heartbeat_at < stale_before)
            .values(status=ExportStatus.PENDING.value, attempt=None).execution_options(synchronize_session=False))
        if res.rowcount != 1:  # it beat, finished or was taken back by another reconciler meanwhile
            db.session.rollback()
            continue
        exp = db.session.get(Export, export_id)
        db.session.refresh(exp)
        audit(exp, "reconciler", "export.requeued", ExportStatus.RUNNING.value, ExportStatus.PENDING.value,
              {"reason": "heartbeat stale"})
        db.session.commit()
        _forget_job(jid or job_id(Export(id=export_id, tries=tries)))  # the dead attempt's job
        enqueue([exp])
        done.append({"export": export_id, "reason": "heartbeat stale"})
    return done


def _approved_but_unscheduled() -> list[Variant]:
    """Approvals the hook recorded (feed entry) whose exports were never created, e.g. the process died
    in between. Only targets that existed at approval time count: a new target does not backfill."""
    missing = ~exists().where(Export.target_id == ExportTarget.id, Export.variant_id == FeedEntry.variant_id,
                              Export.revision == FeedEntry.revision)
    rows = db.session.execute(
        select(Variant, ExportTarget).select_from(FeedEntry)
        .join(Variant, Variant.id == FeedEntry.variant_id).join(ExportTarget, true())
        .where(ExportTarget.enabled.is_(True), Variant.status == APPROVED, Variant.revision == FeedEntry.revision,
               FeedEntry.created_at >= ExportTarget.created_at, missing)).all()
    found: dict[int, Variant] = {}
    for variant, target in rows:
        if target.matches(variant.locale, variant.format):
            found[variant.id] = variant
    return list(found.values())


def _schedule_missed() -> list[dict]:
    done = []
    for variant in _approved_but_unscheduled():
        exps = schedule_variant(variant, actor="reconciler")
        done.append({"variant": variant.id, "revision": variant.revision, "reason": "approved, never scheduled",
                     "exports": [e.id for e in exps]})
    return done


def _release_waiting() -> list[dict]:
    waiting = db.session.execute(select(Export.variant_id, Export.revision).where(
        Export.status == ExportStatus.WAITING.value).distinct()).all()
    return [{"variant": variant_id, "revision": revision, "reason": "webhooks released"}
            for variant_id, revision in waiting if release_webhooks(variant_id, revision)]


def reconcile_exports() -> list[dict]:
    """One pass of the reconciler; returns what it moved, one dict per move."""
    now = utcnow()
    return _requeue_lost_jobs(now) + _take_back_stale(now) + _schedule_missed() + _release_waiting()
