"""Response hardening and login throttling, wired once from create_app().

- Flask-Talisman: a Content-Security-Policy for the UI (scripts and <style> elements only with the
  per-request nonce, frames refused), X-Content-Type-Options: nosniff on every response, HSTS,
  Secure cookies and the http -> https redirect only when the app is configured for HTTPS.
- Everything that is not an HTML page (images, key-art originals, JSON) gets a CSP that allows
  nothing and sandboxes the document, so bytes that a browser might take for HTML (a JPEG with an
  HTML tail) can never run; binary downloads also get a Content-Disposition with a safe name.
- Flask-Limiter (Redis) answers 429, naming the rule, once a limit is reached.
"""
from __future__ import annotations

import mimetypes
import re

from flask import Flask, Response, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

from .errors import error_response
from .extensions import limiter

#: The UI's policy. Inline style *attributes* stay allowed (positions of flag rectangles are
#: computed server-side); <style> elements and every script need the nonce.
UI_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "style-src-elem": "'self'",
    "style-src-attr": "'unsafe-inline'",
    "img-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
NONCE_IN = ["script-src", "style-src-elem"]
#: For anything that is not an HTML page: load nothing, run nothing, never be framed.
BLOB_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
#: Types a browser renders itself (and could sniff) that are served as downloads or images.
BLOB_PREFIXES = ("image/", "video/", "audio/", "font/", "application/octet-stream", "application/pdf",
                 "application/zip", "application/x-tar", "application/gzip")
#: Endpoints whose bytes are user uploads kept as sent: saved, never shown in place.
ATTACHMENT_ENDPOINTS = frozenset({"key_art.KeyArtOriginal"})


def https_configured(app: Flask) -> bool:
    return bool(app.config.get("HTTPS")) or app.config.get("PREFERRED_URL_SCHEME") == "https"


def init_security(app: Flask) -> None:
    """Talisman, the non-HTML response policy and the rate limiter (call before other hooks, so the
    https redirect and the 429 come before authentication)."""
    https = https_configured(app)
    if app.config.get("TRUSTED_PROXIES"):
        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    if https:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
    # after_request hooks run in reverse order: registered before Talisman, this one runs after it
    # and replaces the UI policy on non-HTML responses.
    app.after_request(_non_document_headers)
    app.extensions["talisman"] = Talisman(
        app, force_https=https, strict_transport_security=https, session_cookie_secure=https,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        content_security_policy=UI_CSP, content_security_policy_nonce_in=NONCE_IN,
        frame_options="DENY", referrer_policy="same-origin")
    app.config.setdefault("LIMIT_KEY_PREFIX", f"{app.config.get('QUEUE_PREFIX', '')}marquee")
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)


def _is_blob(mimetype: str) -> bool:
    return mimetype.startswith(BLOB_PREFIXES)


def _download_name(path: str, mimetype: str) -> str:
    """'/api/v1/key-art/5/original' + image/jpeg -> 'key-art-5-original.jpg' (ASCII, no quotes)."""
    parts = [p for p in path.split("/") if p and p not in ("api", "v1", "ui")]
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(parts[-3:]))[:120].strip("._-") or "download"
    if "." not in name.rsplit("-", 1)[-1]:
        name += mimetypes.guess_extension(mimetype) or ""
    return name


def _non_document_headers(resp: Response) -> Response:
    if resp.mimetype == "text/html":
        return resp
    resp.headers["Content-Security-Policy"] = BLOB_CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    if _is_blob(resp.mimetype or "") and "Content-Disposition" not in resp.headers:
        kind = "attachment" if request.endpoint in ATTACHMENT_ENDPOINTS else "inline"
        resp.headers["Content-Disposition"] = f'{kind}; filename="{_download_name(request.path, resp.mimetype)}"'
    return resp


def _too_many_requests(exc: RateLimitExceeded):
    """429 naming the rule: JSON under /api/, the login page with the message elsewhere."""
    message = f"{exc.description}. Try again later."
    if request.path.startswith("/api/"):
        return error_response(429, "too_many_requests", message)
    return render_template("web/login.html", error=message), 429
