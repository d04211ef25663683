"""The web UI's blueprint and what every page module shares: who may do what, and how a form
post calls a service and tells the person the outcome.

Role and scope are enforced by app.auth before a view runs; each view still declares its roles
(@roles(...)) so the policy reads next to the code."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, flash, redirect, render_template, url_for

from ..extensions import db
from ..services import ServiceError
from ..services.requests import get_variant
from .messages import ui_message

bp = Blueprint("web", __name__, url_prefix="/ui")
PEOPLE = ("admin", "marketing", "reviewer")
FIXERS = ("admin", "marketing")
DECIDERS = ("admin", "reviewer")
T = TypeVar("T")


def run_service(fn: Callable[[], T], ok_message: str | Callable[[T], str] | None) -> ServiceError | None:
    """Call a service for a form post and flash the outcome: `ok_message` (or ok_message(result)),
    or the service's refusal (404, 409, 422) as an error. Returns the refusal, if any."""
    try:
        result = fn()
    except ServiceError as exc:
        db.session.rollback()
        flash(ui_message(exc.message), "error")
        return exc
    if ok_message is not None:
        flash(ok_message(result) if callable(ok_message) else ok_message, "ok")
    return None


def decide(variant_id: int, fn: Callable[[], object], ok_message: str | None):
    """run_service for an action on one variant: on a refusal, (redirect to the variant, status)."""
    refused = run_service(fn, ok_message)
    if refused is not None:
        return redirect(url_for("web.variant", variant_id=variant_id)), refused.status
    return None


def conflict_page(variant_id: int, status: int):
    """After a refused decision: the conflict page on 409 (someone decided first), else the variant."""
    return redirect(url_for("web.variant", variant_id=variant_id)) if status != 409 else \
        (render_template("web/conflict.html", v=get_variant(variant_id)), 409)
