"""The campaign pages: the list of campaigns, one campaign's locale x format matrix (polled for
progress while it renders), and the small preview image of each matrix cell."""
from __future__ import annotations

from flask import Response, abort, jsonify, redirect, render_template, request, url_for

from ..auth import current_user, roles
from ..models import RenderRequest, Variant
from ..render.review_pixels import open_image
from ..services import blob_store
from ..services.previews import preview_bytes
from ..services.queries.variants import status_counts, tally, visible_requests, visible_variants
from ..services.requests import get_request, get_variant
from .blueprint import PEOPLE, bp
from .labels import state_group, state_group_labels, verdict


@bp.app_context_processor
def _campaign_helpers() -> dict:
    return {"preview_url": preview_url}


@bp.route("/")
@roles(*PEOPLE)
def home():
    return redirect(url_for("web.queue" if current_user().role == "reviewer" else "web.campaigns"))


@bp.route("/campaigns")
@roles(*PEOPLE)
def campaigns():
    user = current_user()
    reqs = visible_requests(user)
    # a reviewer sees only their own locales of each campaign, not the whole list
    shown = {r.id: [l for l in r.locales if user.sees_locale(l)] for r in reqs}
    return render_template("web/campaigns.html", requests=reqs, counts=status_counts(user=user),
                           shown_locales=shown)


def _matrix(req: RenderRequest):
    items = visible_variants(current_user(), request_id=req.id)
    locales = [l for l in req.locales if any(v.locale == l for v in items)]
    formats = [f for f in req.formats if any(v.format == f for v in items)]
    cells = {(v.locale, v.format): v for v in items}
    return items, locales, formats, cells


def _counts(items: list[Variant]) -> dict[str, int]:
    """Cells per matrix state (rendered and in review counted together)."""
    return tally((v.status for v in items), group=state_group)


@bp.route("/campaigns/<int:request_id>")
@roles(*PEOPLE)
def campaign(request_id: int):
    req = get_request(request_id)
    items, locales, formats, cells = _matrix(req)
    return render_template("web/campaign.html", req=req, locales=locales, formats=formats, cells=cells,
                           counts=_counts(items))


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
                                  "revision": v.revision, "thumb": preview_url(v)} for v in items]})


def preview_url(v: Variant) -> str | None:
    """The matrix cell's image URL: the small WebP (immutable: revision and hash in the URL)."""
    ref = (v.report or {}).get("preview") or (v.assets or {}).get("jpeg")
    if not ref:
        return None
    return url_for("web.variant_preview", variant_id=v.id, r=v.revision, sha=ref["sha256"][:12])


@bp.route("/variants/<int:variant_id>/preview.webp")
@roles(*PEOPLE)
def variant_preview(variant_id: int):
    """The stored preview; a variant rendered before previews existed gets one made from its JPEG."""
    v = get_variant(variant_id)
    ref = (v.report or {}).get("preview")
    if ref is not None:
        data, etag = blob_store().get(ref["key"]), ref["sha256"]
    elif (v.assets or {}).get("jpeg"):
        data = preview_bytes(open_image(blob_store().get(v.assets["jpeg"]["key"])))
        etag = "p-" + v.assets["jpeg"]["sha256"]
    else:
        abort(404)
    resp = Response(data, mimetype="image/webp")
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = "private, max-age=31536000, immutable"  # the URL changes with the image
    return resp.make_conditional(request)
