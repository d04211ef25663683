"""Export pages of the web UI: export targets (admins) and exports (admins and marketing).

Everything goes through the same schema and services as the API (app.schemas.export_targets,
app.services.export_targets and app.services.exports), so the UI validates, checks URLs against
SSRF and audits exactly as the API does; what the pages list comes from
app.services.exports.queries, the reads the API shows too. Target pages never show a secret:
only the NAMES of the environment variables a target reads. The list shows only the names of
the extra (not secret) headers; the edit form shows their values too, since it has to send them
back.
"""
from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from ..auth import actor_name, roles
from ..export.http_put import MODES
from ..extensions import db
from ..models import ExportTarget
from ..models.export import ExportStatus
from ..render.encode import ENCODINGS
from ..render.formats import FORMATS
from ..services.encodings import DEFAULT_DELIVERY
from ..schemas.export_targets import KINDS, TargetIn
from ..services import ServiceError
from ..services import export_targets as targets_svc
from ..services.exports import queries
from ..services.exports.scheduling import export_request as schedule_request
from ..services.exports.scheduling import retry_export
from .messages import ui_message
from .blueprint import FIXERS, bp, run_service

ADMIN = ("admin",)
STATUSES = [s.value for s in ExportStatus]
PAGE = 100


def target_kind_labels() -> dict[str, str]:
    return {"s3": _("S3 or S3-compatible storage"), "http-put": _("HTTP PUT origin"), "webhook": _("Webhook")}


def export_status_labels() -> dict[str, str]:
    return {"waiting": _("Waiting for the assets"), "pending": _("Pending"), "running": _("Running"),
            "done": _("Done"), "failed": _("Failed"), "superseded": _("Superseded")}


def request_exports(request_id: int) -> dict[str, Any]:
    """What the campaign page shows about exports: counts by status and the published manifests."""
    return {"counts": queries.export_counts(request_id),
            "manifests": queries.published_manifests(request_id, by_target_name=True)}


@bp.app_context_processor
def _export_helpers() -> dict[str, Any]:
    return {"export_status_labels": export_status_labels, "target_kind_labels": target_kind_labels,
            "request_exports": request_exports}


def _back(default: str) -> str:
    """The page a button came from (a local path only: never an open redirect)."""
    nxt = request.form.get("next") or ""
    local = nxt.startswith("/") and not nxt.startswith(("//", "/\\")) and "\\" not in nxt
    return nxt if local else default


# ---------------------------------------------------------------- targets (admins)


def _pairs(text: str, what: str) -> dict[str, str]:
    """'Name: value' lines into a dict; a line without a colon is refused, naming the field."""
    out: dict[str, str] = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip() or not value.strip():
            raise ServiceError(f"{what}: each line reads 'Header-Name: value', got {line.strip()!r}", status=422)
        out[key.strip()] = value.strip()
    return out


def _filled(form: MultiDict, **fields: str) -> dict[str, str]:
    """The non-empty form fields, renamed to the API's keys."""
    return {key: form[name].strip() for key, name in fields.items() if form.get(name, "").strip()}


#: Per kind, the plain form fields behind its options and its secret references (API key ->
#: form field). Read both ways: target_from_form and form_from_target. The headers textareas
#: ("Name: value" lines) are handled beside them.
OPTION_FIELDS = {"s3": {"bucket": "s3_bucket", "prefix": "s3_prefix", "region": "s3_region",
                        "public_base_url": "public_base_url"},
                 "http-put": {"public_base_url": "public_base_url", "mode": "put_mode"},
                 "webhook": {}}
#: The form's encoding checkboxes and what none ticked means (labels: labels.ENCODING_LABELS).
ENCODING_CHOICES = {"encodings": ENCODINGS, "default_encodings": DEFAULT_DELIVERY}
SECRET_FIELDS = {"s3": {"access_key_id": "s3_access_key_id_env", "secret_access_key": "s3_secret_access_key_env"},
                 "http-put": {}, "webhook": {"secret": "webhook_secret_env"}}


def target_from_form(form: MultiDict) -> dict[str, Any]:
    """The form as the API's TargetIn body, loaded by the same schema (so the same messages).

    Only the settings of the chosen kind are sent: the service refuses options of other kinds."""
    kind = form.get("kind", "").strip()
    body: dict[str, Any] = _filled(form, name="name", kind="kind", url="url")
    options: dict[str, Any] = _filled(form, **OPTION_FIELDS.get(kind, {}))
    refs: dict[str, Any] = _filled(form, **SECRET_FIELDS.get(kind, {}))
    if kind == "http-put":
        headers = _pairs(form.get("put_headers", ""), "headers")
        secret_headers = _pairs(form.get("put_secret_headers", ""), "secret_refs.headers")
        if headers:
            options["headers"] = headers
        if secret_headers:
            refs["headers"] = secret_headers
    regions = [r for r in re.split(r"[\s,]+", form.get("regions", "")) if r]
    body.update(options=options, secret_refs=refs, regions=regions or None,
                formats=form.getlist("formats") or None, encodings=form.getlist("encodings") or None,
                enabled=form.get("enabled") == "1")
    try:
        return TargetIn().load(body)
    except ValidationError as exc:
        raise ServiceError("invalid input: " + "; ".join(
            f"{field}: {' '.join(map(str, msgs if isinstance(msgs, list) else [msgs]))}"
            for field, msgs in sorted(exc.messages.items())), status=422) from None


def form_from_target(target: ExportTarget) -> MultiDict:
    """The edit form filled from a stored target: the inverse of target_from_form (names of
    environment variables only, as on the list)."""
    opts, refs = target.options or {}, target.secret_refs or {}
    fields = {"name": target.name, "kind": target.kind, "url": target.url or "",
              "enabled": "1" if target.enabled else "", "regions": ", ".join(target.regions or [])}
    fields.update({field: opts.get(key, "") for key, field in OPTION_FIELDS.get(target.kind, {}).items()})
    fields.update({field: refs.get(key, "") for key, field in SECRET_FIELDS.get(target.kind, {}).items()})
    if target.kind == "http-put":
        fields.update(put_mode=opts.get("mode", "put"),
                      put_headers="\n".join(f"{k}: {v}" for k, v in (opts.get("headers") or {}).items()),
                      put_secret_headers="\n".join(f"{k}: {v}" for k, v in (refs.get("headers") or {}).items()))
    form = MultiDict(fields)
    form.setlist("formats", list(target.formats or []))
    form.setlist("encodings", list(target.encodings or DEFAULT_DELIVERY))
    return form


def secret_names(target: ExportTarget) -> list[tuple[str, str]]:
    """(setting, environment variable NAME) pairs; values are never read here."""
    refs = target.secret_refs or {}
    out = [(k, v) for k, v in sorted(refs.items()) if k != "headers"]
    return out + [(f"headers.{h}", v) for h, v in sorted((refs.get("headers") or {}).items())]


def _targets_page(form: MultiDict | None = None, error: str | None = None, status: int = 200):
    return render_template("web/export_targets.html", targets=targets_svc.list_targets(), kinds=KINDS,
                           formats=list(FORMATS), modes=MODES, form=form or MultiDict(),
                           error=error, secret_names=secret_names, **ENCODING_CHOICES), status


@bp.route("/export-targets", methods=["GET", "POST"])
@roles(*ADMIN)
def export_targets():
    """The list and the create form; a refused target re-shows the form with the service's message."""
    if request.method == "GET":
        return _targets_page()
    try:
        target = targets_svc.create_target(target_from_form(request.form), actor=actor_name())
    except ServiceError as exc:
        db.session.rollback()
        return _targets_page(request.form, ui_message(exc.message), exc.status if 400 <= exc.status < 500 else 422)
    flash(_("Export target %(name)s created.", name=target.name), "ok")
    return redirect(url_for("web.export_targets"))


@bp.route("/export-targets/<int:target_id>/edit", methods=["GET", "POST"])
@roles(*ADMIN)
def export_target_edit(target_id: int):
    """Change a target's settings through the same form, schema and service as creating one.

    Every setting of its kind is sent, so a field left empty clears it (an empty URL on an s3
    target means Amazon S3). The kind cannot change: the form shows it read-only."""
    try:
        target = targets_svc.get_target(target_id)
    except ServiceError as exc:
        flash(ui_message(exc.message), "error")
        return redirect(url_for("web.export_targets"))
    if request.method == "GET":
        return _edit_page(target, form_from_target(target))
    try:
        data = {"url": None, **target_from_form(request.form)}
        targets_svc.update_target(target_id, data, actor=actor_name())
    except ServiceError as exc:
        db.session.rollback()
        return _edit_page(target, request.form, ui_message(exc.message), exc.status if 400 <= exc.status < 500 else 422)
    flash(_("Export target %(name)s saved.", name=data["name"]), "ok")
    return redirect(url_for("web.export_targets"))


def _edit_page(target: ExportTarget, form: MultiDict, error: str | None = None, status: int = 200):
    return render_template("web/export_target_edit.html", target=target, kinds=KINDS, formats=list(FORMATS),
                           modes=MODES, form=form, error=error, **ENCODING_CHOICES), status


@bp.route("/export-targets/<int:target_id>/enabled", methods=["POST"])
@roles(*ADMIN)
def export_target_enabled(target_id: int):
    enabled = request.form.get("enabled") == "1"
    run_service(lambda: targets_svc.update_target(target_id, {"enabled": enabled}, actor=actor_name()),
         _("Target enabled.") if enabled else _("Target disabled."))
    return redirect(url_for("web.export_targets"))


@bp.route("/export-targets/<int:target_id>/delete", methods=["POST"])
@roles(*ADMIN)
def export_target_delete(target_id: int):
    run_service(lambda: targets_svc.delete_target(target_id, actor=actor_name()), _("Target deleted."))
    return redirect(url_for("web.export_targets"))


# ---------------------------------------------------------------- exports (admins and marketing)


def _filters() -> dict[str, Any]:
    status = request.args.get("status") or None
    return {"status": status if status in STATUSES else None,
            "request_id": request.args.get("request_id", type=int),
            "target_id": request.args.get("target_id", type=int)}


@bp.route("/exports")
@roles(*FIXERS)
def exports():
    filters = _filters()
    offset = max(0, request.args.get("offset", 0, type=int))
    rows = queries.list_exports(**filters, limit=PAGE + 1, offset=offset, newest_first=True)
    return render_template("web/exports.html", exports=rows[:PAGE], more=len(rows) > PAGE, offset=offset,
                           page=PAGE, filters=filters, statuses=STATUSES,
                           targets=queries.targets_by_name(),
                           manifests=request_exports(filters["request_id"])["manifests"]
                           if filters["request_id"] else [])


@bp.route("/exports/<int:export_id>/retry", methods=["POST"])
@roles(*FIXERS)
def export_retry(export_id: int):
    run_service(lambda: retry_export(export_id, actor=actor_name()), _("The export is queued again."))
    return redirect(_back(url_for("web.exports")))


@bp.route("/campaigns/<int:request_id>/export", methods=["POST"])
@roles(*FIXERS)
def export_request(request_id: int):
    """Export every approved variant of the campaign now (the same as POST /api/v1/requests/<id>/export)."""
    run_service(lambda: schedule_request(request_id, rerun=request.form.get("rerun") == "1", actor=actor_name()),
                lambda exports: _("Export started. Exports of this campaign: %(n)s.", n=len(exports)))
    return redirect(url_for("web.campaign", request_id=request_id))
