"""Pages and form posts of the review UI. Role and scope are enforced by app.auth before these
run; each view still declares its roles so the policy reads next to the code."""
from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import TypeVar

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template,
                   request, session, url_for)
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..auth import csrf_valid, current_user, login_user, logout_user, roles, safe_next, verify_login
from ..extensions import db, limit_key, limiter
from ..models import FixRequest, RenderRequest, User, Variant
from ..models.review import CATEGORIES, SCOPES
from ..services import ServiceError, blob_store
from ..services import review as svc
from ..services.requests import get_request, get_variant
from ..downloads import blob_response
from . import UI_LANGUAGES
from .messages import ui_message

bp = Blueprint("web", __name__, url_prefix="/ui")
PEOPLE = ("admin", "marketing", "reviewer")
FIXERS = ("admin", "marketing")
DECIDERS = ("admin", "reviewer")
T = TypeVar("T")


def category_labels() -> dict[str, str]:
    return {"gesture": _("Gesture or body language"), "religious_symbol": _("Religious or cultural symbol"),
            "colour": _("Colour meaning"), "substances": _("Alcohol, tobacco or drugs"),
            "violence": _("Violence or weapons"), "nudity_attire": _("Nudity or attire"),
            "politics": _("Politics, maps or flags"), "translation": _("Translation"),
            "spelling": _("Spelling or grammar"), "rating_legal": _("Rating or legal line"), "other": _("Other")}


def status_labels() -> dict[str, str]:
    return {"queued": _("Queued"), "rendering": _("Rendering"), "rendered": _("Rendered"),
            "failed": _("Failed"), "in_review": _("In review"), "approved": _("Approved"),
            "changes_requested": _("Changes requested")}


def scope_labels() -> dict[str, str]:
    return {"variant": _("This variant only"), "key_art": _("The key art (all variants built from it)"),
            "localization": _("The localized title (all formats of this locale)")}


def preflag_labels() -> dict[str, str]:
    """Automatic checks from the render report, in the reader's language (unknown codes shown as is)."""
    return {"text_does_not_fit": _("Text does not fit"), "text_over_face": _("Text over a face"),
            "missing_glyph": _("Missing glyph"), "low_contrast": _("Low text contrast"),
            "generated_touches_face": _("Generated area touches a face"),
            "text_over_logo": _("Text over the logo"), "logo_over_face": _("Logo over a face"),
            "upscaled": _("Upscaled from a low-resolution source"), "mostly_generated": _("Mostly generated"),
            "baked_text_covered": _("Text printed in the key art was covered"),
            "baked_text_visible": _("Text printed in the key art is still visible"),
            "text_zone_override_refused": _("Requested text zone not used: it would cover a face, art text or the logo")}


def format_labels() -> dict[str, str]:
    """Format names as people say them, with the aspect ratio; the ids stay in the API."""
    return {"poster": _("Poster 2:3"), "thumbnail": _("Thumbnail 16:9"),
            "thumbnail-small": _("Small thumbnail 16:9"), "square": _("Square 1:1"),
            "portrait": _("Portrait 4:5"), "story": _("Story 9:16"), "banner": _("Banner 3:1"),
            "link-card": _("Link card 1.91:1")}


def side_labels() -> dict[str, str]:
    """Crop anchors and text zones, in the reader's language."""
    return {"center": _("Center"), "left": _("Left"), "right": _("Right"), "top": _("Top"), "bottom": _("Bottom")}


def role_labels() -> dict[str, str]:
    return {"admin": _("Admin"), "marketing": _("Marketing"), "reviewer": _("Reviewer"),
            "integration": _("Integration")}


def fix_labels() -> dict[str, str]:
    """Kinds and states of fix requests (codes in the database), in the reader's language."""
    return {"rerender": _("Re-render"), "remove": _("Remove"), "restyle": _("Restyle"),
            "submitted": _("Submitted"), "recorded": _("Recorded"), "queued": _("Queued"),
            "running": _("Running"), "done": _("Done"), "failed": _("Failed"), "accepted": _("Accepted")}


def inbox_label() -> str:
    """The first menu entry: what waits for this person, by role."""
    user = current_user()
    return _("Needs my fix") if user is not None and user.role == "marketing" else _("My review queue")


@bp.app_context_processor
def _labels():
    return {"category_labels": category_labels, "status_labels": status_labels, "scope_labels": scope_labels,
            "preflag_labels": preflag_labels, "side_labels": side_labels, "format_labels": format_labels,
            "role_labels": role_labels, "inbox_label": inbox_label, "fix_labels": fix_labels,
            "pending_undo": pending_undo, "state_group": state_group, "state_group_labels": state_group_labels,
            "verdict": verdict, "locale_name": locale_name, "preview_url": _preview}


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
    current_user().ui_locale = lang
    db.session.commit()
    return redirect(request.referrer or url_for("web.home"))


@bp.route("/")
@roles(*PEOPLE)
def home():
    return redirect(url_for("web.queue" if current_user().role == "reviewer" else "web.campaigns"))


@bp.route("/campaigns")
@roles(*PEOPLE)
def campaigns():
    user = current_user()
    reqs = [r for r in db.session.scalars(select(RenderRequest).order_by(RenderRequest.id.desc()))
            if any(user.sees_locale(l) for l in r.locales)]
    # a reviewer sees only their own locales of each campaign, not the whole list
    shown = {r.id: [l for l in r.locales if user.sees_locale(l)] for r in reqs}
    return render_template("web/campaigns.html", requests=reqs, counts=_counts_by_request(user),
                           shown_locales=shown)


def _counts_by_request(user: User) -> dict[int, dict[str, int]]:
    """Variants per state for each campaign, within the user's scope, from one grouped query
    (not by loading every variant with its report)."""
    rows = db.session.execute(select(Variant.request_id, Variant.locale, Variant.status, func.count())
                              .group_by(Variant.request_id, Variant.locale, Variant.status))
    out: dict[int, dict[str, int]] = {}
    for request_id, locale, status, n in rows:
        if user.sees_locale(locale):
            per = out.setdefault(request_id, {})
            per[status] = per.get(status, 0) + n
    return out


def _matrix(req: RenderRequest):
    items = svc.visible_variants(current_user(), request_id=req.id)
    locales = [l for l in req.locales if any(v.locale == l for v in items)]
    formats = [f for f in req.formats if any(v.format == f for v in items)]
    cells = {(v.locale, v.format): v for v in items}
    return items, locales, formats, cells


@bp.route("/campaigns/<int:request_id>")
@roles(*PEOPLE)
def campaign(request_id: int):
    req = get_request(request_id)
    items, locales, formats, cells = _matrix(req)
    return render_template("web/campaign.html", req=req, locales=locales, formats=formats, cells=cells,
                           counts=_counts(items))


def _counts(items) -> dict[str, int]:
    """Cells per matrix state (rendered and in review counted together)."""
    out: dict[str, int] = {}
    for v in items:
        out[state_group(v.status)] = out.get(state_group(v.status), 0) + 1
    return out


@bp.route("/campaigns/<int:request_id>/progress.json")
@roles(*PEOPLE)
def campaign_progress(request_id: int):
    """Polled by the campaign page: states, revisions and thumbnail URLs of the visible cells."""
    items, _l, _f, _c = _matrix(get_request(request_id))
    labels = state_group_labels()
    return jsonify({"counts": _counts(items), "total": len(items),
                    "done": sum(v.status not in ("queued", "rendering") for v in items),
                    "variants": [{"id": v.id, "status": v.status, "state": state_group(v.status),
                                  "label": labels.get(state_group(v.status), v.status), "verdict": verdict(v),
                                  "revision": v.revision, "thumb": _preview(v)} for v in items]})


#: The matrix shows one state where the database has two: "rendered" and "in_review" differ only
#: in whether a reviewer has opened the variant.
STATE_GROUPS = {"rendered": "to_review", "in_review": "to_review"}


def state_group(status: str) -> str:
    return STATE_GROUPS.get(status, status)


def state_group_labels() -> dict[str, str]:
    return {"queued": _("Queued"), "rendering": _("Rendering"), "to_review": _("To review"),
            "changes_requested": _("Changes requested"), "approved": _("Approved"), "failed": _("Failed")}


def verdict(v: Variant) -> str:
    """One plain word or two for a matrix cell."""
    if v.status == "approved":
        return _("approved")
    if v.status == "changes_requested":
        return _("flagged")
    if v.status == "failed":
        return _("failed")
    if v.status in ("queued", "rendering"):
        return _("not ready yet")
    n = len((v.report or {}).get("flags") or [])
    return _("ready") if n == 0 else _("warnings: %(n)s", n=n)


def locale_name(tag: str) -> str:
    """"ja-JP" as the reader says it ("日本語 (日本)", "Japanese (Japan)")."""
    from babel import Locale, UnknownLocaleError
    from flask_babel import get_locale

    try:
        return Locale.parse(tag.replace("-", "_")).get_display_name(str(get_locale() or "en")) or tag
    except (ValueError, UnknownLocaleError):
        return tag


def _preview(v: Variant) -> str | None:
    """The matrix cell's image URL: the small WebP (immutable: revision and hash in the URL)."""
    ref = (v.report or {}).get("preview") or (v.assets or {}).get("jpeg")
    if not ref:
        return None
    return url_for("web.variant_preview", variant_id=v.id, r=v.revision, sha=ref["sha256"][:12])


@bp.route("/variants/<int:variant_id>/preview.webp")
@roles(*PEOPLE)
def variant_preview(variant_id: int):
    """The stored preview; a variant rendered before previews existed gets one made from its JPEG."""
    from PIL import Image

    from ..services.previews import preview_bytes

    v = get_variant(variant_id)
    ref = (v.report or {}).get("preview")
    if ref is not None:
        data, etag = blob_store().get(ref["key"]), ref["sha256"]
    elif (v.assets or {}).get("jpeg"):
        data = preview_bytes(Image.open(io.BytesIO(blob_store().get(v.assets["jpeg"]["key"]))))
        etag = "p-" + v.assets["jpeg"]["sha256"]
    else:
        abort(404)
    resp = Response(data, mimetype="image/webp")
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = "private, max-age=31536000, immutable"  # the URL changes with the image
    return resp.make_conditional(request)


def _thumb(v: Variant) -> str | None:
    if not (v.assets or {}).get("jpeg"):
        return None
    return url_for("web.variant_image", variant_id=v.id, r=v.revision, sha=v.assets["jpeg"]["sha256"][:12])


def fix_level_labels(v: Variant) -> dict[str, str]:
    n_locale = sum(1 for x in v.request.variants if x.locale == v.locale)
    return {"variant": _("This variant only"),
            "locale": _("Every format of %(locale)s (%(n)s variants)", locale=v.locale, n=n_locale),
            "request": _("The whole campaign (%(n)s variants)", n=len(v.request.variants))}


def fix_reason_labels() -> dict[str, str]:
    return {"flagged": _("Flagged by a reviewer"), "failed": _("The render failed"),
            "override_refused": _("Your text zone was not used")}


@bp.route("/queue")
@roles(*PEOPLE)
def queue():
    """The person's inbox: marketing's "Needs my fix"; a reviewer's resubmissions first, then new work."""
    user = current_user()
    if user.role == "marketing":
        return render_template("web/queue.html", items=svc.fix_inbox(user), fixing=True, again=set(),
                               reasons=fix_reason_labels(), fix_reason=svc.fix_reason)
    items, again = svc.review_inbox(user)
    return render_template("web/queue.html", items=items, fixing=False, again=again)


@bp.route("/variants/<int:variant_id>")
@roles(*PEOPLE)
def variant(variant_id: int):
    user = current_user()
    v = svc.open_for_review(get_variant(variant_id), user)
    q = [x.id for x in svc.inbox(user) if x.id != v.id]
    fixes = svc.fixes_for(v.id)
    prev = svc.previous_jpeg(v)
    from ..render.formats import FORMATS

    from ..services.threads import comments_by_flag

    flags = svc.flags_for(v.id)
    return render_template("web/variant.html", v=v, req=v.request, flags=flags,
                           threads=comments_by_flag([f.id for f in flags]), ui_languages_by_code=UI_LANGUAGES,
                           prev_revision=prev[0] if prev else None,
                           safe=FORMATS[v.format].safe if v.format in FORMATS else None,
                           history=svc.history(v.id), fixes=fixes, next_id=q[0] if q else None,
                           thumb=_thumb(v), categories=CATEGORIES, scopes=SCOPES,
                           crop_anchors=svc.CROP_ANCHORS, text_zones=svc.TEXT_ZONES,
                           can_decide=user.role in DECIDERS and v.status in svc.DECIDABLE,
                           can_reopen=user.role in DECIDERS and v.status == "approved",
                           can_fix=user.role in FIXERS, tagline=svc.current_tagline(v),
                           level_labels=fix_level_labels(v))


@bp.route("/variants/<int:variant_id>/image.jpg")
@roles(*PEOPLE)
def variant_image(variant_id: int):
    v = get_variant(variant_id)
    asset = (v.assets or {}).get("jpeg")
    if asset is None:
        abort(404)
    resp = blob_response(asset["key"], asset["mime"], size=asset.get("bytes"), etag=asset["sha256"])
    resp.headers["Cache-Control"] = "private, max-age=3600"  # the URL carries revision and sha
    return resp.make_conditional(request)


@bp.route("/variants/<int:variant_id>/revisions/<int:revision>.jpg")
@roles(*PEOPLE)
def revision_image(variant_id: int, revision: int):
    """The previous revision's image, for the compare view (immutable: cached long)."""
    prev = svc.previous_jpeg(get_variant(variant_id))
    if prev is None or prev[0] != revision:
        abort(404)
    resp = Response(blob_store().get(prev[1]["key"]), mimetype=prev[1]["mime"])
    resp.set_etag(prev[1]["sha256"])
    resp.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return resp.make_conditional(request)


@bp.route("/variants/<int:variant_id>/source.jpg")
@roles(*PEOPLE)
def variant_source(variant_id: int):
    """The key art working copy, downscaled for display next to the variant."""
    from PIL import Image

    art = get_variant(variant_id).request.key_art
    img = Image.open(io.BytesIO(blob_store().get(art.working_key)))
    img.thumbnail((900, 900))  # before convert: no full-size copy (and draft() where it is a JPEG)
    img = img.convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    resp = Response(buf.getvalue(), mimetype="image/jpeg")
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp


@bp.route("/variants/<int:variant_id>/fixes/<int:fix_id>.png")
@roles(*PEOPLE)
def fix_image(variant_id: int, fix_id: int):
    fix = db.session.get(FixRequest, fix_id)
    if fix is None or fix.variant_id != variant_id or not (fix.result or {}).get("key"):
        abort(404)
    return blob_response(fix.result["key"], "image/png")


def _rect_from_form() -> dict | None:
    vals = [request.form.get(f"rect_{k}", "") for k in "xywh"]
    if not all(vals):
        return None
    return dict(zip("xywh", vals))


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


def _decide(variant_id: int, fn, ok_message: str | None):
    refused = run_service(fn, ok_message)
    if refused is not None:
        return redirect(url_for("web.variant", variant_id=variant_id)), refused.status
    return None


@bp.route("/variants/<int:variant_id>/approve", methods=["POST"])
@roles(*DECIDERS)
def approve(variant_id: int):
    rev = request.form.get("revision", type=int) or 0
    # no "Approved." flash: the undo bar ("You approved …  Undo") says it on the next page
    res = _decide(variant_id, lambda: svc.approve(variant_id, rev, current_user()), None)
    if res:
        return _conflict_page(variant_id, res[1])
    # the undo bar follows the reviewer to the next item for UNDO_WINDOW_S (see pending_undo)
    session["undo"] = {"variant_id": variant_id, "revision": rev, "user": current_user().username}
    nxt = request.form.get("next_id", type=int)
    return redirect(url_for("web.variant", variant_id=nxt) if nxt else url_for("web.variant", variant_id=variant_id))


def pending_undo() -> dict | None:
    """The approval this person may still undo (for the bar on every page), or None."""
    data = session.get("undo")
    user = current_user()
    if not data or user is None or data.get("user") != user.username:
        return None
    v = db.session.get(Variant, data["variant_id"])
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
    return redirect(url_for("web.variant", variant_id=variant_id))


@bp.route("/flags/<int:flag_id>/reply", methods=["POST"])
@roles(*PEOPLE)
def flag_reply(flag_id: int):
    from flask_babel import get_locale

    from ..services import threads

    run_service(lambda: threads.reply(flag_id, current_user(), request.form.get("body", ""), str(get_locale())),
                _("Reply sent."))
    return _back_to_flag(flag_id)


@bp.route("/flags/<int:flag_id>/resolve", methods=["POST"])
@roles(*DECIDERS)
def flag_resolve(flag_id: int):
    from ..services import threads

    run_service(lambda: threads.resolve(flag_id, current_user()), _("Flag resolved."))
    return _back_to_flag(flag_id)


def _back_to_flag(flag_id: int):
    from ..models import Flag

    flag = db.session.get(Flag, flag_id)
    if flag is None:
        abort(404)
    return redirect(url_for("web.variant", variant_id=flag.variant_id, _anchor=f"flag-{flag_id}"))


@bp.route("/variants/<int:variant_id>/reopen", methods=["POST"])
@roles(*DECIDERS)
def reopen(variant_id: int):
    rev = request.form.get("revision", type=int) or 0
    run_service(lambda: svc.reopen(variant_id, rev, current_user(), request.form.get("comment", "")),
                _("Reopened: the variant is back in review."))
    return redirect(url_for("web.variant", variant_id=variant_id))


def _conflict_page(variant_id: int, status: int):
    return redirect(url_for("web.variant", variant_id=variant_id)) if status != 409 else \
        (render_template("web/conflict.html", v=get_variant(variant_id)), 409)


@bp.route("/variants/<int:variant_id>/flag", methods=["POST"])
@roles(*DECIDERS)
def flag(variant_id: int):
    rev = request.form.get("revision", type=int) or 0
    res = _decide(variant_id, lambda: svc.flag(
        variant_id, rev, current_user(), categories=request.form.getlist("categories"),
        comment=request.form.get("comment", ""), rect=_rect_from_form(),
        scope=request.form.get("scope", "variant")), _("Flagged; marketing has been asked for changes."))
    if res:
        return _conflict_page(variant_id, res[1])
    return redirect(url_for("web.variant", variant_id=variant_id))


@bp.route("/variants/<int:variant_id>/rerender", methods=["POST"])
@roles(*FIXERS)
def rerender(variant_id: int):
    overrides = {k: request.form.get(k, "").strip() for k in ("tagline", "crop_anchor", "text_zone")}
    if overrides["tagline"] == svc.current_tagline(get_variant(variant_id)):
        overrides["tagline"] = ""  # the pre-filled text, unchanged: not an override (nor copied to other locales)
    level = request.form.get("level", "variant")
    _decide(variant_id, lambda: svc.rerender(variant_id, current_user(), overrides=overrides,
                                             revision=request.form.get("revision", type=int),
                                             flag_id=request.form.get("flag_id", type=int), level=level),
            _("A new revision is being rendered.") if level == "variant" else
            _("New revisions are being rendered for every variant this fix reaches."))
    return redirect(url_for("web.variant", variant_id=variant_id))


@bp.route("/variants/<int:variant_id>/generator", methods=["POST"])
@roles(*FIXERS)
def generator(variant_id: int):
    _decide(variant_id, lambda: svc.generator_edit(
        variant_id, current_user(), op=request.form.get("op", ""), rect=_rect_from_form(),
        prompt=request.form.get("prompt", ""), flag_id=request.form.get("flag_id", type=int)),
        _("Sent to the generator."))
    return redirect(url_for("web.variant", variant_id=variant_id))


@bp.route("/variants/<int:variant_id>/fixes/<int:fix_id>/accept", methods=["POST"])
@roles(*FIXERS)
def accept_proposal(variant_id: int, fix_id: int):
    _decide(variant_id, lambda: svc.accept_proposal(variant_id, fix_id, current_user()),
            _("The proposal is the new revision; it goes back to review."))
    return redirect(url_for("web.variant", variant_id=variant_id))


@bp.route("/variants/<int:variant_id>/status.json")
@roles(*PEOPLE)
def variant_status(variant_id: int):
    v = get_variant(variant_id)
    return jsonify({"id": v.id, "status": v.status, "revision": v.revision, "thumb": _thumb(v)})
