"""A person's inbox and the variant page: the image with its report, flags and their threads,
fixes and history, the previous revision for comparison, and the images the page shows."""
from __future__ import annotations

from flask import Response, abort, jsonify, render_template, request, url_for

from ..auth import current_user, roles
from ..models import Variant
from ..models.review import CATEGORIES, SCOPES
from ..render.encode import ENCODINGS, EXT
from ..render.formats import FORMATS
from ..render.review_pixels import display_jpeg
from ..services import blob_store
from ..services import review as svc
from ..services.encodings import asset as encoded_asset
from ..services.queries import review as reads
from ..services.requests import get_variant
from ..downloads import blob_response
from .blueprint import DECIDERS, FIXERS, PEOPLE, bp
from .labels import ENCODING_LABELS, fix_level_labels, fix_reason_labels
from .languages import UI_LANGUAGES


@bp.route("/queue")
@roles(*PEOPLE)
def queue():
    """The person's inbox: marketing's "Needs my fix"; a reviewer's resubmissions first, then new work."""
    user = current_user()
    if user.role == "marketing":
        return render_template("web/queue.html", items=reads.fix_inbox(user), fixing=True, again=set(),
                               reasons=fix_reason_labels(), fix_reason=svc.fix_reason)
    items, again = reads.review_inbox(user)
    return render_template("web/queue.html", items=items, fixing=False, again=again)


@bp.route("/variants/<int:variant_id>")
@roles(*PEOPLE)
def variant(variant_id: int):
    user = current_user()
    v = svc.open_for_review(get_variant(variant_id), user)
    q = [x.id for x in reads.inbox(user) if x.id != v.id]
    fixes = reads.fixes_for(v.id)
    prev = reads.previous_jpeg(v)
    flags = reads.flags_for(v.id)
    return render_template("web/variant.html", v=v, req=v.request, flags=flags,
                           threads=reads.comments_by_flag([f.id for f in flags]), ui_languages_by_code=UI_LANGUAGES,
                           prev_revision=prev[0] if prev else None,
                           safe=FORMATS[v.format].safe if v.format in FORMATS else None,
                           history=reads.history(v.id), fixes=fixes, next_id=q[0] if q else None,
                           thumb=_thumb(v), categories=CATEGORIES, scopes=SCOPES,
                           crop_anchors=svc.CROP_ANCHORS, text_zones=svc.TEXT_ZONES,
                           can_decide=user.role in DECIDERS and v.status in svc.DECIDABLE,
                           can_reopen=user.role in DECIDERS and v.status == "approved",
                           can_fix=user.role in FIXERS, tagline=svc.current_tagline(v),
                           level_labels=fix_level_labels(v), downloads=_downloads(v))


def _thumb(v: Variant) -> str | None:
    if not (v.assets or {}).get("jpeg"):
        return None
    return url_for("web.variant_image", variant_id=v.id, r=v.revision, sha=v.assets["jpeg"]["sha256"][:12])


@bp.route("/variants/<int:variant_id>/status.json")
@roles(*PEOPLE)
def variant_status(variant_id: int):
    v = get_variant(variant_id)
    return jsonify({"id": v.id, "status": v.status, "revision": v.revision, "thumb": _thumb(v)})


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


def _downloads(v: Variant) -> list[tuple[str, str, str]]:
    """(label, URL, file name) per encoding a rendered variant can be downloaded in."""
    if "jpeg" not in (v.assets or {}):
        return []
    stem = f"{v.request.title.slug}-{v.locale}-{v.format}-r{v.revision}"
    return [(ENCODING_LABELS[k], url_for("web.variant_download", variant_id=v.id, kind=k), f"{stem}.{EXT[k]}")
            for k in ENCODINGS]


@bp.route("/variants/<int:variant_id>/download.<kind>")
@roles(*PEOPLE)
def variant_download(variant_id: int, kind: str):
    """The variant's file in an encoding (JPEG master, or WebP/AVIF made from it on first
    download and kept), as the API serves it."""
    v = get_variant(variant_id)
    asset = encoded_asset(v, kind) if kind in ENCODINGS else None
    if asset is None:
        abort(404)
    resp = blob_response(asset["key"], asset["mime"], size=asset.get("bytes"), etag=asset["sha256"])
    resp.headers["Cache-Control"] = "private, no-cache"   # a re-render changes what this URL serves
    return resp.make_conditional(request)


@bp.route("/variants/<int:variant_id>/revisions/<int:revision>.jpg")
@roles(*PEOPLE)
def revision_image(variant_id: int, revision: int):
    """The previous revision's image, for the compare view (immutable: cached long)."""
    prev = reads.previous_jpeg(get_variant(variant_id))
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
    art = get_variant(variant_id).request.key_art
    resp = Response(display_jpeg(blob_store().get(art.working_key), (900, 900), quality=85), mimetype="image/jpeg")
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp


@bp.route("/variants/<int:variant_id>/fixes/<int:fix_id>.png")
@roles(*PEOPLE)
def fix_image(variant_id: int, fix_id: int):
    fix = reads.fix_request_of(variant_id, fix_id)
    if fix is None or not (fix.result or {}).get("key"):
        abort(404)
    return blob_response(fix.result["key"], "image/png")
