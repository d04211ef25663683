"""HTTP downloads of blobs: streamed from the store, or a redirect to a presigned URL.

Streaming keeps a web process's memory flat whatever the blob size; with MARQUEE_S3_PRESIGN=1
the client fetches straight from the bucket and the web process only signs. Shared by the API
and the UI; it sits above the services (it asks them for the configured store), which is why it
is not part of app.storage.
"""
from __future__ import annotations

from flask import Response, current_app, redirect, request
from werkzeug.wsgi import wrap_file

from .services import blob_store


def blob_response(key: str, mimetype: str, size: int | None = None, etag: str | None = None) -> Response:
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
