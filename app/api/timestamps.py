"""Timestamps in API output: RFC 3339 with an explicit UTC offset, always.

PostgreSQL returns aware datetimes (in the session's time zone), SQLite naive ones that are UTC
by construction (models.base.utcnow); some values arrive as isoformat strings from to_dict() or
stored JSON. All of them leave as `2026-11-30T17:43:21.583432+00:00`.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from marshmallow import fields


def rfc3339(value: datetime | str | None) -> str | None:
    """UTC, with offset; naive values are taken as UTC (that is how they were stored)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat()


def with_rfc3339(data: dict[str, Any], keys: Iterable[str] = ()) -> dict[str, Any]:
    """A copy of a to_dict() result with its timestamp keys (given, or every *_at) in RFC 3339."""
    out = dict(data)
    for key in keys or [k for k in out if k.endswith("_at")]:
        if key in out:
            out[key] = rfc3339(out[key])
    return out


class UtcDateTime(fields.DateTime):
    """marshmallow DateTime that dumps timezone-aware RFC 3339 (see rfc3339)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return rfc3339(value)
