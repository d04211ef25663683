"""Input rules at the edges (API, UI forms, CLI), declared once and used by every schema and route.

The database and the renderer have limits that JSON types do not show: ids are 32-bit integers
in PostgreSQL (and SQLite overflows past 2^63), text columns refuse NUL, a lone surrogate cannot
be encoded, and the text fitter's cost grows with the length of a title. Each rule here refuses
bad input with 422 (404 for an id in a path) and names itself, instead of failing deep inside
with a 500.
"""
from __future__ import annotations

import unicodedata
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate
from werkzeug.routing import IntegerConverter, Map

from ..render.text.scripts import graphemes

#: Ids are PostgreSQL INTEGER columns: 1 .. 2^31 - 1.
ID_MAX = 2**31 - 1
#: Any other whole number that meets an INTEGER column (revision, offset, cursor).
INT_MAX = 2**31 - 1
ID_RULE = f"an id is a whole number from 1 to {ID_MAX}"

#: Unicode bidirectional embedding/override/isolate controls. In a title they reorder what is
#: shown ("gnp.exe" shows as "exe.png" after U+202E), so titles and taglines refuse them.
BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))

#: Length of display text in "cells": a grapheme cluster is 1 cell, or 2 when it is East Asian
#: wide (CJK ideographs, kana, Hangul, fullwidth forms). So a 80-cell title is 80 Latin, Cyrillic,
#: Arabic, Devanagari or Thai clusters, or 40 CJK ones; the renderer's worst case stays bounded.
TITLE_CELLS = 80
TAGLINE_CELLS = 160
#: Hard cap in code points, checked before clusters are counted (a cluster may be several).
CODE_POINTS_PER_CELL = 4


# --- ids in paths --------------------------------------------------------------------------------

class IdConverter(IntegerConverter):
    """`<id:name>`: 1 .. ID_MAX in ASCII digits (werkzeug's `\\d+` also takes other scripts'
    digits, and int() of 5,000 digits raises); anything else does not match the route (404)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=ID_MAX)


def id_param_schema(_converter: IdConverter) -> dict:
    """OpenAPI schema of an `<id:...>` path parameter (flask-smorest register_converter)."""
    return {"type": "integer", "minimum": 1, "maximum": ID_MAX}


# --- fields --------------------------------------------------------------------------------------

class Id(fields.Integer):
    """An id in a body or query: 1 .. ID_MAX (422 otherwise, before any query runs)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Range(min=1, max=ID_MAX, error=ID_RULE))
        super().__init__(strict=False, **kwargs)


def Count(minimum: int = 0, maximum: int = INT_MAX, **kwargs: Any) -> fields.Integer:
    """A whole number that fits an INTEGER column (revision, offset, cursor)."""
    return fields.Integer(validate=validate.Range(min=minimum, max=maximum), **kwargs)


class BoundedList(fields.List):
    """A list with at most `max_items` items, refused BEFORE its items are read, so that 64,000
    items cost one len() and not 64,000 nested loads."""

    def __init__(self, inner: Any, *, max_items: int, min_items: int = 0, **kwargs: Any) -> None:
        rule = validate.Length(min=min_items or None, max=max_items,
                               error=f"between {min_items} and {max_items} items")
        extra = kwargs.pop("validate", None)
        extra = [extra] if callable(extra) else list(extra or [])
        super().__init__(inner, validate=[rule, *extra], **kwargs)
        self.max_items = max_items

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, (list, tuple)) and len(value) > self.max_items:
            raise ValidationError(f"at most {self.max_items} items (got {len(value)})")
        return super()._deserialize(value, attr, data, **kwargs)


def text_problem(value: str) -> str | None:
    """Why a string cannot be stored or shown, or None. Applies to every string we keep."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid UTF-8 text (a lone surrogate such as \\ud800 is not)"
    if "\x00" in value:
        return "must not contain NUL (U+0000)"
    return None


class Text(fields.String):
    """A string that can be stored: valid UTF-8 without lone surrogates, no NUL."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        out = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(out)
        if problem:
            raise ValidationError(problem)
        return out


def cells(value: str) -> int:
    """Display length: grapheme clusters, East Asian wide ones counting 2 (see TITLE_CELLS)."""
    return sum(2 if unicodedata.east_asian_width(c[0]) in ("W", "F") else 1 for c in graphemes(value))


class DisplayText(Text):
    """A title or tagline that the renderer will set: no control characters, no bidi controls,
    at most `max_cells` cells (80 Latin clusters = 40 CJK ones for a title)."""

    def __init__(self, *, max_cells: int, max_chars: int | None = None, **kwargs: Any) -> None:
        """`max_chars`: code points, for the column it is stored in (default 4 per cell)."""
        max_chars = min(max_chars or max_cells * CODE_POINTS_PER_CELL, max_cells * CODE_POINTS_PER_CELL)
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {**kwargs["metadata"], "description": (
            f"at most {max_cells} cells: a grapheme cluster is 1 cell, an East Asian wide one (CJK, "
            f"kana, Hangul) 2; no control characters; no bidi controls U+202A-U+202E, U+2066-U+2069. "
            + kwargs["metadata"].get("description", "")).strip()}
        super().__init__(validate=validate.Length(min=1, max=max_chars), **kwargs)
        self.max_cells = max_cells
        self.max_chars = max_chars

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        out = super()._deserialize(value, attr, data, **kwargs)
        if len(out) > self.max_chars:  # before counting clusters: a megabyte costs one len()
            raise ValidationError(f"longer than {self.max_chars} code points (text_length rule)")
        bidi = sorted({f"U+{ord(c):04X}" for c in out if c in BIDI_CONTROLS})
        if bidi:
            raise ValidationError(f"must not contain bidi control characters ({', '.join(bidi)}): they "
                                  f"reorder what is shown (bidi_control rule)")
        if any(unicodedata.category(c) == "Cc" for c in out):
            raise ValidationError("must not contain control characters such as tab or newline "
                                  "(control_character rule)")
        n = cells(out)
        if n > self.max_cells:
            raise ValidationError(f"{n} cells is longer than {self.max_cells}: a cluster is 1 cell, a CJK one "
                                  f"2 (text_length rule)")
        return out


# --- schemas -------------------------------------------------------------------------------------

class ApiSchema(Schema):
    """Base of every JSON input schema: many unknown keys are refused up front, in one line, so
    that 700,000 of them cost one pass rather than 700,000 error entries; a few are reported by
    marshmallow together with the other errors."""

    MAX_LISTED_UNKNOWN = 10

    @pre_load
    def _refuse_unknown(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, dict):
            return data
        known = {f.data_key or name for name, f in self.load_fields.items()}
        unknown = [k for k in data if k not in known]
        if len(unknown) <= self.MAX_LISTED_UNKNOWN:
            return data  # marshmallow reports these along with any other error
        errors: dict[str, list[str]] = {str(k)[:80]: ["Unknown field."] for k in unknown[:self.MAX_LISTED_UNKNOWN]}
        errors["_schema"] = [f"{len(unknown)} unknown fields in all; allowed: {', '.join(sorted(known))}"]
        raise ValidationError(errors)
