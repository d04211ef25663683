"""HTTP downloads of blobs: streamed from the store, or a redirect to a presigned URL.

Streaming keeps a web process's memory flat whatever the blob size; with MARQUEE_S3_PRESIGN=1
the client fetches straight from the bucket and the web process only signs.
"""
from __future__ import annotations

from flask import Response, current_app, redirect, request
from werkzeug.wsgi import wrap_file


def blob_response(key: str, mimetype: str, size: int | None = None, etag: str | None = None) -> Response:
    from ..services import blob_store

    store = blob_store()
    if current_app.config.get("S3_PRESIGN"):
        url = store.url(key, current_app.config.get("S3_PRESIGN_EXPIRES_S", 300))
        if url:
            resp = redirect(url, 302)
            if etag:
                resp.set_etag(etag)
            return resp
    stream = store.open(key)
    resp = Response(wrap_file(request.environ, stream), mimetype=mimetype, direct_passthrough=True)
    if size is not None:
        resp.content_length = size
    if etag:
        resp.set_etag(etag)
    return resp
