"""Inputs changed under an approved revision: a localized title or tagline, or a release's rating
or date, that changes sends every variant built from it that was approved (or waiting for
review) back to changes_requested, approval cleared, with an audit event.

An SQLAlchemy after_flush listener, installed once by create_app (install_input_watch); it
writes on the flush's own connection, so it commits or rolls back with the change itself."""
from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ...models import AuditEvent, RenderRequest, TitleLocalization, TitleRelease, Variant
from ...models.base import utcnow
from ..review_states import S
from .transitions import approval_withdrawn

#: The fields of each input a variant's image depends on.
WATCHED = ((TitleLocalization, ("title", "tagline")), (TitleRelease, ("age_rating", "release_date")))
#: States an input change sends back (what was finished and not already sent back).
SENT_BACK_FROM = (S.APPROVED.value, S.IN_REVIEW.value, S.RENDERED.value)


def install_input_watch() -> None:
    """Listen on every Session's flushes (once, however many apps a process creates)."""
    if not event.contains(Session, "after_flush", _inputs_changed):
        event.listen(Session, "after_flush", _inputs_changed)


def _inputs_changed(session: Session, _flush_context: Any) -> None:
    targets = _changed_inputs(session)
    if not targets:
        return
    conn = session.connection()
    for obj, changed in targets:
        _send_back(conn, obj, changed)


def _changed_inputs(session: Session) -> list[tuple[Any, str]]:
    """(input, "field,field") for each watched input whose watched fields this flush changed."""
    out: list[tuple[Any, str]] = []
    for obj in session.dirty:
        fields = next((f for cls, f in WATCHED if isinstance(obj, cls)), None)
        if fields is None:
            continue
        state = inspect(obj)
        changed = [f for f in fields if state.attrs[f].history.has_changes()]
        if changed:
            out.append((obj, ",".join(changed)))
    return out


def _built_from(obj: Any, locale: str) -> bool:
    """A localization feeds its own locale; a release feeds every locale of its region."""
    if isinstance(obj, TitleLocalization):
        return locale == obj.locale
    return locale.upper().endswith("-" + obj.region.upper())


def _send_back(conn: Connection, obj: Any, changed: str) -> None:
    kind = type(obj).__name__
    rows = conn.execute(select(Variant.id, Variant.revision, Variant.status, Variant.locale)
                        .join(RenderRequest).where(RenderRequest.title_id == obj.title_id,
                                                   Variant.status.in_(SENT_BACK_FROM))).all()
    for vid, rev, status, locale in rows:
        if not _built_from(obj, locale):
            continue
        res = conn.execute(update(Variant).where(Variant.id == vid, Variant.revision == rev,
                                                 Variant.status == status)
                           .values(status=S.CHANGES_REQUESTED.value, approved_by=None, approved_at=None))
        if res.rowcount == 1:
            conn.execute(insert(AuditEvent).values(
                actor="system", action="review.inputs_changed", entity_type="variant", entity_id=vid,
                revision=rev, state_before=status, state_after=S.CHANGES_REQUESTED.value,
                detail={"input": kind, "fields": changed}, created_at=utcnow()))
            if status == S.APPROVED.value:
                approval_withdrawn(vid, conn)
