from __future__ import annotations

from flask import Response, request
from flask.views import MethodView

from ..downloads import blob_response
from ..services import ServiceError
from ..services.encodings import asset as encoded_asset
from ..services.encodings import offered
from ..services.requests import get_variant
from .jsonbody import Blueprint
from .schemas import VariantOut

blp = Blueprint("variants", __name__, url_prefix="/api/v1/variants", description="Rendered variants")


@blp.route("/<id:variant_id>")
class VariantDetail(MethodView):
    @blp.response(200, VariantOut)
    def get(self, variant_id: int):
        return get_variant(variant_id)


@blp.route("/<id:variant_id>/image.<kind>")
class VariantImage(MethodView):
    @blp.response(200, description="the encoded image; ETag is its sha256")
    def get(self, variant_id: int, kind: str):
        v = get_variant(variant_id)
        asset = encoded_asset(v, kind)  # a derived kind (WebP, AVIF) is made from the JPEG when first asked for
        if asset is None:
            if v.status != "rendered":
                raise ServiceError(f"variant {variant_id} is {v.status}, not rendered yet", status=409)
            raise ServiceError(f"variant {variant_id} has no {kind!r} encoding; offered: "
                               f"{', '.join(offered(v.assets))}", status=404)
        if request.if_none_match.contains(asset["sha256"]):
            resp = Response(status=304)
        else:
            resp = blob_response(asset["key"], asset["mime"], size=asset.get("bytes"))
        resp.set_etag(asset["sha256"])
        # A re-render changes what this URL serves, so clients revalidate with the ETag.
        resp.headers["Cache-Control"] = "no-cache"
        return resp
