"""The reads of exports that the API, the UI and the CLI show: lists, counts, manifests and the
feed's rows. One place, so no view holds SQL and each list loads what it shows in its own query
(never one more query per row)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import contains_eager, joinedload

from ...extensions import db
from ...models import Export, ExportManifest, ExportTarget, FeedEntry, WebhookDelivery
from ...models.export import STORAGE_KINDS, ExportStatus
from .. import NotFound


@dataclass(frozen=True)
class ExportRow:
    """An export with its webhook delivery (None for a storage target), read together."""

    export: Export
    delivery: WebhookDelivery | None


def get_export(export_id: int) -> Export:
    exp = db.session.get(Export, export_id)
    if exp is None:
        raise NotFound(f"export {export_id} does not exist")
    return exp


def _filtered(q: Select, request_id: int | None, status: str | None, target_id: int | None) -> Select:
    if request_id is not None:
        q = q.where(Export.request_id == request_id)
    if status is not None:
        q = q.where(Export.status == status)
    if target_id is not None:
        q = q.where(Export.target_id == target_id)
    return q


def list_exports(*, request_id: int | None = None, status: str | None = None, target_id: int | None = None,
                 limit: int = 100, offset: int = 0, newest_first: bool = False) -> list[Export]:
    """Exports with their target and variant, oldest first (the API) or newest first (a page,
    where what just happened matters most)."""
    q = select(Export).options(joinedload(Export.target), joinedload(Export.variant))
    q = _filtered(q, request_id, status, target_id).order_by(Export.id.desc() if newest_first else Export.id)
    return list(db.session.scalars(q.limit(limit).offset(offset)))


def list_export_rows(*, request_id: int | None = None, status: str | None = None, target_id: int | None = None,
                     limit: int = 100, offset: int = 0) -> list[ExportRow]:
    """Exports, oldest first, each with its target and webhook delivery, in one query."""
    q = (select(Export, WebhookDelivery).outerjoin(WebhookDelivery, WebhookDelivery.export_id == Export.id)
         .options(joinedload(Export.target)))
    q = _filtered(q, request_id, status, target_id).order_by(Export.id)
    return [ExportRow(exp, delivery) for exp, delivery in db.session.execute(q.limit(limit).offset(offset))]


def export_row(exp: Export) -> ExportRow:
    return export_rows([exp])[0]


def export_rows(exports: list[Export]) -> list[ExportRow]:
    """The given exports with their webhook deliveries, read in one query."""
    ids = [e.id for e in exports]
    deliveries = {d.export_id: d for d in db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.export_id.in_(ids)))} if ids else {}
    return [ExportRow(e, deliveries.get(e.id)) for e in exports]


def export_counts(request_id: int) -> dict[str, int]:
    """How many exports of the request are in each status."""
    return dict(db.session.execute(select(Export.status, func.count()).where(Export.request_id == request_id)
                                   .group_by(Export.status)).all())


def published_manifests(request_id: int, *, by_target_name: bool = False) -> list[Row[Any]]:
    """The request's published manifests, one per target: target_id, name (the target's), url,
    sha256, entries and published_at; by target id, or by target name for a page."""
    return list(db.session.execute(
        select(ExportManifest.target_id, ExportTarget.name, ExportManifest.url, ExportManifest.sha256,
               ExportManifest.entries, ExportManifest.published_at)
        .join(ExportTarget, ExportTarget.id == ExportManifest.target_id)
        .where(ExportManifest.request_id == request_id, ExportManifest.published_at.is_not(None))
        .order_by(ExportTarget.name if by_target_name else ExportManifest.target_id)).all())


def targets_by_name() -> list[ExportTarget]:
    return list(db.session.scalars(select(ExportTarget).order_by(ExportTarget.name)))


def feed_entries(cursor: int, limit: int) -> list[FeedEntry]:
    """Feed entries that changed after `cursor`, in the order the changes committed."""
    return list(db.session.scalars(select(FeedEntry).options(joinedload(FeedEntry.variant))
                                   .where(FeedEntry.seq > cursor).order_by(FeedEntry.seq).limit(limit)))


def done_storage_exports(revisions: list[tuple[int, int]]) -> dict[tuple[int, int], list[Export]]:
    """The finished exports to storage targets of each (variant id, revision), with their targets,
    in one query."""
    wanted = set(revisions)
    if not wanted:
        return {}
    rows = db.session.scalars(
        select(Export).join(ExportTarget).options(contains_eager(Export.target))
        .where(Export.variant_id.in_({v for v, _ in wanted}), Export.status == ExportStatus.DONE.value,
               ExportTarget.kind.in_(STORAGE_KINDS)).order_by(Export.id))
    out: dict[tuple[int, int], list[Export]] = defaultdict(list)
    for e in rows:
        if (e.variant_id, e.revision) in wanted:
            out[(e.variant_id, e.revision)].append(e)
    return dict(out)
