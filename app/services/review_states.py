"""Which variant states review acts on, and the vocabulary of fixes (anchors, zones, ops, levels).

Plain constants and one classification, with no database access, so that decisions, fixes,
the read queries and the views all name the same states the same way."""
from __future__ import annotations

from ..models import Variant, VariantStatus
from ..render.reframe import ANCHORS
from ..render.text.placement import ZONES

S = VariantStatus
#: States a reviewer can decide on. A rendered variant is "in review" from the moment it is
#: rendered; opening it makes that explicit (see decisions.open_for_review).
DECIDABLE = (S.RENDERED.value, S.IN_REVIEW.value)
#: States that hold a finished image, i.e. that a shared flag or a re-render can send back.
FINISHED = (S.RENDERED.value, S.IN_REVIEW.value, S.APPROVED.value, S.CHANGES_REQUESTED.value)
CROP_ANCHORS = ANCHORS
TEXT_ZONES = ZONES
GENERATOR_OPS = ("remove", "restyle")
#: An override value that drops an earlier override: the renderer decides again.
AUTO = "auto"
#: How far one override reaches: this variant, every format of its locale, or the whole request.
FIX_LEVELS = ("variant", "locale", "request")
#: Pre-flag of a render whose requested text zone the renderer refused (marketing must choose again).
REFUSED_OVERRIDE = "text_zone_override_refused"
#: The longest comment a flag or a reopen may carry.
MAX_COMMENT = 4000


def fix_reason(v: Variant) -> str | None:
    """Why a variant waits for marketing: 'flagged', 'failed', 'override_refused', or None."""
    if v.status == S.CHANGES_REQUESTED.value:
        return "flagged"
    if v.status == S.FAILED.value:
        return "failed"
    if v.status in DECIDABLE and REFUSED_OVERRIDE in ((v.report or {}).get("flags") or []):
        return "override_refused"
    return None
