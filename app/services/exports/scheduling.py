"""Approvals become exports: one Export row per matching target, variant and revision, enqueued
once the undo grace is over. Also the on-demand paths: export a whole request, retry a failure."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Export, ExportTarget, RenderRequest, Variant, WebhookDelivery
from ...models.export import ExportStatus
from .. import Conflict, NotFound
from .enqueue import enqueue
from .feed import record_approval
from .queries import get_export
from .records import APPROVED, audit, grace_left
from .webhooks import release_webhooks

_AGAIN = (ExportStatus.DONE.value, ExportStatus.FAILED.value)


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


def _restart(exp: Export, actor: str, after: str) -> None:
    """An existing export starts over (audited): no error, no attempt, no tries."""
    audit(exp, actor, "export.rerun", exp.status, after)
    exp.status, exp.error, exp.attempt, exp.tries, exp.failures = after, None, None, 0, 0


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
        if not created and rerun and target.is_storage and exp.status in _AGAIN:
            _restart(exp, actor, ExportStatus.PENDING.value)
            exp.next_attempt_at = None
        elif not created and exp.status == ExportStatus.SUPERSEDED.value:
            # undone or reopened, then approved again at the same revision: it goes out after all
            _restart(exp, actor, ExportStatus.PENDING.value if target.is_storage else ExportStatus.WAITING.value)
        exports.append(exp)
    db.session.commit()
    enqueue([e for e in exports if e.status == ExportStatus.PENDING.value], delay_s=grace_left(variant))
    release_webhooks(variant.id, variant.revision)
    return exports


def on_variant_approved(variant: Variant) -> None:
    """Hook for review: a revision was approved. Records it in the pull feed and schedules its exports.

    Call after the approval is committed. Never raises for Redis trouble: the rows are in the
    database and the reconciler enqueues them.
    """
    record_approval(variant)
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
    audit(exp, actor, "export.retried", exp.status, ExportStatus.PENDING.value, {"error": exp.error})
    exp.status, exp.attempt, exp.tries, exp.failures = ExportStatus.PENDING.value, None, 0, 0
    exp.next_attempt_at = None
    delivery = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.export_id == exp.id))
    if delivery is not None:
        delivery.status = "pending"
    db.session.commit()
    enqueue([exp])
    return exp
