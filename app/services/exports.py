"""Exports: approved variant revisions pushed to targets, then a manifest per request, then webhooks.

The database says what must be pushed where (one Export row per target, variant and revision);
Redis only carries the work. A job claims its export with a conditional UPDATE and a token and
keeps a heartbeat in the database, so a duplicate job or the orphan of a lost worker can never
record twice, and the reconciler re-enqueues whatever the database says is pending or stale.
Targets skip objects already there with the same checksum, so a re-run sends nothing twice.
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta, timezone
from typing import Any, Callable, Iterator, TypeVar

from flask import current_app, url_for
from sqlalchemy import exists, insert, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from ..export.protocol import IMMUTABLE, MUTABLE, Asset, RetryPolicy, TargetError
from ..export.urlguard import UrlRefused
from ..extensions import db
from ..models import (AuditEvent, Export, ExportManifest, ExportStatus, ExportTarget, FeedCounter, FeedEntry,
                      RenderRequest, Variant, WebhookDelivery)
from ..models.base import utcnow
from ..models.export import STORAGE_KINDS
from . import Conflict, NotFound, ServiceError, blob_store
from . import encodings
from .export_targets import SecretMissing, build_target

log = logging.getLogger("marquee.export")
T = TypeVar("T")

APPROVED = "approved"
EVENT_TYPE = "asset.exported"
_ACTIVE = (ExportStatus.PENDING.value, ExportStatus.RUNNING.value)


class LostClaim(Exception):
    """The export was taken from this attempt (re-enqueued as stale); stop without recording."""


# ---------------------------------------------------------------- scheduling


def job_id(exp: Export) -> str:
    """One RQ job per export and try count (a retry scheduled by a running job needs an id of its
    own); the queue prefix keeps test runs sharing one Redis apart."""
    from app.queueing import job_id_for

    return job_id_for(f"export-{exp.id}-t{exp.tries}")


def _enqueue(exports: list[Export], delay_s: float = 0.0) -> int:
    """Put exports on the `export` queue (after `delay_s`: RQ's scheduler, run by the export
    workers, moves the job to the queue then). Redis being down is not an error: the database
    says the export is pending and the reconciler enqueues it."""
    from redis.exceptions import RedisError

    from app.queueing import EXPORT, enqueue_once

    n = 0
    for exp in exports:
        exp.enqueued_at = utcnow() + timedelta(seconds=delay_s)
        exp.job_id = job_id(exp)
        db.session.commit()
        try:
            n += enqueue_once(EXPORT, "jobs.export.export_job", exp.job_id, exp.id,
                              timeout=current_app.config["EXPORT_JOB_TIMEOUT"], delay_s=delay_s)
        except RedisError as exc:
            log.warning("export %s not enqueued (%s); the reconciler will", exp.id, type(exc).__name__)
    return n


def _get_or_create_export(target: ExportTarget, variant: Variant) -> tuple[Export, bool]:
    where = (Export.target_id == target.id, Export.variant_id == variant.id, Export.revision == variant.revision)
    found = db.session.scalar(select(Export).where(*where))
    if found is not None:
        return found, False
    status = ExportStatus.PENDING.value if target.is_storage else ExportStatus.WAITING.value
    exp = Export(target_id=target.id, variant_id=variant.id, revision=variant.revision,
                 request_id=variant.request_id, status=status, tries=0, sent=0)
    try:
        with db.session.begin_nested():
            db.session.add(exp)
    except IntegrityError:  # scheduled at the same moment by another process
        return db.session.scalars(select(Export).where(*where)).one(), False
    return exp, True


def grace_left(variant: Variant) -> float:
    """Seconds until an approval may leave for the targets: EXPORT_GRACE_S after approved_at, so
    an undo (app.services.review.undo_approval) never races a push."""
    approved_at = getattr(variant, "approved_at", None)
    if approved_at is None:
        return 0.0
    if approved_at.tzinfo is None:  # SQLite: stored UTC, read back naive
        approved_at = approved_at.replace(tzinfo=timezone.utc)
    return max(0.0, current_app.config["EXPORT_GRACE_S"] - (utcnow() - approved_at).total_seconds())


def schedule_variant(variant: Variant, *, rerun: bool = False, actor: str = "system") -> list[Export]:
    """Create the exports of the variant's approved revision (one per matching target) and enqueue them.

    `rerun` puts done or failed storage exports back to pending: the targets' checksum check then
    sends only what is missing.
    """
    if variant.status != APPROVED:
        raise Conflict(f"variant {variant.id} is {variant.status}, not approved; only approved revisions are exported")
    targets = db.session.scalars(select(ExportTarget).where(ExportTarget.enabled.is_(True))
                                 .order_by(ExportTarget.id)).all()
    exports = []
    for target in targets:
        if not target.matches(variant.locale, variant.format):
            continue
        exp, created = _get_or_create_export(target, variant)
        if not created and rerun and target.is_storage and exp.status in (ExportStatus.DONE.value,
                                                                          ExportStatus.FAILED.value):
            _audit(exp, actor, "export.rerun", exp.status, ExportStatus.PENDING.value)
            exp.status, exp.error, exp.attempt, exp.tries, exp.failures = ExportStatus.PENDING.value, None, None, 0, 0
            exp.next_attempt_at = None
        elif not created and exp.status == ExportStatus.SUPERSEDED.value:
            # undone or reopened, then approved again at the same revision: it goes out after all
            after = ExportStatus.PENDING.value if target.is_storage else ExportStatus.WAITING.value
            _audit(exp, actor, "export.rerun", exp.status, after)
            exp.status, exp.error, exp.attempt, exp.tries, exp.failures = after, None, None, 0, 0
        exports.append(exp)
    db.session.commit()
    _enqueue([e for e in exports if e.status == ExportStatus.PENDING.value], delay_s=grace_left(variant))
    release_webhooks(variant.id, variant.revision)
    return exports


def on_variant_approved(variant: Variant) -> None:
    """Hook for review: a revision was approved. Records it in the pull feed and schedules its exports.

    Call after the approval is committed. Never raises for Redis trouble: the rows are in the
    database and the reconciler enqueues them.
    """
    exists = db.session.scalar(select(FeedEntry.id).where(FeedEntry.variant_id == variant.id,
                                                          FeedEntry.revision == variant.revision))
    if exists is None:
        # the variant's older revisions stop being current, and this one is new on the feed
        touch_feed(variant.id)
        db.session.add(FeedEntry(variant_id=variant.id, revision=variant.revision, seq=_next_feed_seq()))
        db.session.commit()
    schedule_variant(variant, actor=getattr(variant, "approved_by", None) or "review")


def export_request(request_id: int, *, rerun: bool = False, actor: str = "api") -> list[Export]:
    """Export every approved variant of a request (on demand)."""
    req = db.session.get(RenderRequest, request_id)
    if req is None:
        raise NotFound(f"render request {request_id} does not exist")
    approved = [v for v in req.variants if v.status == APPROVED]
    if not approved:
        raise Conflict(f"render request {request_id} has no approved variants to export")
    out: list[Export] = []
    for v in approved:
        out.extend(schedule_variant(v, rerun=rerun, actor=actor))
    return out


def retry_export(export_id: int, actor: str = "api") -> Export:
    """A failed export goes back to pending (webhooks keep their id and body) and is enqueued."""
    exp = get_export(export_id)
    if exp.status != ExportStatus.FAILED.value:
        raise Conflict(f"export {export_id} is {exp.status}; only failed exports can be retried")
    _audit(exp, actor, "export.retried", exp.status, ExportStatus.PENDING.value, {"error": exp.error})
    exp.status, exp.attempt, exp.tries, exp.failures = ExportStatus.PENDING.value, None, 0, 0
    exp.next_attempt_at = None
    delivery = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.export_id == exp.id))
    if delivery is not None:
        delivery.status = "pending"
    db.session.commit()
    _enqueue([exp])
    return exp


def get_export(export_id: int) -> Export:
    exp = db.session.get(Export, export_id)
    if exp is None:
        raise NotFound(f"export {export_id} does not exist")
    return exp


def list_exports(*, request_id: int | None = None, status: str | None = None, target_id: int | None = None,
                 limit: int = 100, offset: int = 0) -> list[Export]:
    q = select(Export).order_by(Export.id)
    if request_id is not None:
        q = q.where(Export.request_id == request_id)
    if status is not None:
        q = q.where(Export.status == status)
    if target_id is not None:
        q = q.where(Export.target_id == target_id)
    return list(db.session.scalars(q.limit(limit).offset(offset)))


def _audit(exp: Export, actor: str, action: str, before: str | None, after: str | None,
           detail: dict | None = None) -> None:
    db.session.add(AuditEvent(actor=actor, action=action, entity_type="export", entity_id=exp.id,
                              revision=exp.revision, state_before=before, state_after=after, detail=detail))


# ---------------------------------------------------------------- running


def _claim(export_id: int) -> str | None:
    token = uuid.uuid4().hex
    now = utcnow()
    res = db.session.execute(update(Export).where(Export.id == export_id, Export.status == ExportStatus.PENDING.value)
                             .values(status=ExportStatus.RUNNING.value, attempt=token, started_at=now,
                                     heartbeat_at=now, error=None))
    db.session.commit()
    return token if res.rowcount == 1 else None


def _owned(export_id: int, token: str) -> tuple:
    return (Export.id == export_id, Export.attempt == token, Export.status == ExportStatus.RUNNING.value)


def _beat(export_id: int, token: str, **values: Any) -> None:
    """Heartbeat in the database (and any values); raises LostClaim if the export is no longer ours."""
    res = db.session.execute(update(Export).where(*_owned(export_id, token)).values(heartbeat_at=utcnow(), **values))
    db.session.commit()
    if res.rowcount != 1:
        raise LostClaim(f"export {export_id} was taken from attempt {token}")


class RetryLater(Exception):
    """A retryable failure with tries left: the export goes back to pending and its next try is
    scheduled `delay` seconds out. No worker sleeps through a backoff."""

    def __init__(self, delay: float, error: TargetError) -> None:
        super().__init__(str(error))
        self.delay, self.error = delay, error


def _backoff() -> RetryPolicy:
    cfg = current_app.config
    return RetryPolicy(attempts=int(cfg["EXPORT_MAX_TRIES"]), base_delay=float(cfg["EXPORT_BACKOFF_S"]),
                       max_delay=float(cfg["EXPORT_BACKOFF_MAX_S"]))


def _attempt(exp: Export, token: str, fn: Callable[[], T], on_error: Callable[[TargetError], None] | None = None) -> T:
    """One try against the target, counted on the export. A retryable failure with tries left
    raises RetryLater (exponential backoff with jitter, at least the target's Retry-After)."""
    try:
        out = fn()
    except TargetError as exc:
        if on_error is not None:
            on_error(exc)
        _beat(exp.id, token, tries=Export.tries + 1, failures=Export.failures + 1)
        db.session.refresh(exp)
        wait = _backoff().after_failure(exp.failures, exc)
        if wait is not None:
            raise RetryLater(wait, exc) from None
        raise
    _beat(exp.id, token, tries=Export.tries + 1, failures=0)
    return out


def _defer(exp: Export, token: str, later: RetryLater) -> bool:
    """Back to pending with the error and the due time, and the next try scheduled in RQ."""
    due = utcnow() + timedelta(seconds=later.delay)
    error = f"{exp.target.kind} target {exp.target.name!r}: {later.error} (try {exp.failures + 1} " \
            f"due in {later.delay:.1f}s)"
    res = db.session.execute(update(Export).where(*_owned(exp.id, token)).values(
        status=ExportStatus.PENDING.value, attempt=None, error=error, next_attempt_at=due, heartbeat_at=utcnow()))
    if res.rowcount != 1:
        db.session.rollback()
        return False
    _audit(exp, "worker", "export.retry_scheduled", ExportStatus.RUNNING.value, ExportStatus.PENDING.value,
           {"error": str(later.error), "delay_s": round(later.delay, 2)})
    db.session.commit()
    db.session.refresh(exp)
    _enqueue([exp], delay_s=later.delay)
    return True


def _finish(exp_id: int, token: str, status: str, error: str | None = None, **values: Any) -> bool:
    res = db.session.execute(update(Export).where(*_owned(exp_id, token)).values(
        status=status, error=error, finished_at=utcnow(), heartbeat_at=utcnow(), next_attempt_at=None, **values))
    if res.rowcount != 1:
        db.session.rollback()
        return False
    exp = db.session.get(Export, exp_id)
    if status == ExportStatus.DONE.value and exp.target.is_storage:
        touch_feed(exp.variant_id, exp.revision)  # its files have URLs at this target now
    _audit(exp, "worker", f"export.{status}", ExportStatus.RUNNING.value, status, {"error": error} if error else None)
    db.session.commit()
    return True


def run_export(export_id: int) -> str:
    """Run one export; returns 'done', 'failed', 'retrying' (next try scheduled), 'superseded' or
    'skipped' (not ours to run)."""
    token = _claim(export_id)
    if token is None:
        return "skipped"
    exp = db.session.get(Export, export_id)
    db.session.refresh(exp)
    try:
        target = build_target(exp.target)
        if exp.target.kind in STORAGE_KINDS:
            _push_assets(exp, target, token)
            _publish_manifest(exp, target, token)
            done = _finish(exp.id, token, ExportStatus.DONE.value)
            if done:
                release_webhooks(exp.variant_id, exp.revision)
        else:
            done = _deliver_webhook(exp, target, token)
        return "done" if done else "skipped"
    except LostClaim:
        db.session.rollback()
        return "skipped"
    except RetryLater as later:
        db.session.rollback()
        return "retrying" if _defer(exp, token, later) else "skipped"
    except Superseded as exc:
        db.session.rollback()
        _finish(export_id, token, ExportStatus.SUPERSEDED.value, str(exc))
        _supersede_webhooks(exp.variant_id, exp.revision)
        return "superseded"
    except (TargetError, UrlRefused, SecretMissing, ExportImpossible) as exc:
        db.session.rollback()
        prefix = "url refused: " if isinstance(exc, UrlRefused) else ""
        _finish(export_id, token, ExportStatus.FAILED.value, f"{exp.target.kind} target {exp.target.name!r}: "
                f"{prefix}{exc}")
        return "failed"
    except Exception as exc:  # a bug: record it on the export, and let RQ see the job fail too
        db.session.rollback()
        _finish(export_id, token, ExportStatus.FAILED.value, f"{type(exc).__name__}: {exc}")
        raise


class ExportImpossible(Exception):
    """The revision cannot be exported as it is (no encoded files)."""


class Superseded(ExportImpossible):
    """The revision was re-rendered or un-approved before its export ran: nothing to send, not a failure."""


def _supersede_webhooks(variant_id: int, revision: int) -> None:
    db.session.execute(update(Export).where(Export.variant_id == variant_id, Export.revision == revision,
                                            Export.status == ExportStatus.WAITING.value)
                       .values(status=ExportStatus.SUPERSEDED.value, error="the revision was superseded"))
    db.session.commit()


def asset_key(slug: str, locale: str, fmt: str, sha256: str, ext: str) -> str:
    """Content-addressed: a new revision gets new keys, so caching forever is safe."""
    return f"{slug}/{locale}/{fmt}/{sha256[:16]}.{ext}"


def _push_assets(exp: Export, target, token: str) -> None:
    variant = exp.variant
    db.session.refresh(variant)
    if variant.revision != exp.revision:
        raise Superseded(f"variant {variant.id} moved on to revision {variant.revision} before revision "
                         f"{exp.revision} was exported")
    if variant.status != APPROVED:
        raise Superseded(f"variant {variant.id} is {variant.status}, no longer approved")
    slug = variant.request.title.slug
    store = blob_store()
    pushed: dict[str, dict] = {}
    sent = exp.sent
    for kind, meta in sorted(encodings.delivery(variant).items()):  # derived kinds made once, on demand
        _beat(exp.id, token)
        asset = Asset(key=asset_key(slug, variant.locale, variant.format, meta["sha256"], meta.get("ext", kind)),
                      data=store.get(meta["key"]), sha256=meta["sha256"], content_type=meta["mime"],
                      cache_control=IMMUTABLE)
        res = _attempt(exp, token, lambda: target.put(asset))
        sent += int(res.sent)
        pushed[kind] = {"key": asset.key, "url": res.url, "sha256": asset.sha256, "bytes": len(asset.data),
                        "mime": asset.content_type, "sent": res.sent}
        result = {"locale": variant.locale, "format": variant.format, "width": variant.width,
                  "height": variant.height, "approved_by": getattr(variant, "approved_by", None),
                  "approved_at": _iso(getattr(variant, "approved_at", None)), "assets": dict(pushed)}
        _beat(exp.id, token, sent=sent, result=result)
    if not pushed:
        raise ExportImpossible(f"variant {variant.id} has no encoded files")
    # Every file is at the target now: from here on the revision belongs in the manifest, even while
    # a later re-run of this export is pending.
    _beat(exp.id, token, result={**result, "complete": True})


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


# ---------------------------------------------------------------- manifests


def manifest_key(slug: str, request_id: int) -> str:
    return f"{slug}/manifests/request-{request_id}.json"


def build_manifest(target: ExportTarget, request_id: int) -> dict[str, Any]:
    """The request's manifest at one target, from the database: per variant, the latest revision whose
    files all reached the target (whatever the export's status now: a pending re-run keeps its place)."""
    req = db.session.get(RenderRequest, request_id)
    rows = list(db.session.scalars(select(Export).where(Export.target_id == target.id, Export.request_id == request_id,
                                                        Export.result.is_not(None))))
    latest: dict[int, Export] = {}
    for r in rows:
        if not (r.result or {}).get("complete"):
            continue
        if r.variant_id not in latest or r.revision > latest[r.variant_id].revision:
            latest[r.variant_id] = r
    assets = []
    for r in latest.values():
        res = r.result
        for encoding, a in sorted(res["assets"].items()):
            assets.append({"variant_id": r.variant_id, "revision": r.revision, "locale": res["locale"],
                           "format": res["format"], "encoding": encoding,
                           "size": f"{res['width']}x{res['height']}", "width": res["width"], "height": res["height"],
                           "mime": a["mime"], "bytes": a["bytes"], "sha256": a["sha256"], "url": a["url"],
                           "approved_by": res["approved_by"], "approved_at": res["approved_at"]})
    assets.sort(key=lambda a: (a["locale"], a["format"], a["encoding"]))
    return {"manifest_version": 1, "request_id": request_id, "title": req.title.slug, "target": target.name,
            "assets": assets}


@contextmanager
def manifest_lock(target_id: int, request_id: int, holder: str, wait_s: float = 120.0) -> Iterator[ExportManifest]:
    """A lock in the database (not Redis, which may be restarting): one publisher per manifest at a time."""
    where = (ExportManifest.target_id == target_id, ExportManifest.request_id == request_id)
    if db.session.scalar(select(ExportManifest.id).where(*where)) is None:
        try:
            db.session.add(ExportManifest(target_id=target_id, request_id=request_id, entries=0))
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
    deadline = time.monotonic() + wait_s
    while True:
        now = utcnow()
        res = db.session.execute(update(ExportManifest).where(
            *where, or_(ExportManifest.lock_holder.is_(None), ExportManifest.lock_expires < now))
            .values(lock_holder=holder, lock_expires=now + timedelta(seconds=wait_s)))
        db.session.commit()
        if res.rowcount == 1:
            break
        if time.monotonic() > deadline:
            raise TargetError("timed out waiting for the manifest lock", retryable=True)
        time.sleep(0.1)
    try:
        yield db.session.scalars(select(ExportManifest).where(*where)).one()
    finally:
        db.session.rollback()
        db.session.execute(update(ExportManifest).where(*where, ExportManifest.lock_holder == holder)
                           .values(lock_holder=None, lock_expires=None))
        db.session.commit()


def _publish_manifest(exp: Export, target, token: str) -> None:
    """Under the lock, read every done export of the request and publish; the last writer is complete."""
    import hashlib

    with manifest_lock(exp.target_id, exp.request_id, token) as row:
        db.session.refresh(exp)
        manifest = build_manifest(exp.target, exp.request_id)
        body = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False).encode()
        asset = Asset(key=manifest_key(manifest["title"], exp.request_id), data=body,
                      sha256=hashlib.sha256(body).hexdigest(), content_type="application/json",
                      cache_control=MUTABLE)
        _beat(exp.id, token)
        res = _attempt(exp, token, lambda: target.put(asset))
        row.key, row.url, row.sha256 = asset.key, res.url, asset.sha256
        row.entries, row.published_at = len(manifest["assets"]), utcnow()
        db.session.commit()


# ---------------------------------------------------------------- webhooks


def _event_body(variant_id: int, revision: int) -> str:
    """What a webhook announces: one approved revision, its files and where each target put them."""
    exports = db.session.scalars(select(Export).join(ExportTarget).where(
        Export.variant_id == variant_id, Export.revision == revision,
        ExportTarget.kind.in_(STORAGE_KINDS), Export.status == ExportStatus.DONE.value)).all()
    variant = db.session.get(Variant, variant_id)
    files: dict[str, dict] = {}
    manifests = {}
    for e in exports:
        for encoding, a in e.result["assets"].items():
            entry = files.setdefault(encoding, {"encoding": encoding, "mime": a["mime"], "bytes": a["bytes"],
                                                "sha256": a["sha256"], "urls": {}})
            entry["urls"][e.target.name] = a["url"]
        m = db.session.scalar(select(ExportManifest).where(ExportManifest.target_id == e.target_id,
                                                           ExportManifest.request_id == e.request_id))
        if m is not None and m.url:
            manifests[e.target.name] = m.url
    if not files:  # no storage target matched: announce the files themselves
        for encoding, a in sorted(encodings.delivery(variant).items()):
            files[encoding] = {"encoding": encoding, "mime": a["mime"], "bytes": a["bytes"], "sha256": a["sha256"],
                               "urls": {}}
    data = {"variant_id": variant.id, "request_id": variant.request_id, "title": variant.request.title.slug,
            "locale": variant.locale, "format": variant.format, "revision": revision,
            "size": f"{variant.width}x{variant.height}", "approved_by": getattr(variant, "approved_by", None),
            "approved_at": _iso(getattr(variant, "approved_at", None)),
            "files": [files[k] for k in sorted(files)], "manifests": manifests}
    return json.dumps({"type": EVENT_TYPE, "timestamp": utcnow().isoformat(), "data": data}, sort_keys=True)


def release_webhooks(variant_id: int, revision: int) -> int:
    """Webhooks fire after the assets: once every storage export of the revision is done, the waiting
    webhook exports become pending, each with a delivery whose id and body are fixed from now on."""
    variant = db.session.get(Variant, variant_id)
    if variant is None or variant.status != APPROVED or variant.revision != revision or grace_left(variant) > 0:
        return 0  # not (or no longer) approved, or still within the undo grace: the reconciler comes back
    storage = db.session.scalars(select(Export.status).join(ExportTarget).where(
        Export.variant_id == variant_id, Export.revision == revision, ExportTarget.kind.in_(STORAGE_KINDS))).all()
    if any(s != ExportStatus.DONE.value for s in storage):
        return 0
    waiting = db.session.scalars(select(Export).where(Export.variant_id == variant_id, Export.revision == revision,
                                                      Export.status == ExportStatus.WAITING.value)).all()
    released = []
    for w in waiting:
        res = db.session.execute(update(Export).where(Export.id == w.id, Export.status == ExportStatus.WAITING.value)
                                 .values(status=ExportStatus.PENDING.value))
        if res.rowcount != 1:
            db.session.rollback()
            continue
        db.session.add(WebhookDelivery(id=f"msg_{uuid.uuid4().hex}", export_id=w.id, event_type=EVENT_TYPE,
                                       body=_event_body(variant_id, revision), status="pending", tries=0))
        db.session.commit()
        db.session.refresh(w)
        released.append(w)
    _enqueue(released)
    return len(released)


def _deliver_webhook(exp: Export, target, token: str) -> bool:
    delivery = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.export_id == exp.id)).one()

    def record(err: TargetError) -> None:
        delivery.tries += 1
        delivery.response_status, delivery.error = err.status, str(err)

    try:
        status = _attempt(exp, token, lambda: target.send(delivery.id, delivery.body.encode()), on_error=record)
    except TargetError:
        delivery.status = "failed"
        db.session.commit()
        raise
    delivery.tries += 1
    delivery.status, delivery.response_status, delivery.error = "delivered", status, None
    delivery.delivered_at = utcnow()
    db.session.commit()
    return _finish(exp.id, token, ExportStatus.DONE.value, tries=delivery.tries, sent=1)


# ---------------------------------------------------------------- reconciler


def _forget_job(jid: str) -> None:
    """Delete a finished, failed or abandoned job so that its id can be enqueued again."""
    from app.queueing import fetch_job

    job = fetch_job(jid)
    if job is None:
        return
    try:
        job.delete()
    except Exception:  # RQ 3 cannot delete a job whose execution record died with its worker
        job.connection.delete(job.key)


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


def _due_in(at) -> float:
    """Seconds until `at` (naive means UTC, as SQLite gives it back), 0 if past or None."""
    if at is None:
        return 0.0
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return max(0.0, (at - utcnow()).total_seconds())


def _requeue_pending(seen, reason: str) -> Export | None:
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
    _audit(exp, "reconciler", "export.requeued", ExportStatus.PENDING.value, ExportStatus.PENDING.value,
           {"reason": reason})
    db.session.commit()
    return exp


def reconcile_exports() -> list[dict]:
    """Make Redis agree with the database: enqueue pending exports whose job is gone, take back running
    exports whose heartbeat went stale (their worker died), release webhooks whose assets are done.

    Rows are read first, then RQ is asked about their jobs; every move is a conditional UPDATE on
    the state that was read, so an export whose job finished (or retried) meanwhile is left alone."""
    from rq.job import JobStatus

    from app.queueing import fetch_job

    cfg = current_app.config
    now = utcnow()
    done: list[dict] = []
    pending = db.session.execute(select(Export.id, Export.job_id, Export.tries, Export.enqueued_at).where(
        Export.status == ExportStatus.PENDING.value,
        or_(Export.enqueued_at.is_(None), Export.enqueued_at < now - timedelta(seconds=cfg["RECONCILE_GRACE_S"])))
        .order_by(Export.id)).all()
    db.session.commit()  # end the read: the re-check after each lookup must see later commits
    for seen in pending:
        export_id, jid, tries, _ = seen
        jid = jid or job_id(Export(id=export_id, tries=tries))
        job = fetch_job(jid)
        status = job.get_status(refresh=False) if job is not None else None
        if status in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
            continue
        reason = "job missing from Redis" if job is None else f"job {status.value}"
        exp = _requeue_pending(seen, reason)
        if exp is None:  # its job claimed, finished or rescheduled it meanwhile
            continue
        _forget_job(jid)
        _enqueue([exp], delay_s=_due_in(exp.next_attempt_at))  # a lost retry keeps its backoff
        done.append({"export": export_id, "reason": reason})
    stale = db.session.execute(select(Export.id, Export.attempt, Export.job_id, Export.tries).where(
        Export.status == ExportStatus.RUNNING.value,
        Export.heartbeat_at < now - timedelta(seconds=cfg["EXPORT_STALE_S"])).order_by(Export.id)).all()
    db.session.commit()
    for export_id, attempt, jid, tries in stale:
        res = db.session.execute(update(Export).where(
            Export.id == export_id, Export.attempt == attempt, Export.status == ExportStatus.RUNNING.value,
            Export.heartbeat_at < now - timedelta(seconds=cfg["EXPORT_STALE_S"]))
            .values(status=ExportStatus.PENDING.value, attempt=None).execution_options(synchronize_session=False))
        if res.rowcount != 1:  # it beat, finished or was taken back by another reconciler meanwhile
            db.session.rollback()
            continue
        exp = db.session.get(Export, export_id)
        db.session.refresh(exp)
        _audit(exp, "reconciler", "export.requeued", ExportStatus.RUNNING.value, ExportStatus.PENDING.value,
               {"reason": "heartbeat stale"})
        db.session.commit()
        _forget_job(jid or job_id(Export(id=export_id, tries=tries)))  # the dead attempt's job
        _enqueue([exp])
        done.append({"export": export_id, "reason": "heartbeat stale"})
    for variant in _approved_but_unscheduled():
        exps = schedule_variant(variant, actor="reconciler")
        done.append({"variant": variant.id, "revision": variant.revision, "reason": "approved, never scheduled",
                     "exports": [e.id for e in exps]})
    waiting = db.session.execute(select(Export.variant_id, Export.revision).where(
        Export.status == ExportStatus.WAITING.value).distinct()).all()
    for variant_id, revision in waiting:
        if release_webhooks(variant_id, revision):
            done.append({"variant": variant_id, "revision": revision, "reason": "webhooks released"})
    return done


# ---------------------------------------------------------------- pull feed


def _next_feed_seq(conn=None) -> int:
    """The next feed sequence number. The UPDATE locks the counter row until this transaction
    commits, so numbers become visible in commit order (keep the rest of the transaction short)."""
    conn = conn if conn is not None else db.session.connection()
    value = conn.execute(update(FeedCounter).where(FeedCounter.id == 1)
                         .values(value=FeedCounter.value + 1).returning(FeedCounter.value)).scalar()
    if value is None:  # a database created without the migrations' seed row
        conn.execute(insert(FeedCounter).values(id=1, value=1))
        value = 1
    return int(value)


def touch_feed(variant_id: int, revision: int | None = None, conn=None) -> None:
    """Move the variant's feed entries (or one revision's) to the end of the feed, so pullers
    asking for changes since their cursor see them again (new URLs, or no longer current). Runs in
    the caller's transaction (`conn`: a flush hook's connection)."""
    conn = conn if conn is not None else db.session.connection()
    q = select(FeedEntry.id).where(FeedEntry.variant_id == variant_id).order_by(FeedEntry.revision)
    if revision is not None:
        q = q.where(FeedEntry.revision == revision)
    for entry_id in conn.execute(q).scalars().all():
        conn.execute(update(FeedEntry).where(FeedEntry.id == entry_id).values(seq=_next_feed_seq(conn)))


def feed(cursor: int = 0, limit: int = 100) -> dict[str, Any]:
    """Approved revisions that changed after `cursor` (approved, exported to a target, superseded
    by a newer approval), in the order the changes committed, with their files' checksums and URLs."""
    if cursor < 0 or not 1 <= limit <= 1000:
        raise ServiceError("cursor must be >= 0 and limit between 1 and 1000", status=422)
    rows = db.session.scalars(select(FeedEntry).where(FeedEntry.seq > cursor).order_by(FeedEntry.seq)
                              .limit(limit)).all()
    items = []
    for row in rows:
        v = row.variant
        exports = db.session.scalars(select(Export).join(ExportTarget).where(
            Export.variant_id == v.id, Export.revision == row.revision, Export.status == ExportStatus.DONE.value,
            ExportTarget.kind.in_(STORAGE_KINDS))).all()
        current = v.revision == row.revision and v.status == APPROVED
        files: dict[str, dict] = {}
        if current:
            for encoding, a in (v.assets or {}).items():
                files[encoding] = {"encoding": encoding, "mime": a["mime"], "bytes": a["bytes"], "sha256": a["sha256"],
                                   "download_url": url_for("variants.VariantImage", variant_id=v.id, kind=encoding,
                                                           _external=True), "urls": {}}
        for e in exports:
            for encoding, a in e.result["assets"].items():
                files.setdefault(encoding, {"encoding": encoding, "mime": a["mime"], "bytes": a["bytes"],
                                            "sha256": a["sha256"], "download_url": None, "urls": {}})
                files[encoding]["urls"][e.target.name] = a["url"]
        items.append({"cursor": row.seq, "variant_id": v.id, "request_id": v.request_id,
                      "title": v.request.title.slug, "locale": v.locale, "format": v.format,
                      "revision": row.revision, "current": current,
                      "approved_at": _iso(getattr(v, "approved_at", None) if current else row.created_at),
                      "approved_by": getattr(v, "approved_by", None) if current else None,
                      "files": [files[k] for k in sorted(files)]})
    return {"items": items, "next_cursor": rows[-1].seq if rows else cursor}
