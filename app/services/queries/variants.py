"""Campaigns and their variants as a person may see them, and variants counted per state.

Counts per state have one definition here: `status_counts` asks the database (one grouped
query, for pages that do not load the variants), `tally` counts rows a page already holds
(so its counts agree with the rows it shows)."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import func, select

from ...extensions import db
from ...models import RenderRequest, User, Variant, VariantStatus


def visible_requests(user: User) -> list[RenderRequest]:
    """Campaigns with at least one locale in the user's scope, newest first."""
    return [r for r in db.session.scalars(select(RenderRequest).order_by(RenderRequest.id.desc()))
            if any(user.sees_locale(l) for l in r.locales)]


def visible_variants(user: User, request_id: int | None = None, statuses: tuple[str, ...] | None = None
                     ) -> list[Variant]:
    """Variants in the user's scope (of one request, in some states), by request, locale, format."""
    q = select(Variant).order_by(Variant.request_id, Variant.locale, Variant.format)
    if request_id is not None:
        q = q.where(Variant.request_id == request_id)
    if statuses:
        q = q.where(Variant.status.in_(statuses))
    return [v for v in db.session.scalars(q) if user.sees_locale(v.locale)]


def find_variant(variant_id: int) -> Variant | None:
    return db.session.get(Variant, variant_id)


def status_counts(request_id: int | None = None, user: User | None = None) -> dict[int, dict[str, int]]:
    """Variants per status for each request (one, or all), within the user's scope (everyone's
    when None), from one grouped query rather than by loading every variant with its report."""
    q = select(Variant.request_id, Variant.locale, Variant.status, func.count()) \
        .group_by(Variant.request_id, Variant.locale, Variant.status)
    if request_id is not None:
        q = q.where(Variant.request_id == request_id)
    out: dict[int, dict[str, int]] = {}
    for rid, locale, status, n in db.session.execute(q):
        if user is None or user.sees_locale(locale):
            per = out.setdefault(rid, {})
            per[status] = per.get(status, 0) + n
    return out


def request_progress(request_id: int) -> dict[str, int]:
    """Every status of one request with its count (0 when none), and the total."""
    counts = {s.value: 0 for s in VariantStatus}
    counts.update(status_counts(request_id).get(request_id, {}))
    counts["total"] = sum(n for s, n in counts.items() if s != "total")
    return counts


def tally(statuses: Iterable[str], group: Callable[[str], str] | None = None) -> dict[str, int]:
    """Count statuses already loaded, optionally merged into groups (the UI's matrix states)."""
    out: dict[str, int] = {}
    for status in statuses:
        key = group(status) if group else status
        out[key] = out.get(key, 0) + 1
    return out
