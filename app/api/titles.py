from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from ..extensions import db
from ..models import Title
from ..services.titles import create_title, get_title
from .jsonbody import Blueprint
from .schemas import TitleIn, TitleOut

blp = Blueprint("titles", __name__, url_prefix="/api/v1/titles",
                description="Titles with per-locale titles and taglines, per-region dates and ratings")


@blp.route("")
class Titles(MethodView):
    @blp.response(200, TitleOut(many=True))
    def get(self):
        return db.session.scalars(select(Title).order_by(Title.id)).all()

    @blp.arguments(TitleIn)
    @blp.response(201, TitleOut)
    def post(self, data):
        return create_title(data)


@blp.route("/<id:title_id>")
class TitleDetail(MethodView):
    @blp.response(200, TitleOut)
    def get(self, title_id: int):
        return get_title(title_id)
