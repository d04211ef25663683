"""Review API: the queue, a variant's review record, and decisions on one revision."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields, validate

from ..auth import current_user
from ..models.review import CATEGORIES, SCOPES
from ..services import ServiceError
from ..services import review as svc
from ..services.review import threads
from ..services.queries import review as reads
from ..services.queries.variants import tally, visible_variants
from ..services.requests import get_request, get_variant
from .jsonbody import Blueprint
from .timestamps import rfc3339, with_rfc3339
from ..schemas.validation import INT_MAX, TAGLINE_CELLS, ApiSchema, BoundedList, Count, DisplayText, Id, Text

blp = Blueprint("review", __name__, url_prefix="/api/v1", description="Regional review")
DECIDERS = frozenset({"admin", "reviewer"})
FIXERS = frozenset({"admin", "marketing"})
READERS = frozenset({"admin", "marketing", "reviewer"})
#: A revision named in a body: the next one (revision + 1) must still fit an INTEGER column.
REVISION_MAX = INT_MAX - 1


class RectIn(ApiSchema):
    x = fields.Float(required=True)
    y = fields.Float(required=True)
    w = fields.Float(required=True)
    h = fields.Float(required=True)


class ApproveIn(ApiSchema):
    revision = Count(1, REVISION_MAX, required=True, metadata={"description": "the revision you looked at"})


class FlagIn(ApiSchema):
    revision = Count(1, REVISION_MAX, required=True)
    categories = BoundedList(Text(validate=validate.OneOf(CATEGORIES)), min_items=1, max_items=len(CATEGORIES) * 2,
                             required=True)
    comment = Text(load_default="", validate=validate.Length(max=4000))
    rect = fields.Nested(RectIn, load_default=None, allow_none=True)
    scope = Text(load_default="variant", validate=validate.OneOf(SCOPES))


class OverridesIn(ApiSchema):
    tagline = DisplayText(max_cells=TAGLINE_CELLS)
    crop_anchor = Text(validate=validate.OneOf((*svc.CROP_ANCHORS, svc.AUTO)),
                             metadata={"description": "'auto' drops an earlier crop anchor override"})
    text_zone = Text(validate=validate.OneOf((*svc.TEXT_ZONES, svc.AUTO)),
                           metadata={"description": "'auto' drops an earlier text zone override"})


class RerenderIn(ApiSchema):
    revision = Count(1, REVISION_MAX, load_default=None, allow_none=True)
    overrides = fields.Nested(OverridesIn, load_default=dict)
    flag_id = Id(load_default=None, allow_none=True)
    level = fields.Str(load_default="variant", validate=validate.OneOf(svc.FIX_LEVELS),
                       metadata={"description": "variant, locale (every format of it) or request: one action, "
                                                "one audit entry, a new revision for each variant reached"})


class GeneratorIn(ApiSchema):
    op = Text(required=True, validate=validate.OneOf(svc.GENERATOR_OPS))
    rect = fields.Nested(RectIn, load_default=None, allow_none=True)
    prompt = Text(load_default="", validate=validate.Length(max=1000))
    flag_id = Id(load_default=None, allow_none=True)


def _existing_flag(flag_id: int | None) -> int | None:
    """A fix names a flag that exists (else the fix row's foreign key fails on PostgreSQL)."""
    if flag_id is not None and reads.find_flag(flag_id) is None:
        raise ServiceError(f"flag {flag_id} does not exist", status=422, field="flag_id")
    return flag_id


def _summary(v) -> dict:
    return {"id": v.id, "request_id": v.request_id, "locale": v.locale, "format": v.format,
            "revision": v.revision, "status": v.status, "approved_by": v.approved_by,
            "approved_at": rfc3339(v.approved_at),
            "overrides": v.overrides, "report_flags": (v.report or {}).get("flags", [])}


@blp.route("/review/categories")
class Categories(MethodView):
    roles = READERS | {"integration"}

    @blp.response(200)
    def get(self):
        return {"categories": list(CATEGORIES), "scopes": list(SCOPES), "crop_anchors": list(svc.CROP_ANCHORS),
                "text_zones": list(svc.TEXT_ZONES), "generator_ops": list(svc.GENERATOR_OPS)}


@blp.route("/review/queue")
class Queue(MethodView):
    roles = READERS

    @blp.response(200)
    def get(self):
        """Variants waiting for a decision, in the caller's regions."""
        return [_summary(v) for v in reads.queue(current_user())]


@blp.route("/review/requests/<id:request_id>")
class RequestMatrix(MethodView):
    roles = READERS | {"integration"}

    @blp.response(200)
    def get(self, request_id: int):
        """The caller's part of a request's matrix, with counts per state (poll it for progress)."""
        req = get_request(request_id)
        items = visible_variants(current_user(), request_id=req.id)
        return {"request_id": req.id, "total": len(items), "counts": tally(v.status for v in items),
                "variants": [_summary(v) for v in items]}


@blp.route("/variants/<id:variant_id>/review")
class VariantReview(MethodView):
    roles = READERS

    @blp.response(200)
    def get(self, variant_id: int):
        """State, flags, fix requests and history; a reviewer opening it moves it to in_review."""
        v = svc.open_for_review(get_variant(variant_id), current_user())
        return {**_summary(v), "flags": [with_rfc3339(f.to_dict()) for f in reads.flags_for(v.id)],
                "fixes": [with_rfc3339(f.to_dict()) for f in reads.fixes_for(v.id)],
                "history": [{"id": e.id, "actor": e.actor, "action": e.action, "revision": e.revision,
                             "state_before": e.state_before, "state_after": e.state_after, "detail": e.detail,
                             "at": rfc3339(e.created_at)} for e in reads.history(v.id)]}


@blp.route("/variants/<id:variant_id>/approve")
class Approve(MethodView):
    roles = DECIDERS

    @blp.arguments(ApproveIn)
    @blp.response(200)
    def post(self, data, variant_id: int):
        """Approve this revision; 409 with the current state if someone decided first."""
        return _summary(svc.approve(variant_id, data["revision"], current_user()))


class ReopenIn(ApiSchema):
    revision = Count(1, REVISION_MAX, required=True)
    comment = Text(load_default="", validate=validate.Length(max=4000))


@blp.route("/variants/<id:variant_id>/undo")
class UndoApproval(MethodView):
    roles = DECIDERS

    @blp.arguments(ApproveIn)
    @blp.response(200)
    def post(self, data, variant_id: int):
        """Take back your own approval within the undo window (config UNDO_WINDOW_S, 10 s); 409 after it."""
        return _summary(svc.undo_approval(variant_id, data["revision"], current_user()))


@blp.route("/variants/<id:variant_id>/reopen")
class Reopen(MethodView):
    roles = DECIDERS

    @blp.arguments(ReopenIn)
    @blp.response(200)
    def post(self, data, variant_id: int):
        """Send an approved revision back to review (its region's reviewer or an admin), audited."""
        return _summary(svc.reopen(variant_id, data["revision"], current_user(), data["comment"]))


class ReplyIn(ApiSchema):
    body = Text(required=True, validate=validate.Length(min=1, max=4000))
    lang = Text(load_default=None, allow_none=True, validate=validate.Length(max=16))


@blp.route("/flags/<id:flag_id>/comments")
class FlagComments(MethodView):
    roles = READERS

    @blp.response(200)
    def get(self, flag_id: int):
        """The flag's thread, oldest first."""
        return [c.to_dict() for c in reads.comments(flag_id)]

    @blp.arguments(ReplyIn)
    @blp.response(201)
    def post(self, data, flag_id: int):
        """Reply in the flag's thread (reviewer or marketing); a reply reopens a resolved flag."""
        return threads.reply(flag_id, current_user(), data["body"], data["lang"]).to_dict()


@blp.route("/flags/<id:flag_id>/resolve")
class ResolveFlag(MethodView):
    roles = DECIDERS

    @blp.response(200)
    def post(self, flag_id: int):
        """Close the flag's conversation; 409 if it is already resolved."""
        return threads.resolve(flag_id, current_user()).to_dict()


@blp.route("/variants/<id:variant_id>/flags")
class Flags(MethodView):
    roles = {"GET": READERS, "POST": DECIDERS}

    @blp.response(200)
    def get(self, variant_id: int):
        return [with_rfc3339(f.to_dict()) for f in reads.flags_for(variant_id)]

    @blp.arguments(FlagIn)
    @blp.response(201)
    def post(self, data, variant_id: int):
        """Flag this revision with categories, a comment and optionally a marked rectangle.

        A key_art or localization scope also flags the other variants built from that input, but
        only those in the caller's regions (admins: all); `propagation` says how many were flagged
        and sent back, and how many outside the caller's regions were left untouched."""
        outcome = svc.flag_revision(variant_id, data["revision"], current_user(), categories=data["categories"],
                                    comment=data["comment"], rect=data["rect"], scope=data["scope"])
        return with_rfc3339({**outcome.flag.to_dict(), "propagation": outcome.to_dict()})


@blp.route("/variants/<id:variant_id>/rerender")
class Rerender(MethodView):
    roles = FIXERS

    @blp.arguments(RerenderIn)
    @blp.response(202)
    def post(self, data, variant_id: int):
        """New revision with overrides (tagline, crop anchor, text zone); it goes back to review."""
        return _summary(svc.rerender(variant_id, current_user(), overrides=data["overrides"],
                                     revision=data["revision"], flag_id=_existing_flag(data["flag_id"]),
                                     level=data["level"]))


@blp.route("/variants/<id:variant_id>/generator")
class GeneratorEdit(MethodView):
    roles = FIXERS

    @blp.arguments(GeneratorIn)
    @blp.response(201)
    def post(self, data, variant_id: int):
        """Send the marked area to the generator's remove or restyle."""
        return with_rfc3339(svc.generator_edit(variant_id, current_user(), op=data["op"], rect=data["rect"],
                                               prompt=data["prompt"],
                                               flag_id=_existing_flag(data["flag_id"])).to_dict())


@blp.route("/variants/<id:variant_id>/fixes/<id:fix_id>/accept")
class AcceptProposal(MethodView):
    roles = FIXERS

    @blp.response(201)
    def post(self, variant_id: int, fix_id: int):
        """Make a generator proposal (remove / restyle) the next revision; it goes back to review."""
        return _summary(svc.accept_proposal(variant_id, fix_id, current_user()))
