"""Flagging a revision: categories, a comment, optionally a marked rectangle, and a scope that
can reach other variants built from the same input (see propagation)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...extensions import db
from ...models import Flag, User
from ...models.review import FlagScope
from .propagation import SENT_BACK, copy_flag, may_flag, shared_with
from ..review_states import DECIDABLE, S
from .transitions import current_status, record, transition
from .validation import checked_comment, checked_flag, checked_rect


@dataclass
class FlagOutcome:
    """A flag and how far it reached: the copies it left on other variants built from the same
    input (`flagged`), those of them sent back to changes_requested (`marked`), and how many
    such variants lie outside the flagger's regions and were not touched (`outside`)."""

    flag: Flag
    scope: str
    flagged: list[int] = field(default_factory=list)
    marked: list[int] = field(default_factory=list)
    outside: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scope": self.scope, "variants_flagged": len(self.flagged),
                               "variants_marked": len(self.marked), "flagged_variant_ids": self.flagged,
                               "marked_variant_ids": self.marked, "outside_your_regions": self.outside}
        if self.outside:
            out["note"] = (f"{self.outside} other variant(s) built from the same "
                           f"{'key art' if self.scope == FlagScope.KEY_ART.value else 'localization'} are "
                           "outside your regions and were not touched; a reviewer of those regions or an "
                           "admin can flag them")
        return out


def flag(variant_id: int, revision: int, user: User, *, categories: list[str], comment: str = "",
         rect: dict[str, Any] | None = None, scope: str = "variant") -> Flag:
    """Flag one revision (-> changes_requested); see flag_revision for shared scopes."""
    return flag_revision(variant_id, revision, user, categories=categories, comment=comment, rect=rect,
                         scope=scope).flag


def flag_revision(variant_id: int, revision: int, user: User, *, categories: list[str], comment: str = "",
                  rect: dict[str, Any] | None = None, scope: str = "variant") -> FlagOutcome:
    """Flag one revision (-> changes_requested). A shared-scope flag marks every other variant
    built from that input that the flagger may act on (may_flag): each gets its own copy of the
    flag and, if finished, changes_requested. Variants outside the flagger's regions are never
    touched (a JP reviewer's key-art flag must not withdraw a BR approval); they are counted."""
    cats = checked_flag(categories, scope)
    box = checked_rect(rect)
    comment = checked_comment(comment)
    before = current_status(variant_id)
    v = transition(variant_id, revision, DECIDABLE, SENT_BACK)
    origin = Flag(variant_id=v.id, revision=revision, categories=cats, comment=comment, rect=box, scope=scope,
                  author=user.username)
    db.session.add(origin)
    db.session.flush()
    shared = shared_with(v, scope)
    reach = [o for o in shared if may_flag(user, o)]
    outcome = FlagOutcome(flag=origin, scope=scope, outside=len(shared) - len(reach))
    record(user.username, v, revision, "flag", before, S.CHANGES_REQUESTED.value, flag_id=origin.id,
           categories=cats, scope=scope, rect=box, comment=comment or None,
           outside_flaggers_regions=outcome.outside or None)
    for other in reach:
        outcome.flagged.append(other.id)
        if copy_flag(origin, v, other, user):
            outcome.marked.append(other.id)
    db.session.commit()
    return outcome
