"""Logging in and out, and the person's choice of UI language. The credentials are checked by
app.auth.verify_login (one password hash check whether or not the name exists); this module
adds the form's CSRF check and the login rate limits, per address and per user name."""
from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import csrf_valid, current_user, login_user, logout_user, roles, safe_next, verify_login
from ..extensions import limit_key, limiter
from ..services import people
from .blueprint import PEOPLE, bp
from .languages import UI_LANGUAGES


def _login_account_key() -> str:
    """Login attempts are counted per user name too (hashed: any length, any characters)."""
    name = (request.form.get("username") or "").strip().casefold()
    return limit_key("account", hashlib.sha256(name.encode()).hexdigest()[:32])


def _limit(key: str) -> Callable[[], str]:
    return lambda: current_app.config[key]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("LOGIN_LIMIT_ACCOUNT"), key_func=_login_account_key, methods=["POST"],
               error_message=lambda: _("Too many login attempts for this user name (limit %(limit)s per user name)",
                                       limit=current_app.config["LOGIN_LIMIT_ACCOUNT"]))
@limiter.limit(_limit("LOGIN_LIMIT_ADDRESS"), methods=["POST"],
               error_message=lambda: _("Too many login attempts from this address (limit %(limit)s per address)",
                                       limit=current_app.config["LOGIN_LIMIT_ADDRESS"]))
def login():
    """Every POST counts against both limits (counted before the password check, so parallel
    guesses cannot slip past); a wrong name costs as long as a wrong password."""
    error = None
    if request.method == "POST":
        if not csrf_valid():
            abort(400, "the form's CSRF token is missing or wrong; reload the page")
        user = verify_login(request.form.get("username", ""), request.form.get("password", ""))
        if user is None:
            error = _("Wrong user name or password.")
        else:
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or url_for("web.home"))
    return render_template("web/login.html", error=error), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
@roles(*PEOPLE)
def logout():
    logout_user()
    return redirect(url_for("web.login"))


@bp.route("/profile", methods=["POST"])
@roles(*PEOPLE)
def profile():
    lang = request.form.get("ui_locale") or None
    if lang is not None and lang not in UI_LANGUAGES:
        abort(400, "unknown language")
    people.set_ui_locale(current_user(), lang)
    return redirect(request.referrer or url_for("web.home"))
