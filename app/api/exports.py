"""Export API: targets (admins), exports of a request, retry, manifests, and a pull feed for integrations.

Targets never show secrets: only which secret fields are configured, not even the variable names.
"""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from ..auth import actor_name
from ..models.export import ExportStatus
from ..schemas.export_targets import TargetIn, TargetPatch
from ..services import export_targets as targets_svc
from ..services.encodings import DEFAULT_DELIVERY
from ..services.exports import feed as feed_svc
from ..services.exports import queries
from ..services.exports.manifests import build_manifest
from ..services.exports.scheduling import export_request, retry_export
from .jsonbody import Blueprint
from .timestamps import UtcDateTime, rfc3339, with_rfc3339
from ..schemas.validation import INT_MAX, ApiSchema, Count, Id

blp = Blueprint("exports", __name__, url_prefix="/api/v1",
                description="Export approved assets to CDNs: targets, exports, manifests, pull feed")

#: Read by app/auth.py's policy hook: target management (URLs, secret references) is for admins only.
ADMIN_ONLY = frozenset({"admin"})


class TargetOut(Schema):
    id = fields.Int()
    name = fields.Str()
    kind = fields.Str()
    url = fields.Str(allow_none=True)
    options = fields.Dict()
    regions = fields.List(fields.Str(), allow_none=True)
    formats = fields.List(fields.Str(), allow_none=True)
    encodings = fields.Method("_encodings", metadata={"description": "the encodings this target delivers"})
    enabled = fields.Bool()
    secrets_configured = fields.Method("_secrets")
    created_at = UtcDateTime()
    updated_at = UtcDateTime()

    def _encodings(self, t) -> list[str]:
        return list(t.encodings or DEFAULT_DELIVERY)

    def _secrets(self, t) -> list[str]:
        refs = t.secret_refs or {}
        names = [k for k in refs if k != "headers"]
        return sorted(names + [f"headers.{h}" for h in refs.get("headers") or {}])


class ExportOut(Schema):
    """An export as the API shows it, dumped from a queries.ExportRow: the export, its target and
    its webhook delivery, read together (no query per row)."""

    id = fields.Int(attribute="export.id")
    target_id = fields.Int(attribute="export.target_id")
    target = fields.Function(lambda row: row.export.target.name)
    kind = fields.Function(lambda row: row.export.target.kind)
    request_id = fields.Int(attribute="export.request_id")
    variant_id = fields.Int(attribute="export.variant_id")
    revision = fields.Int(attribute="export.revision")
    status = fields.Str(attribute="export.status")
    tries = fields.Int(attribute="export.tries")
    sent = fields.Int(attribute="export.sent",
                      metadata={"description": "objects actually sent (already-present ones are not)"})
    error = fields.Str(attribute="export.error", allow_none=True)
    result = fields.Method("_result", allow_none=True)
    webhook = fields.Method("_webhook")
    enqueued_at = UtcDateTime(attribute="export.enqueued_at", allow_none=True)
    started_at = UtcDateTime(attribute="export.started_at", allow_none=True)
    finished_at = UtcDateTime(attribute="export.finished_at", allow_none=True)

    def _result(self, row: queries.ExportRow) -> dict | None:
        """The stored snapshot, its approval time in RFC 3339 like every other timestamp."""
        result = row.export.result
        return with_rfc3339(result, ["approved_at"]) if result is not None else None

    def _webhook(self, row: queries.ExportRow) -> dict | None:
        d = row.delivery
        if d is None:
            return None
        return {"id": d.id, "status": d.status, "tries": d.tries, "response_status": d.response_status,
                "delivered_at": rfc3339(d.delivered_at)}


class ExportListQuery(Schema):  # query: other parameters are ignored
    request_id = Id(load_default=None)
    target_id = Id(load_default=None)
    status = fields.Str(load_default=None, validate=validate.OneOf([s.value for s in ExportStatus]))
    limit = Count(1, 1000, load_default=100)
    offset = Count(0, INT_MAX, load_default=0)


class ExportRequestIn(ApiSchema):
    rerun = fields.Bool(load_default=False, metadata={
        "description": "also re-run done and failed exports; objects already at the target are not re-sent"})


class FeedQuery(Schema):
    cursor = Count(0, INT_MAX, load_default=0)
    limit = Count(1, 1000, load_default=100)


@blp.route("/export-targets")
class Targets(MethodView):
    roles = ADMIN_ONLY
    @blp.response(200, TargetOut(many=True))
    def get(self):
        return targets_svc.list_targets()

    @blp.arguments(TargetIn)
    @blp.response(201, TargetOut)
    def post(self, data):
        """Create a target. Its URL is checked (scheme, no loopback/private/link-local/metadata) now."""
        return targets_svc.create_target(data, actor=actor_name())


@blp.route("/export-targets/<id:target_id>")
class TargetDetail(MethodView):
    roles = ADMIN_ONLY
    @blp.response(200, TargetOut)
    def get(self, target_id: int):
        return targets_svc.get_target(target_id)

    @blp.arguments(TargetPatch)
    @blp.response(200, TargetOut)
    def patch(self, data, target_id: int):
        return targets_svc.update_target(target_id, data, actor=actor_name())

    @blp.response(204)
    def delete(self, target_id: int):
        targets_svc.delete_target(target_id, actor=actor_name())


@blp.route("/requests/<id:request_id>/export")
class ExportRequest(MethodView):
    @blp.arguments(ExportRequestIn)
    @blp.response(202, ExportOut(many=True))
    def post(self, data, request_id: int):
        """Export every approved variant of the request to every matching target."""
        return queries.export_rows(export_request(request_id, rerun=data["rerun"], actor=actor_name()))


@blp.route("/requests/<id:request_id>/manifests")
class RequestManifests(MethodView):
    @blp.response(200)
    def get(self, request_id: int):
        """Published manifests of the request, one per storage target, with their current contents."""
        return [{"target_id": m.target_id, "url": m.url, "sha256": m.sha256, "entries": m.entries,
                 "published_at": rfc3339(m.published_at),
                 "manifest": build_manifest(targets_svc.get_target(m.target_id), request_id)}
                for m in queries.published_manifests(request_id)]


@blp.route("/exports")
class Exports(MethodView):
    @blp.arguments(ExportListQuery, location="query")
    @blp.response(200, ExportOut(many=True))
    def get(self, query):
        return queries.list_export_rows(**query)


@blp.route("/exports/<id:export_id>")
class ExportDetail(MethodView):
    @blp.response(200, ExportOut)
    def get(self, export_id: int):
        return queries.export_row(queries.get_export(export_id))


@blp.route("/exports/<id:export_id>/retry")
class ExportRetry(MethodView):
    @blp.response(202, ExportOut)
    def post(self, export_id: int):
        """Retry a failed export (409 otherwise)."""
        return queries.export_row(retry_export(export_id, actor=actor_name()))


@blp.route("/exports/feed")
class Feed(MethodView):
    @blp.arguments(FeedQuery, location="query")
    @blp.response(200)
    def get(self, query):
        """Approved revisions since `cursor` (exclusive), with checksums and URLs; pass next_cursor next time."""
        out = feed_svc.feed(**query)
        return {**out, "items": [with_rfc3339(i, ["approved_at"]) for i in out["items"]]}

