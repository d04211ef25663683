"""The audit trail read back: a page of events by filters, newest first, paged by id (a cursor:
new events arriving do not shift the pages), and what the filter menus and the rows name."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.sql import Select

from ...extensions import db
from ...models import AuditEvent, Export, RenderRequest, Title, Variant

#: Actors that are the system, not a person ("People only" hides them).
AUTOMATIC = ("worker", "reconciler", "system")


@dataclass(frozen=True)
class AuditFilters:
    kind: str | None = None
    actor: str = ""
    since: date | None = None
    until: date | None = None
    request_id: int | None = None
    people: bool = False


def events_page(filters: AuditFilters, before: int | None, size: int) -> tuple[list[AuditEvent], int | None]:
    """Up to `size` events older than id `before`, and the id to ask for the next page (None: last)."""
    q = _filtered(select(AuditEvent).order_by(AuditEvent.id.desc()), filters)
    if before:
        q = q.where(AuditEvent.id < before)
    rows = list(db.session.scalars(q.limit(size + 1)))
    events = rows[:size]
    return events, (events[-1].id if len(rows) > size else None)


def _filtered(q: Select, f: AuditFilters) -> Select:
    if f.kind:
        q = q.where(AuditEvent.entity_type == f.kind)
    if f.actor:
        q = q.where(AuditEvent.actor == f.actor)
    if f.people:
        q = q.where(AuditEvent.actor.not_in(AUTOMATIC))
    if f.since:
        q = q.where(AuditEvent.created_at >= datetime.combine(f.since, time.min, timezone.utc))
    if f.until:
        q = q.where(AuditEvent.created_at < datetime.combine(f.until + timedelta(days=1), time.min, timezone.utc))
    if f.request_id:
        q = q.where(_about_request(f.request_id))
    return q


def _about_request(rid: int):
    """Events about the campaign itself, its variants or its exports."""
    return or_(and_(AuditEvent.entity_type == "render_request", AuditEvent.entity_id == rid),
               and_(AuditEvent.entity_type == "variant",
                    AuditEvent.entity_id.in_(select(Variant.id).where(Variant.request_id == rid))),
               and_(AuditEvent.entity_type == "export",
                    AuditEvent.entity_id.in_(select(Export.id).where(Export.request_id == rid))))


def actors() -> list[str]:
    """Everyone (and everything) that has an event, for the person filter."""
    return list(db.session.scalars(select(AuditEvent.actor).distinct().order_by(AuditEvent.actor)))


def recent_campaigns(limit: int = 200) -> list[tuple[int, str]]:
    """(request id, title) of the newest campaigns, for the campaign filter."""
    return [tuple(r) for r in db.session.execute(select(RenderRequest.id, Title.original_title).join(Title)
                                                 .order_by(RenderRequest.id.desc()).limit(limit))]


def rows_by_id(model: Any, events: list[AuditEvent], entity_type: str) -> dict[int, Any]:
    """The rows the page's events name, in one query, so a row reads "ja-JP · Poster" or a name."""
    ids = {e.entity_id for e in events if e.entity_type == entity_type}
    return {r.id: r for r in db.session.scalars(select(model).where(model.id.in_(ids)))} if ids else {}
