"""The audit trail page: every recorded event, newest first, in the reader's language.

Events store codes (action "review.flag_shared", states "changes_requested") so the record does
not depend on a UI language; the labels here translate them. Filters by kind of thing and by
person, and paging by id (a cursor: new events arriving do not shift the pages).
"""
from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import and_, or_, select

from ..auth import roles
from ..extensions import db
from ..models import AuditEvent, Export, RenderRequest, Title, User, Variant
from .exports_views import export_status_labels
from .views import FIXERS, bp, status_labels

PAGE = 100


def action_labels() -> dict[str, str]:
    return {
        "request.created": _("Campaign requested"), "variant.rendered": _("Rendered"),
        "variant.requeued": _("Queued again by the reconciler"), "review.opened": _("Opened for review"),
        "review.approve": _("Approved"), "review.flag": _("Flagged"),
        "review.undo": _("Approval undone"), "review.reopen": _("Reopened for review"),
        "review.flag_reply": _("Replied to a flag"), "review.flag_resolved": _("Flag resolved"),
        "review.flag_shared": _("Flagged through a shared flag"), "review.rerender": _("Re-render asked for"),
        "review.generator_remove": _("Sent to the generator: remove"),
        "review.generator_restyle": _("Sent to the generator: restyle"),
        "review.generator_accept": _("Generator proposal used as a new revision"),
        "review.inputs_changed": _("Sent back: its title, tagline or rating changed"),
        "generator_edit.requeued": _("Generator edit queued again by the reconciler"),
        "export.done": _("Exported"), "export.failed": _("Export failed"),
        "export.superseded": _("Export superseded by a newer revision"),
        "export.retry_scheduled": _("Export retry scheduled"), "export.retried": _("Export retried"),
        "export.rerun": _("Export run again"), "export.requeued": _("Export queued again by the reconciler"),
        "export_target.created": _("Export target created"), "export_target.updated": _("Export target changed"),
        "export_target.deleted": _("Export target deleted"), "user.created": _("Person added"),
        "user.updated": _("Person changed"), "token.issued": _("API token issued"),
        "token.revoked": _("API token revoked"),
    }


def entity_labels() -> dict[str, str]:
    return {"variant": _("Variant"), "render_request": _("Campaign"), "export": _("Export"),
            "export_target": _("Export target"), "fix_request": _("Generator edit"), "user": _("Person"),
            "api_token": _("API token")}


@bp.app_context_processor
def _audit_helpers() -> dict[str, Any]:
    return {"action_labels": action_labels, "state_label": state_label}


def state_label(entity_type: str, state: str | None) -> str:
    if not state:
        return ""
    labels = export_status_labels() if entity_type == "export" else status_labels()
    return labels.get(state, state)


#: Actors that are the system, not a person ("People only" hides them).
AUTOMATIC = ("worker", "reconciler", "system")


def _date(name: str):
    from datetime import date

    try:
        return date.fromisoformat(request.args.get(name) or "")
    except ValueError:
        return None  # an unreadable date is ignored, like an unknown kind


def _filters() -> dict[str, Any]:
    kind = request.args.get("kind") or None
    return {"kind": kind if kind in entity_labels() else None, "actor": (request.args.get("actor") or "").strip(),
            "since": _date("since"), "until": _date("until"), "request_id": request.args.get("request_id", type=int),
            "people": request.args.get("people") == "1"}


def details(e: AuditEvent) -> list[tuple[str, str]]:
    """What an event's detail says, labelled in the reader's language: flag categories, comments,
    override values, how far a fix reached, export errors."""
    from .report_view import overrides
    from .views import category_labels, scope_labels

    d = e.detail or {}
    out: list[tuple[str, str]] = []
    if d.get("categories"):
        cats = category_labels()
        out.append((_("Categories"), ", ".join(cats.get(c, c) for c in d["categories"])))
    if d.get("scope") and d["scope"] != "variant":
        out.append((_("Applies to"), scope_labels().get(d["scope"], d["scope"])))
    if d.get("overrides"):
        out.extend(overrides(d["overrides"]))
    if d.get("level"):
        out.append((_("Reached"), _("%(n)s more variants", n=len(d.get("also") or []))))
    if d.get("comment"):
        out.append((_("Comment"), d["comment"]))
    if d.get("error"):
        out.append((_("Error"), d["error"]))
    return out


@bp.route("/audit")
@roles(*FIXERS)
def audit():
    filters = _filters()
    before = request.args.get("before", type=int)
    q = select(AuditEvent).order_by(AuditEvent.id.desc())
    if filters["kind"]:
        q = q.where(AuditEvent.entity_type == filters["kind"])
    if filters["actor"]:
        q = q.where(AuditEvent.actor == filters["actor"])
    if filters["people"]:
        q = q.where(AuditEvent.actor.not_in(AUTOMATIC))
    if filters["since"]:
        q = q.where(AuditEvent.created_at >= datetime.combine(filters["since"], time.min, timezone.utc))
    if filters["until"]:
        q = q.where(AuditEvent.created_at < datetime.combine(filters["until"] + timedelta(days=1), time.min,
                                                             timezone.utc))
    if filters["request_id"]:
        rid = filters["request_id"]
        q = q.where(or_(and_(AuditEvent.entity_type == "render_request", AuditEvent.entity_id == rid),
                        and_(AuditEvent.entity_type == "variant",
                             AuditEvent.entity_id.in_(select(Variant.id).where(Variant.request_id == rid))),
                        and_(AuditEvent.entity_type == "export",
                             AuditEvent.entity_id.in_(select(Export.id).where(Export.request_id == rid)))))
    if before:
        q = q.where(AuditEvent.id < before)
    rows = list(db.session.scalars(q.limit(PAGE + 1)))
    events = rows[:PAGE]
    actors = db.session.scalars(select(AuditEvent.actor).distinct().order_by(AuditEvent.actor)).all()
    campaigns = db.session.execute(select(RenderRequest.id, Title.original_title).join(Title)
                                   .order_by(RenderRequest.id.desc()).limit(200)).all()
    return render_template("web/audit.html", events=events, older=events[-1].id if len(rows) > PAGE else None,
                           filters=filters, actors=actors, kinds=entity_labels(), campaigns=campaigns,
                           details=details,
                           variants=_rows_by_id(Variant, events, "variant"), users=_rows_by_id(User, events, "user"))


def _rows_by_id(model, events: list[AuditEvent], entity_type: str) -> dict[int, Any]:
    """The rows the page's events name, in one query, so a row reads "ja-JP · Poster" or a name."""
    ids = {e.entity_id for e in events if e.entity_type == entity_type}
    return {r.id: r for r in db.session.scalars(select(model).where(model.id.in_(ids)))} if ids else {}
