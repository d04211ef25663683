"""Form posts on a variant: a reviewer's decisions (approve with an undo bar that follows them,
undo, reopen, flag), replies and resolutions in a flag's thread, and marketing's fixes
(re-render with overrides, generator edit, accept a proposal)."""
from __future__ import annotations

from flask import abort, redirect, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ..auth import current_user, roles
from ..services import review as svc
from ..services.review import threads
from ..services.queries.review import find_flag
from ..services.queries.variants import find_variant
from ..services.requests import get_variant
from .blueprint import DECIDERS, FIXERS, PEOPLE, bp, conflict_page, decide, run_service


@bp.app_context_processor
def _decision_helpers() -> dict:
    return {"pending_undo": pending_undo}


def _rect_from_form() -> dict | None:
    vals = [request.form.get(f"rect_{k}", "") for k in "xywh"]
    if not all(vals):
        return None
    return dict(zip("xywh", vals))


def _back_to_variant(variant_id: int):
    return redirect(url_for("web.variant", variant_id=variant_id))


@bp.route("/variants/<int:variant_id>/approve", methods=["POST"])
@roles(*DECIDERS)
def approve(variant_id: int):
    rev = request.form.get("revision", type=int) or 0
    # no "Approved." flash: the undo bar ("You approved …  Undo") says it on the next page
    res = decide(variant_id, lambda: svc.approve(variant_id, rev, current_user()), None)
    if res:
        return conflict_page(variant_id, res[1])
    # the undo bar follows the reviewer to the next item for UNDO_WINDOW_S (see pending_undo)
    session["undo"] = {"variant_id": variant_id, "revision": rev, "user": current_user().username}
    nxt = request.form.get("next_id", type=int)
    return _back_to_variant(nxt or variant_id)


def pending_undo() -> dict | None:
    """The approval this person may still undo (for the bar on every page), or None."""
    data = session.get("undo")
    user = current_user()
    if not data or user is None or data.get("user") != user.username:
        return None
    v = find_variant(data["variant_id"])
    left = svc.undo_seconds_left(v) if v is not None and v.revision == data["revision"] else 0
    if left <= 0:
        session.pop("undo", None)
        return None
    return {"variant": v, "revision": v.revision, "seconds": left}


@bp.route("/variants/<int:variant_id>/undo", methods=["POST"])
@roles(*DECIDERS)
def undo(variant_id: int):
    rev = request.form.get("revision", type=int) or 0
    session.pop("undo", None)
    run_service(lambda: svc.undo_approval(variant_id, rev, current_user()),
                _("Approval undone: the variant is back in review."))
    return _back_to_variant(variant_id)


@bp.route("/variants/<int:variant_id>/reopen", methods=["POST"])
@roles(*DECIDERS)
def reopen(variant_id: int):
    rev = request.form.get("revision", type=int) or 0
    run_service(lambda: svc.reopen(variant_id, rev, current_user(), request.form.get("comment", "")),
                _("Reopened: the variant is back in review."))
    return _back_to_variant(variant_id)


@bp.route("/variants/<int:variant_id>/flag", methods=["POST"])
@roles(*DECIDERS)
def flag(variant_id: int):
    rev = request.form.get("revision", type=int) or 0
    res = decide(variant_id, lambda: svc.flag(
        variant_id, rev, current_user(), categories=request.form.getlist("categories"),
        comment=request.form.get("comment", ""), rect=_rect_from_form(),
        scope=request.form.get("scope", "variant")), _("Flagged; marketing has been asked for changes."))
    if res:
        return conflict_page(variant_id, res[1])
    return _back_to_variant(variant_id)


@bp.route("/flags/<int:flag_id>/reply", methods=["POST"])
@roles(*PEOPLE)
def flag_reply(flag_id: int):
    run_service(lambda: threads.reply(flag_id, current_user(), request.form.get("body", ""), str(get_locale())),
                _("Reply sent."))
    return _back_to_flag(flag_id)


@bp.route("/flags/<int:flag_id>/resolve", methods=["POST"])
@roles(*DECIDERS)
def flag_resolve(flag_id: int):
    run_service(lambda: threads.resolve(flag_id, current_user()), _("Flag resolved."))
    return _back_to_flag(flag_id)


def _back_to_flag(flag_id: int):
    flag = find_flag(flag_id)
    if flag is None:
        abort(404)
    return redirect(url_for("web.variant", variant_id=flag.variant_id, _anchor=f"flag-{flag_id}"))


@bp.route("/variants/<int:variant_id>/rerender", methods=["POST"])
@roles(*FIXERS)
def rerender(variant_id: int):
    overrides = {k: request.form.get(k, "").strip() for k in ("tagline", "crop_anchor", "text_zone")}
    if overrides["tagline"] == svc.current_tagline(get_variant(variant_id)):
        overrides["tagline"] = ""  # the pre-filled text, unchanged: not an override (nor copied to other locales)
    level = request.form.get("level", "variant")
    decide(variant_id, lambda: svc.rerender(variant_id, current_user(), overrides=overrides,
                                            revision=request.form.get("revision", type=int),
                                            flag_id=request.form.get("flag_id", type=int), level=level),
           _("A new revision is being rendered.") if level == "variant" else
           _("New revisions are being rendered for every variant this fix reaches."))
    return _back_to_variant(variant_id)


@bp.route("/variants/<int:variant_id>/generator", methods=["POST"])
@roles(*FIXERS)
def generator(variant_id: int):
    decide(variant_id, lambda: svc.generator_edit(
        variant_id, current_user(), op=request.form.get("op", ""), rect=_rect_from_form(),
        prompt=request.form.get("prompt", ""), flag_id=request.form.get("flag_id", type=int)),
        _("Sent to the generator."))
    return _back_to_variant(variant_id)


@bp.route("/variants/<int:variant_id>/fixes/<int:fix_id>/accept", methods=["POST"])
@roles(*FIXERS)
def accept_proposal(variant_id: int, fix_id: int):
    decide(variant_id, lambda: svc.accept_proposal(variant_id, fix_id, current_user()),
           _("The proposal is the new revision; it goes back to review."))
    return _back_to_variant(variant_id)
