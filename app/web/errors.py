"""Error pages of the web UI (400, 403, 404, 405, 429) in the reader's language, inside the
normal layout so the menu stays there. API paths keep their JSON errors: those go on to the
handler app.api registered before this module."""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

WEB_CODES = (400, 403, 404, 405, 429)


def page_texts(status: int) -> tuple[str, str]:
    """(title, sentence) for a status, in the reader's language."""
    return {
        400: (_("Something in the request was wrong"),
              _("The form may have expired: go back, reload the page and try again.")),
        403: (_("Not allowed"), _("Your role may not open this page. Ask an admin if you need it.")),
        404: (_("Not found"), _("This page does not exist, or it is outside your regions.")),
        405: (_("Not allowed"), _("This address does not take that kind of request.")),
        429: (_("Too many attempts"), _("Wait a minute, then try again.")),
    }.get(status, (_("Something went wrong"), _("Go back and try again.")))


def render_error(exc: HTTPException):
    status = exc.code or 500
    title, text = page_texts(status)
    if status == 429 and exc.description and not exc.description.startswith(("429", "Too Many")):
        text = f"{exc.description}. {text}"  # the login limits explain themselves, translated
    resp = render_template("web/error.html", status=status, title=title, text=text), status
    return resp


def init_errors(app: Flask) -> None:
    """Register per-status handlers (they win over the API's HTTPException handler) that keep
    API paths on that handler."""
    api_handler: Callable | None = app.error_handler_spec.get(None, {}).get(None, {}).get(HTTPException)

    def handle(exc: HTTPException):
        if request.path.startswith("/api/") or not request.path.startswith("/ui"):
            return api_handler(exc) if api_handler else exc
        return render_error(exc)

    for code in WEB_CODES:
        app.register_error_handler(code, handle)
