"""How far a shared flag reaches: the other variants built from the same key art (scope
"key_art") or the same localized title (scope "localization"), within the flagger's regions.

A JP reviewer's key-art flag must not withdraw a BR approval: variants outside the flagger's
regions are never touched, only counted."""
from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...models import Flag, RenderRequest, User, Variant
from ...models.review import FlagScope
from ..review_states import FINISHED, S
from .transitions import mark_if_still, record

#: What a flag sets on a variant it sends back: changes requested, nobody's approval.
SENT_BACK = dict(status=S.CHANGES_REQUESTED.value, approved_by=None, approved_at=None)


def shared_with(v: Variant, scope: str) -> list[Variant]:
    """Other variants built from the same shared input: same key art, or same title+locale."""
    if scope == FlagScope.KEY_ART.value:
        cond = RenderRequest.key_art_id == v.request.key_art_id
    elif scope == FlagScope.LOCALIZATION.value:
        cond = (RenderRequest.title_id == v.request.title_id) & (Variant.locale == v.locale)
    else:
        return []
    return list(db.session.scalars(select(Variant).join(RenderRequest).where(cond, Variant.id != v.id)
                                   .order_by(Variant.id)))


def may_flag(user: User, v: Variant) -> bool:
    """Whether `user` may send `v` back: admins everywhere, others (reviewers) in their own
    locales and regions only. A shared flag reaches no further than this."""
    return user.role == "admin" or user.sees_locale(v.locale)


def copy_flag(origin: Flag, origin_variant: Variant, other: Variant, user: User) -> bool:
    """Give `other` its own copy of the flag and, if it holds a finished image not already sent
    back, send it back to changes_requested. True if it was sent back. Not committed."""
    copied = Flag(variant_id=other.id, revision=other.revision, categories=origin.categories,
                  comment=origin.comment, rect=None, scope=origin.scope, origin_flag_id=origin.id,
                  author=user.username)
    db.session.add(copied)
    db.session.flush()
    prior = other.status
    sent_back = (prior in FINISHED and prior != S.CHANGES_REQUESTED.value
                 and mark_if_still(other, prior, SENT_BACK))
    after = S.CHANGES_REQUESTED.value if sent_back else prior
    record(user.username, other, other.revision, "flag_shared", prior, after, flag_id=copied.id,
           origin_flag_id=origin.id, origin_variant_id=origin_variant.id, scope=origin.scope)
    return sent_back
