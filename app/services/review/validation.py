"""What a reviewer or marketer sends, checked before anything changes: a marked rectangle, flag
categories and scope, re-render overrides, a comment. Refusals are 422 with a message that
names the rule (the UI translates the known shapes, app.web.messages)."""
from __future__ import annotations

from typing import Any

from ...models.review import CATEGORIES, SCOPES
from .. import ServiceError
from ..review_states import AUTO, CROP_ANCHORS, MAX_COMMENT, TEXT_ZONES

OVERRIDE_KEYS = ("tagline", "crop_anchor", "text_zone")
MAX_TAGLINE = 300


def checked_comment(comment: str | None) -> str:
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ServiceError(f"the comment is longer than {MAX_COMMENT} characters", status=422)
    return comment


def checked_rect(rect: dict[str, Any] | None) -> dict[str, float] | None:
    """A rectangle in fractions of the image (x, y, w, h), rounded; None when none was marked."""
    if rect in (None, {}):
        return None
    try:
        r = {k: float(rect[k]) for k in ("x", "y", "w", "h")}
    except (KeyError, TypeError, ValueError):
        raise ServiceError("rect needs numbers x, y, w, h (fractions of the image, 0..1)", status=422) from None
    if not (0 <= r["x"] < 1 and 0 <= r["y"] < 1 and 0 < r["w"] <= 1 and 0 < r["h"] <= 1
            and r["x"] + r["w"] <= 1.0001 and r["y"] + r["h"] <= 1.0001):
        raise ServiceError(f"rect {r} is not inside the image (fractions 0..1, w and h > 0)", status=422)
    return {k: round(v, 4) for k, v in r.items()}


def checked_flag(categories: list[str], scope: str) -> list[str]:
    """The flag's categories, deduplicated in order; the scope must be known."""
    cats = list(dict.fromkeys(c for c in categories or [] if c))
    if not cats:
        raise ServiceError(f"a flag needs at least one category; known: {', '.join(CATEGORIES)}", status=422)
    unknown = [c for c in cats if c not in CATEGORIES]
    if unknown:
        raise ServiceError(f"unknown categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(map(repr, unknown))};"
                           f" known: {', '.join(CATEGORIES)}", status=422)
    if scope not in SCOPES:
        raise ServiceError(f"unknown scope {scope!r}; known: {', '.join(SCOPES)}", status=422)
    return cats


def checked_overrides(raw: dict[str, Any] | None) -> dict[str, str]:
    """Tagline, crop anchor and text zone overrides; empty values are no override, AUTO drops one."""
    out: dict[str, str] = {}
    raw = {k: v for k, v in (raw or {}).items() if v not in (None, "")}
    unknown = set(raw) - set(OVERRIDE_KEYS)
    if unknown:
        raise ServiceError(f"unknown override(s) {', '.join(sorted(unknown))}; "
                           f"known: {', '.join(OVERRIDE_KEYS)}", status=422)
    if "tagline" in raw:
        tag = str(raw["tagline"]).strip()
        if not 0 < len(tag) <= MAX_TAGLINE:
            raise ServiceError(f"tagline must be 1 to {MAX_TAGLINE} characters", status=422)
        out["tagline"] = tag
    for key, allowed in (("crop_anchor", CROP_ANCHORS), ("text_zone", TEXT_ZONES)):
        if key in raw:
            if raw[key] not in (*allowed, AUTO):
                raise ServiceError(f"{key} {raw[key]!r} is not one of {', '.join((*allowed, AUTO))}", status=422)
            out[key] = raw[key]
    return out
