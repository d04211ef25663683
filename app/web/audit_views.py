"""The audit trail page: every recorded event, newest first, in the reader's language.

Events store codes (action "review.flag_shared", states "changes_requested") so the record does
not depend on a UI language; the labels here translate them. Filters by kind of thing and by
person, and paging by id (a cursor: new events arriving do not shift the pages).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _

from ..auth import roles
from ..models import AuditEvent, User, Variant
from ..services.queries import audit as audit_reads
from ..services.queries.audit import AuditFilters
from .blueprint import FIXERS, bp
from .exports_views import export_status_labels
from .labels import category_labels, scope_labels, status_labels
from .report_view import overrides

#: Events per page (a cursor page: "Older" asks for the events before the last one shown).
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


def _date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name) or "")
    except ValueError:
        return None  # an unreadable date is ignored, like an unknown kind


def _filters() -> AuditFilters:
    kind = request.args.get("kind") or None
    return AuditFilters(kind=kind if kind in entity_labels() else None,
                        actor=(request.args.get("actor") or "").strip(), since=_date("since"), until=_date("until"),
                        request_id=request.args.get("request_id", type=int), people=request.args.get("people") == "1")


def details(e: AuditEvent) -> list[tuple[str, str]]:
    """What an event's detail says, labelled in the reader's language: flag categories, comments,
    override values, how far a fix reached, export errors."""
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
    events, older = audit_reads.events_page(filters, request.args.get("before", type=int), PAGE)
    return render_template("web/audit.html", events=events, older=older, filters=filters,
                           actors=audit_reads.actors(), kinds=entity_labels(), campaigns=audit_reads.recent_campaigns(),
                           details=details, variants=audit_reads.rows_by_id(Variant, events, "variant"),
                           users=audit_reads.rows_by_id(User, events, "user"))
