"""The render report as the variant page shows it: every code in the reader's language.

The report stores codes (zone "right", treatment "scrim+shadow", reframe "expand") so it stays
comparable across languages and releases; this module turns them into labelled rows. Unknown
codes are shown as they are rather than hidden.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from .blueprint import bp
from .labels import preflag_labels, side_labels


def role_labels() -> dict[str, str]:
    return {"title": _("Title"), "tagline": _("Tagline"), "badge": _("Rating and copy line")}


def treatment_labels() -> dict[str, str]:
    return {"none": _("None"), "scrim": _("Scrim"), "shadow": _("Shadow"), "plate": _("Plate")}


def override_labels() -> dict[str, str]:
    return {"tagline": _("Tagline"), "crop_anchor": _("Crop anchor"), "text_zone": _("Text zone")}


def treatment(text: dict[str, Any]) -> str:
    """'scrim+shadow' -> 'Scrim + Shadow (78%)': the steps of the ladder the renderer had to climb."""
    labels = treatment_labels()
    name = text.get("treatment") or "none"
    out = " + ".join(labels.get(part, part) for part in name.split("+"))
    scrim = (text.get("treatment_levels") or {}).get("scrim")
    return f"{out} ({round(scrim * 100)}%)" if scrim and name.startswith("scrim") else out


def text_elements(text: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per drawn element: size, ink height, measured contrast against what it needs."""
    labels = role_labels()
    return [{"role": labels.get(e.get("role"), e.get("role")), "size_px": e.get("size_px"),
             "text_height_px": e.get("text_height_px"), "contrast": e.get("contrast"),
             "contrast_required": e.get("contrast_required"), "fits": e.get("fits", True),
             "fonts": sorted({f.get("font") for f in e.get("fonts", []) if f.get("font")})}
            for e in text.get("elements", [])]


def reframe(report: dict[str, Any]) -> str:
    """How the format's frame was made from the key art, by what, and how far it was enlarged
    when that is more than the kit allows (the "upscaled" flag)."""
    rf = report.get("reframe") or {}
    if rf.get("mode") == "expand":
        gen = rf.get("generator") or {}
        out = _("Extended by the generator (%(backend)s, %(share)s%% generated)",
                backend=gen.get("backend") or "?", share=round(100 * (rf.get("generated_fraction") or 0)))
    elif rf.get("mode") == "crop":
        out = _("Cropped from the key art")
    else:
        out = rf.get("mode") or ""
    if rf.get("anchor"):
        out += " · " + _("anchor: %(side)s", side=side_labels().get(rf["anchor"], rf["anchor"]))
    if "upscaled" in (report.get("flags") or []) and report.get("upscale_factor"):
        out += " · " + _("upscaled %(factor)s×", factor=f"{report['upscale_factor']:.1f}")
    return out


def overrides(values: dict[str, Any] | None) -> list[tuple[str, str]]:
    labels, sides = override_labels(), side_labels()
    return [(labels.get(k, k), sides.get(v, v) if k != "tagline" else v) for k, v in (values or {}).items()]


def verdict(report: dict[str, Any]) -> tuple[bool, str, list[str]]:
    """The report in one sentence a marketer reads first: (ready?, headline, what to check).
    "Ready: text legible, faces clear, the text fits" or "Check before approving" with the
    pre-flags in words; the measurements stay one click away."""
    labels = preflag_labels()
    flags = list(dict.fromkeys(report.get("flags") or []))
    text = report.get("text") or {}
    if not flags:
        good = [_("text legible")] if text.get("legible", True) else []
        if report.get("faces_whole", True):
            good.append(_("faces clear"))
        if text.get("fits", True):
            good.append(_("the text fits"))
        return True, _("Ready: %(points)s", points=", ".join(good)), []
    return False, _("Check before approving"), [labels.get(f, f) for f in flags]


@bp.app_context_processor
def _report_helpers() -> dict[str, Any]:
    return {"report_treatment": treatment, "report_text_elements": text_elements, "report_reframe": reframe,
            "report_overrides": overrides, "report_verdict": verdict}
