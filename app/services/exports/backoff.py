"""A try against a target, counted on the export. A retryable failure with tries left does not
sleep in the worker: the export goes back to pending and its next try is scheduled in RQ
(exponential backoff with jitter, at least the target's Retry-After)."""
from __future__ import annotations

from datetime import timedelta
from typing import Callable, TypeVar

from flask import current_app
from sqlalchemy import update

from ...export.protocol import RetryPolicy, TargetError
from ...extensions import db
from ...models import Export
from ...models.base import utcnow
from ...models.export import ExportStatus
from .claims import beat, owned
from .enqueue import enqueue
from .records import audit

T = TypeVar("T")


class RetryLater(Exception):
    """A retryable failure with tries left: the export goes back to pending and its next try is
    scheduled `delay` seconds out. No worker sleeps through a backoff."""

    def __init__(self, delay: float, error: TargetError) -> None:
        super().__init__(str(error))
        self.delay, self.error = delay, error


def policy() -> RetryPolicy:
    cfg = current_app.config
    return RetryPolicy(attempts=int(cfg["EXPORT_MAX_TRIES"]), base_delay=float(cfg["EXPORT_BACKOFF_S"]),
                       max_delay=float(cfg["EXPORT_BACKOFF_MAX_S"]))


def attempt(exp: Export, token: str, fn: Callable[[], T], on_error: Callable[[TargetError], None] | None = None) -> T:
    """One try against the target. A retryable failure with tries left raises RetryLater; the
    last one raises the TargetError."""
    try:
        out = fn()
    except TargetError as exc:
        if on_error is not None:
            on_error(exc)
        beat(exp.id, token, tries=Export.tries + 1, failures=Export.failures + 1)
        db.session.refresh(exp)
        wait = policy().after_failure(exp.failures, exc)
        if wait is not None:
            raise RetryLater(wait, exc) from None
        raise
    beat(exp.id, token, tries=Export.tries + 1, failures=0)
    return out


def defer(exp: Export, token: str, later: RetryLater) -> bool:
    """Back to pending with the error and the due time, and the next try scheduled in RQ; False
    if the export was no longer this attempt's."""
    due = utcnow() + timedelta(seconds=later.delay)
    error = f"{exp.target.kind} target {exp.target.name!r}: {later.error} (try {exp.failures + 1} " \
            f"due in {later.delay:.1f}s)"
    res = db.session.execute(update(Export).where(*owned(exp.id, token)).values(
        status=ExportStatus.PENDING.value, attempt=None, error=error, next_attempt_at=due, heartbeat_at=utcnow()))
    if res.rowcount != 1:
        db.session.rollback()
        return False
    audit(exp, "worker", "export.retry_scheduled", ExportStatus.RUNNING.value, ExportStatus.PENDING.value,
          {"error": str(later.error), "delay_s": round(later.delay, 2)})
    db.session.commit()
    db.session.refresh(exp)
    enqueue([exp], delay_s=later.delay)
    return True
