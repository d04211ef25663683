"""What one variant is (format, locale, strings, kit, review overrides) and what its text stage reads.

`build_variant_spec` is the one place a spec is assembled from a title's strings, so the render
job, preflight, the CLI and the scripts derive the copy line the same way; `text_inputs` is the
one translation of a spec into the text stage's inputs, shared by the render and preflight.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import localized_copy
from .formats import Format
from .kit import KitSpec
from .locales import LocaleInfo
from .text import TextInputs


@dataclass(frozen=True)
class VariantSpec:
    format: Format
    locale: LocaleInfo
    title: str
    kit: KitSpec
    rating: str | None = None
    tagline: str | None = None
    kicker: str | None = None    # localized copy line beside the rating ("Coming 5 March")
    crop_anchor: str | None = None   # re-render overrides from review (reframe.ANCHORS) ...
    text_zone: str | None = None     # ... and the text zone to try first


def build_variant_spec(fmt: Format, locale: LocaleInfo, kit: KitSpec, title: str, *, rating: str | None = None,
                       tagline: str | None = None, release_date: dt.date | dt.datetime | None = None,
                       crop_anchor: str | None = None, text_zone: str | None = None) -> VariantSpec:
    """The spec of one cell of a matrix; the copy line ("Coming 5 March", "Now streaming") comes
    from the release date in the locale's region, as every caller used to work out by hand."""
    return VariantSpec(format=fmt, locale=locale, title=title, kit=kit, rating=rating, tagline=tagline,
                       kicker=localized_copy.kicker(release_date, locale.tag),
                       crop_anchor=crop_anchor, text_zone=text_zone)


def text_inputs(spec: VariantSpec) -> TextInputs:
    """The text stage's plain inputs from a variant spec (the render and preflight both read these)."""
    kit, loc, fmt = spec.kit, spec.locale, spec.format

    def numbered(text: str | None) -> str | None:  # one numbering system for all copy in an image
        return localized_copy.renumber(text, loc.tag, kit.numbering) if text else text

    return TextInputs(
        title=spec.title, tagline=numbered(spec.tagline), badge=spec.rating, kicker=numbered(spec.kicker),
        locale_tag=loc.tag, script=loc.script, language=loc.language, rtl=loc.rtl, fonts=kit.fonts,
        title_size=kit.title_size, tagline_size=kit.tagline_size, badge_size=kit.badge_size,
        max_lines=kit.title_max_lines, min_text_px=fmt.min_text_px, text_color=kit.text_color,
        scrim_color=kit.scrim_color, treatment=kit.treatment, contrast_target=kit.contrast_target,
        mirror_rtl=kit.mirror_rtl, vertical=fmt.key == "poster" and loc.script in kit.vertical,
        zone=spec.text_zone)
