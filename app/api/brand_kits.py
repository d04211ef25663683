from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from ..extensions import db
from ..models import BrandKit
from ..services.brand_kits import get_kit, import_kit
from .jsonbody import Blueprint
from .schemas import BrandKitOut, ImportKitIn

blp = Blueprint("brand_kits", __name__, url_prefix="/api/v1/brand-kits",
                description="Brand kits imported from brand_kits/ as immutable versions")


@blp.route("")
class BrandKits(MethodView):
    @blp.response(200, BrandKitOut(many=True))
    def get(self):
        """List every version of every kit."""
        return db.session.scalars(select(BrandKit).order_by(BrandKit.slug, BrandKit.version)).all()


@blp.route("/import")
class ImportKit(MethodView):
    @blp.arguments(ImportKitIn)
    @blp.response(201, BrandKitOut)
    @blp.alt_response(200, schema=BrandKitOut, description="unchanged content: the existing version")
    def post(self, data):
        """Import a kit folder; a new version only when its content changed."""
        kit, created = import_kit(data["folder"])
        return kit, (201 if created else 200)


@blp.route("/<id:kit_id>")
class BrandKitDetail(MethodView):
    @blp.response(200, BrandKitOut)
    def get(self, kit_id: int):
        return get_kit(kit_id)
