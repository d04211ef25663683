"""The brand kit as the renderer sees it: palette, fonts per script, logo, margins, text sizes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .localized_copy import system_digits

#: How an expand fills the new area without a model (a brand kit chooses; extension_fill does it):
#: "blur_backdrop" the art blurred and dimmed behind itself, "palette" a gradient of the art's
#: dominant colours, "mirror" the art reflected outwards. A model backend generates instead.
EXTENSION_STYLES = ("blur_backdrop", "palette", "mirror")
DEFAULT_EXTENSION = "blur_backdrop"

DEFAULT_FONTS: dict[str, list[str]] = {
    "Latn": ["Noto Sans:bold"], "Cyrl": ["Noto Sans:bold"], "Grek": ["Noto Sans:bold"],
    "Arab": ["Noto Sans Arabic:bold", "Noto Naskh Arabic:bold"],
    "Hebr": ["Noto Sans Hebrew:bold"], "Deva": ["Noto Sans Devanagari:bold"],
    "Thai": ["Noto Sans Thai:bold", "Noto Sans Thai Looped:bold"],
    "Jpan": ["Noto Sans CJK JP:bold"], "Kore": ["Noto Sans CJK KR:bold"],
    "Hans": ["Noto Sans CJK SC:bold"], "Hant": ["Noto Sans CJK TC:bold"],
}


def _hex(value: str) -> tuple[int, int, int]:
    v = value.lstrip("#")
    if len(v) != 6:
        raise ValueError(f"colour {value!r} is not #rrggbb")
    return (int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16))


def _extension(value: str) -> str:
    if value not in EXTENSION_STYLES:
        raise ValueError(f"reframe.extension {value!r} is not one of {', '.join(EXTENSION_STYLES)}")
    return value


def _fraction(value: Any, key: str, lo: float, hi: float) -> float:
    v = float(value)
    if not lo <= v <= hi:
        raise ValueError(f"{key} {value!r} must lie between {lo:g} and {hi:g}")
    return v


def _treatment(value: str) -> str:
    if value not in ("scrim", "shadow", "plate"):
        raise ValueError(f"legibility.treatment {value!r} is not one of scrim, shadow, plate")
    return value


def _numbering(value: str) -> str:
    """A numbering system name ICU knows as ten decimal digits (ValueError otherwise)."""
    value = str(value)
    system_digits("en-US", value)
    return value


@dataclass(frozen=True)
class KitSpec:
    name: str
    version: int = 1
    text_color: tuple[int, int, int] = (255, 255, 255)
    scrim_color: tuple[int, int, int] = (0, 0, 0)
    fonts: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_FONTS))
    margin: float = 0.06                 # fraction of the shorter side
    title_max_lines: int = 3
    title_size: tuple[float, float] = (0.045, 0.16)  # min/max font size, fraction of sqrt(w * h)
    logo_png: bytes | None = None
    logo_width: float = 0.16             # fraction of canvas width
    mirror_rtl: bool = True
    tagline_size: tuple[float, float] = (0.018, 0.045)  # font size range, fraction of sqrt(w * h)
    badge_size: float = 0.022            # rating badge font size, fraction of sqrt(w * h)
    treatment: str = "scrim"             # first legibility treatment: scrim | shadow | plate
    contrast_target: float = 4.5         # WCAG ratio aimed for behind every text element
    vertical: tuple[str, ...] = ()       # scripts set top-to-bottom on the poster, e.g. ("Jpan",)
    numbering: str = "default"           # digits of taglines and copy: the locale's CLDR default, or "latn", ...
    # How an expand fills the new area without a model: blur_backdrop | palette | mirror.
    extension: str = DEFAULT_EXTENSION
    # Above this share of generated canvas a crop that keeps every face whole (with less
    # headroom) is preferred, and an expand that still generates more is flagged.
    max_generated_share: float = 0.35
    max_upscale: float = 1.5             # output px per source px above which a variant is flagged

    @classmethod
    def from_dict(cls, data: dict[str, Any], logo_png: bytes | None = None) -> "KitSpec":
        palette = data.get("palette", {})
        fonts = dict(DEFAULT_FONTS)
        for script, chain in (data.get("fonts") or {}).items():
            fonts[script] = list(chain) if isinstance(chain, (list, tuple)) else [str(chain)]
        title = data.get("title", {})
        reframe = data.get("reframe") or {}
        if not isinstance(reframe, dict):
            raise ValueError("reframe must be a mapping (extension, max_generated_share, max_upscale)")
        return cls(
            name=str(data["name"]),
            version=int(data.get("version", 1)),
            text_color=_hex(palette.get("text", "#ffffff")),
            scrim_color=_hex(palette.get("scrim", "#000000")),
            fonts=fonts,
            margin=float(data.get("margins", {}).get("safe", 0.06)),
            title_max_lines=int(title.get("max_lines", 3)),
            title_size=(float(title.get("min_size", 0.045)), float(title.get("max_size", 0.16))),
            logo_png=logo_png,
            logo_width=float(data.get("logo", {}).get("width", 0.16)) if isinstance(data.get("logo"), dict) else 0.16,
            mirror_rtl=bool(data.get("mirror_rtl", True)),
            tagline_size=(float(data.get("tagline", {}).get("min_size", 0.018)),
                          float(data.get("tagline", {}).get("max_size", 0.045))),
            badge_size=float(data.get("badge", {}).get("size", 0.022)),
            treatment=_treatment(data.get("legibility", {}).get("treatment", "scrim")),
            contrast_target=float(data.get("legibility", {}).get("contrast", 4.5)),
            vertical=tuple(data.get("vertical", {}).get("poster", ()) or ()),
            numbering=_numbering(data.get("numbering", "default")),
            extension=_extension(reframe.get("extension", DEFAULT_EXTENSION)),
            max_generated_share=_fraction(reframe.get("max_generated_share", 0.35),
                                          "reframe.max_generated_share", 0.0, 1.0),
            max_upscale=_fraction(reframe.get("max_upscale", 1.5), "reframe.max_upscale", 1.0, 100.0),
        )
