from __future__ import annotations

from flask.views import MethodView

from ..downloads import blob_response
from ..services.key_art import attach_textless, get_key_art, ingest_key_art
from ..services.titles import get_title
from .jsonbody import Blueprint
from .schemas import KeyArtOut, KeyArtUpload

blp = Blueprint("key_art", __name__, url_prefix="/api/v1",
                description="Key art: originals kept byte-exact, sRGB working copies")


@blp.route("/titles/<id:title_id>/key-art")
class KeyArtUploadView(MethodView):
    @blp.arguments(KeyArtUpload, location="files")
    @blp.response(201, KeyArtOut)
    @blp.alt_response(200, schema=KeyArtOut, description="the same bytes were uploaded before")
    def post(self, files, title_id: int):
        """Upload key art (multipart field `file`)."""
        title = get_title(title_id)
        upload = files["file"]
        art, created = ingest_key_art(title, upload.filename or "key-art", upload.read())
        return art, (201 if created else 200)


@blp.route("/key-art/<id:key_art_id>")
class KeyArtDetail(MethodView):
    @blp.response(200, KeyArtOut)
    def get(self, key_art_id: int):
        return get_key_art(key_art_id)


@blp.route("/key-art/<id:key_art_id>/textless")
class KeyArtTextless(MethodView):
    @blp.arguments(KeyArtUpload, location="files")
    @blp.response(201, KeyArtOut)
    @blp.alt_response(200, schema=KeyArtOut, description="this companion was attached already")
    def post(self, files, key_art_id: int):
        """Attach the textless version of this key art (multipart field `file`): same size, or the same
        aspect ratio within 1%; renders then start from it and their report says `source: textless`."""
        art = get_key_art(key_art_id)
        upload = files["file"]
        art, changed = attach_textless(art, upload.filename or "textless", upload.read())
        return art, (201 if changed else 200)


@blp.route("/key-art/<id:key_art_id>/original")
class KeyArtOriginal(MethodView):
    @blp.response(200, description="the original bytes as uploaded")
    def get(self, key_art_id: int):
        art = get_key_art(key_art_id)
        return blob_response(art.original_key, art.mime, size=art.size_bytes, etag=art.sha256)
