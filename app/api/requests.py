from __future__ import annotations

from flask.views import MethodView

from ..auth import actor_name
from ..services.requests import create_request, enqueue_variants, get_request, progress
from .jsonbody import Blueprint
from .schemas import IdempotencyHeader, ProgressOut, RequestIn, RequestOut

blp = Blueprint("requests", __name__, url_prefix="/api/v1/requests",
                description="Render requests: a locale x format matrix for one title")


@blp.route("")
class Requests(MethodView):
    @blp.arguments(IdempotencyHeader, location="headers")
    @blp.arguments(RequestIn)
    @blp.response(202, RequestOut)
    def post(self, headers, data):
        """Create a request and queue one render job per variant (idempotent with Idempotency-Key)."""
        if data.get("requester") in (None, "api"):  # not named in the body: the person calling
            data["requester"] = actor_name()
        req, created = create_request(idempotency_key=headers.get("idempotency_key"), **data)
        if created:
            enqueue_variants(req.variants)
        return req


@blp.route("/<id:request_id>")
class RequestDetail(MethodView):
    @blp.response(200, RequestOut)
    def get(self, request_id: int):
        return get_request(request_id)


@blp.route("/<id:request_id>/progress")
class RequestProgress(MethodView):
    @blp.response(200, ProgressOut)
    def get(self, request_id: int):
        """Counts of variants per status."""
        return progress(get_request(request_id))
