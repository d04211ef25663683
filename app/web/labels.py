"""Codes the database and the API keep (states, categories, formats, pre-flags, roles) in the
reader's language, and the matrix's coarser states; registered as template helpers."""
from __future__ import annotations

from typing import Any

from babel import Locale, UnknownLocaleError
from flask_babel import get_locale
from flask_babel import gettext as _

from ..auth import current_user
from ..models import Variant
from .blueprint import bp

#: The matrix shows one state where the database has two: "rendered" and "in_review" differ only
#: in whether a reviewer has opened the variant.
STATE_GROUPS = {"rendered": "to_review", "in_review": "to_review"}
#: Encodings by the names of their file formats, the same in every language.
ENCODING_LABELS = {"jpeg": "JPEG", "webp": "WebP", "avif": "AVIF"}


def category_labels() -> dict[str, str]:
    return {"gesture": _("Gesture or body language"), "religious_symbol": _("Religious or cultural symbol"),
            "colour": _("Colour meaning"), "substances": _("Alcohol, tobacco or drugs"),
            "violence": _("Violence or weapons"), "nudity_attire": _("Nudity or attire"),
            "politics": _("Politics, maps or flags"), "translation": _("Translation"),
            "spelling": _("Spelling or grammar"), "rating_legal": _("Rating or legal line"), "other": _("Other")}


def status_labels() -> dict[str, str]:
    return {"queued": _("Queued"), "rendering": _("Rendering"), "rendered": _("Rendered"),
            "failed": _("Failed"), "in_review": _("In review"), "approved": _("Approved"),
            "changes_requested": _("Changes requested")}


def scope_labels() -> dict[str, str]:
    return {"variant": _("This variant only"), "key_art": _("The key art (all variants built from it)"),
            "localization": _("The localized title (all formats of this locale)")}


def preflag_labels() -> dict[str, str]:
    """Automatic checks from the render report, in the reader's language (unknown codes shown as is)."""
    return {"text_does_not_fit": _("Text does not fit"), "text_over_face": _("Text over a face"),
            "missing_glyph": _("Missing glyph"), "low_contrast": _("Low text contrast"),
            "generated_touches_face": _("Generated area touches a face"),
            "text_over_logo": _("Text over the logo"), "logo_over_face": _("Logo over a face"),
            "upscaled": _("Upscaled from a low-resolution source"), "mostly_generated": _("Mostly generated"),
            "baked_text_covered": _("Text printed in the key art was covered"),
            "baked_text_visible": _("Text printed in the key art is still visible"),
            "text_zone_override_refused": _("Requested text zone not used: it would cover a face, art text or the logo")}


def format_labels() -> dict[str, str]:
    """Format names as people say them, with the aspect ratio; the ids stay in the API."""
    return {"poster": _("Poster 2:3"), "thumbnail": _("Thumbnail 16:9"),
            "thumbnail-small": _("Small thumbnail 16:9"), "square": _("Square 1:1"),
            "portrait": _("Portrait 4:5"), "story": _("Story 9:16"), "banner": _("Banner 3:1"),
            "link-card": _("Link card 1.91:1")}


def side_labels() -> dict[str, str]:
    """Crop anchors and text zones, in the reader's language."""
    return {"center": _("Center"), "left": _("Left"), "right": _("Right"), "top": _("Top"), "bottom": _("Bottom")}


def role_labels() -> dict[str, str]:
    return {"admin": _("Admin"), "marketing": _("Marketing"), "reviewer": _("Reviewer"),
            "integration": _("Integration")}


def fix_labels() -> dict[str, str]:
    """Kinds and states of fix requests (codes in the database), in the reader's language."""
    return {"rerender": _("Re-render"), "remove": _("Remove"), "restyle": _("Restyle"),
            "submitted": _("Submitted"), "recorded": _("Recorded"), "queued": _("Queued"),
            "running": _("Running"), "done": _("Done"), "failed": _("Failed"), "accepted": _("Accepted")}


def fix_reason_labels() -> dict[str, str]:
    return {"flagged": _("Flagged by a reviewer"), "failed": _("The render failed"),
            "override_refused": _("Your text zone was not used")}


def fix_level_labels(v: Variant) -> dict[str, str]:
    """How far a fix on `v` can reach, with how many variants that is."""
    n_locale = sum(1 for x in v.request.variants if x.locale == v.locale)
    return {"variant": _("This variant only"),
            "locale": _("Every format of %(locale)s (%(n)s variants)", locale=v.locale, n=n_locale),
            "request": _("The whole campaign (%(n)s variants)", n=len(v.request.variants))}


def inbox_label() -> str:
    """The first menu entry: what waits for this person, by role."""
    user = current_user()
    return _("Needs my fix") if user is not None and user.role == "marketing" else _("My review queue")


def state_group(status: str) -> str:
    return STATE_GROUPS.get(status, status)


def state_group_labels() -> dict[str, str]:
    return {"queued": _("Queued"), "rendering": _("Rendering"), "to_review": _("To review"),
            "changes_requested": _("Changes requested"), "approved": _("Approved"), "failed": _("Failed")}


def verdict(v: Variant) -> str:
    """One plain word or two for a matrix cell."""
    if v.status == "approved":
        return _("approved")
    if v.status == "changes_requested":
        return _("flagged")
    if v.status == "failed":
        return _("failed")
    if v.status in ("queued", "rendering"):
        return _("not ready yet")
    n = len((v.report or {}).get("flags") or [])
    return _("ready") if n == 0 else _("warnings: %(n)s", n=n)


def locale_name(tag: str) -> str:
    """"ja-JP" as the reader says it ("日本語 (日本)", "Japanese (Japan)")."""
    try:
        return Locale.parse(tag.replace("-", "_")).get_display_name(str(get_locale() or "en")) or tag
    except (ValueError, UnknownLocaleError):
        return tag


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"category_labels": category_labels, "status_labels": status_labels, "scope_labels": scope_labels,
            "preflag_labels": preflag_labels, "side_labels": side_labels, "format_labels": format_labels,
            "role_labels": role_labels, "inbox_label": inbox_label, "fix_labels": fix_labels,
            "state_group": state_group, "state_group_labels": state_group_labels,
            "verdict": verdict, "locale_name": locale_name, "encoding_labels": ENCODING_LABELS}
