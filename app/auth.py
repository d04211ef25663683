"""Who is calling, and may they? Sessions (web UI) and bearer tokens (API), CSRF for forms,
role and scope checks applied to every route from one before_request hook.

Policy, so that routes added later are covered without anyone remembering to:
- a view may declare ``roles`` (a dict method -> set of roles, or a set for all methods), as a
  MethodView class attribute or a function attribute set with @roles(...);
- otherwise reads are open to admin, marketing and integration, writes to admin and marketing,
  and reviewers may read routes about one variant (``<variant_id>`` in the URL), scoped.
- a reviewer asking for a variant, flag or request outside their locales/regions gets 404,
  the same answer as for one that does not exist.
"""
from __future__ import annotations

import hmac
import secrets
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from limits import parse as parse_limit
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from .errors import error_response
from .extensions import db, limit_key, limiter
from .models import ApiToken, Flag, RenderRequest, User, Variant
from .models.base import utcnow
from .models.people import ROLES, hash_token

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_READ = frozenset({"admin", "marketing", "integration"})
DEFAULT_WRITE = frozenset({"admin", "marketing"})
#: Endpoints anyone may call (the login form, static files, the OpenAPI document).
PUBLIC_ENDPOINTS = frozenset({"static", "web.login", "web.static", "api-docs.openapi_json",
                              "health.healthz", "health.readyz", "health.metrics"})  # probes: keep /metrics internal
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def roles(*allowed: str, methods: Iterable[str] | None = None) -> Callable:
    """Declare who may call a function view (optionally only for some methods)."""
    bad = set(allowed) - set(ROLES)
    assert not bad, f"unknown roles {bad}"

    def deco(fn: Callable) -> Callable:
        spec = getattr(fn, "roles", {}) if isinstance(getattr(fn, "roles", None), dict) else {}
        for m in (methods or ("*",)):
            spec[m] = frozenset(allowed)
        fn.roles = spec
        return fn
    return deco


def allowed_roles(endpoint: str, method: str, arguments: Iterable[str] = ()) -> frozenset[str]:
    """The roles that may call this endpoint with this method (policy above)."""
    view = current_app.view_functions.get(endpoint)
    spec = getattr(getattr(view, "view_class", None), "roles", None) or getattr(view, "roles", None)
    if isinstance(spec, (set, frozenset)):
        return frozenset(spec)
    if isinstance(spec, dict):
        for key in (method, "GET" if method in READ_METHODS else None, "*"):
            if key in spec:
                return frozenset(spec[key])
    if method in READ_METHODS:
        extra = {"reviewer"} if "variant_id" in set(arguments) else set()
        return DEFAULT_READ | extra
    return DEFAULT_WRITE


# --- identity -----------------------------------------------------------------------------------

def current_user() -> User | None:
    return g.get("user")


def actor_name() -> str:
    u = current_user()
    return u.username if u else "anonymous"


def _user_from_bearer(header: str) -> User | None:
    raw = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not raw:
        return None
    tok = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if tok is None or tok.revoked_at is not None or not tok.user.active:
        return None
    tok.last_used_at = utcnow()
    db.session.commit()
    return tok.user


def _token_failures() -> tuple[Any, list[str]] | None:
    """The rule and key counting failed bearer tokens from this address (valid ones never count);
    None when rate limiting is off."""
    if not (limiter.enabled and limiter.initialized):
        return None
    key = limit_key("bad-token", request.remote_addr or "-")
    return parse_limit(current_app.config["TOKEN_FAILURE_LIMIT"]), [key]


def _count_token_failure(counted: tuple[Any, list[str]] | None, hit: bool) -> bool:
    """Test (or hit) the bad-token counter; True = within the limit. A Redis outage lets tokens
    through (logged): they are 256-bit, so the counter is defence in depth, not the lock."""
    if counted is None:
        return True
    try:
        check = limiter.limiter.hit if hit else limiter.limiter.test
        return check(counted[0], *counted[1])
    except Exception as exc:  # noqa: BLE001  (any storage error)
        current_app.logger.warning("bad-token counter unavailable: %s", exc)
        return True


def _load_identity() -> None:
    g.user, g.auth = None, None
    header = request.headers.get("Authorization", "")
    if header:
        counted = _token_failures()
        if not _count_token_failure(counted, hit=False):
            g.auth = "token-throttled"  # checked before the lookup: a throttled address learns nothing
            return
        g.user = _user_from_bearer(header)
        g.auth = "token" if g.user else "bad-token"
        if g.user is None:
            _count_token_failure(counted, hit=True)
        return
    uid = session.get("uid")
    if uid is not None:
        user = db.session.get(User, uid)
        if user is not None and user.active and user.role != "integration" \
                and session.get("pw") == _pw_fingerprint(user):
            g.user, g.auth = user, "session"
        else:
            session.clear()


def _pw_fingerprint(user: User) -> str:
    """Ties a session to the password it was opened with: changing it logs other sessions out."""
    return (user.password_hash or "")[-16:]


@cache
def _dummy_hash() -> str:
    """A hash made the same way as real ones, checked for unknown names so that a wrong name costs
    as long as a wrong password (no user enumeration by timing)."""
    return generate_password_hash(secrets.token_urlsafe(16))


def verify_login(username: str, password: str) -> User | None:
    """The person who may open a session with these credentials, or None. Always runs exactly one
    password hash check, whether or not the name exists."""
    user = db.session.scalar(select(User).where(User.username == username)) if username else None
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    ok = check_password_hash(stored, password)
    if not ok or user is None or not user.password_hash or not user.active or user.role == "integration":
        return None
    return user


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site ('/ui/queue?x=1'), else None. Refuses schemes, hosts,
    backslashes, whitespace and control characters (browsers drop a tab, so '/\t/evil' would be
    '//evil'), and a path that starts with '//' or holds a backslash also once percent-decoded."""
    if not target or _odd_url_text(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    path = unquote(parts.path)
    if _odd_url_text(path) or path.startswith("//"):
        return None
    return target


def _odd_url_text(text: str) -> bool:
    """Backslashes, whitespace, control and format characters: nothing a plain local URL needs."""
    return "\\" in text or any(unicodedata.category(c)[0] in "CZ" for c in text)


def login_user(user: User) -> None:
    session.clear()
    session["uid"] = user.id
    session["pw"] = _pw_fingerprint(user)
    session["csrf"] = secrets.token_urlsafe(24)
    session.permanent = False


def logout_user() -> None:
    session.clear()


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def csrf_valid() -> bool:
    """The form (or X-CSRF-Token header) carries this session's CSRF token."""
    return _csrf_ok()


def _csrf_ok() -> bool:
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    expected = session.get("csrf") or ""
    return bool(expected) and hmac.compare_digest(sent, expected)


# --- scope --------------------------------------------------------------------------------------

def in_scope(user: User, locale: str) -> bool:
    return user.sees_locale(locale)


def scoped_variant(user: User, variant_id: int) -> Variant | None:
    v = db.session.get(Variant, variant_id)
    return v if v is not None and in_scope(user, v.locale) else None


def _scope_check(user: User, args: dict[str, Any]) -> bool:
    """False if a reviewer names something outside their scope (answered with 404)."""
    if user.role != "reviewer":
        return True
    if "variant_id" in args and scoped_variant(user, args["variant_id"]) is None:
        return False
    if "flag_id" in args:
        flag = db.session.get(Flag, args["flag_id"])
        if flag is None or scoped_variant(user, flag.variant_id) is None:
            return False
    if "request_id" in args:
        req = db.session.get(RenderRequest, args["request_id"])
        if req is None or not any(in_scope(user, l) for l in req.locales):
            return False
    return True


# --- the hook -----------------------------------------------------------------------------------

def _deny(status: int, message: str):
    if request.path.startswith("/api/"):
        resp = error_response(status, {401: "unauthorized", 403: "forbidden", 404: "not_found",
                                       429: "too_many_requests"}.get(status, "bad_request"), message)
        if status == 401:
            resp.headers["WWW-Authenticate"] = 'Bearer realm="marquee"'
        if status == 429:
            resp.headers["Retry-After"] = str(int(parse_limit(current_app.config["TOKEN_FAILURE_LIMIT"])
                                                  .get_expiry()))
        return resp
    if status == 401:
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
    abort(status, message)


def enforce():
    """before_request: authenticate, then role, then scope, then CSRF for session writes."""
    _load_identity()
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return None
    user = current_user()
    if g.auth == "token-throttled":
        return _deny(429, f"too many unknown or revoked bearer tokens from this address "
                          f"(limit {current_app.config['TOKEN_FAILURE_LIMIT']}); try again later")
    if user is None:
        what = "the bearer token is unknown or revoked" if g.auth == "bad-token" else \
            "log in, or send an API token as 'Authorization: Bearer <token>'"
        return _deny(401, what)
    rule = request.url_rule
    if user.role not in allowed_roles(endpoint, request.method, rule.arguments if rule else ()):
        return _deny(403, f"the {user.role} role may not {request.method} {request.path}")
    if not _scope_check(user, request.view_args or {}):
        return _deny(404, "not found (or not in your regions)")
    if g.auth == "session" and request.method not in READ_METHODS and not _csrf_ok():
        return _deny(400 if not request.path.startswith("/api/") else 403,
                     "the form's CSRF token is missing or wrong; reload the page")
    return None


def init_auth(app: Flask) -> None:
    # Cookie flags (HttpOnly, SameSite=Lax, Secure under HTTPS) are set in app.security.
    app.before_request(enforce)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_user"] = current_user
