"""The one catalog of output formats: size, aspect ratio and the safe area text may use.

Every other part (planning, reframing, layout, validation) reads formats from here,
so adding a format is a one-line change.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Insets:
    """Fractions of the height/width kept clear of text (platform UI, bleed)."""

    top: float = 0.0
    bottom: float = 0.0
    left: float = 0.0
    right: float = 0.0


@dataclass(frozen=True)
class Format:
    key: str
    label: str
    width: int
    height: int
    safe: Insets = Insets()
    #: Smallest legible cap height of the title, in px, for this output size.
    min_text_px: int = 24

    @property
    def aspect(self) -> float:
        return self.width / self.height


FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format("poster", "Poster 2:3", 2000, 3000, Insets(0.04, 0.04, 0.05, 0.05), 60),
        Format("thumbnail", "Thumbnail 16:9", 1920, 1080, Insets(0.05, 0.05, 0.04, 0.04), 40),
        Format("thumbnail-small", "Thumbnail small 16:9", 640, 360, Insets(0.05, 0.05, 0.04, 0.04), 18),
        Format("square", "Square 1:1", 1080, 1080, Insets(0.05, 0.05, 0.05, 0.05), 30),
        Format("portrait", "Portrait 4:5", 1080, 1350, Insets(0.05, 0.05, 0.05, 0.05), 30),
        # Stories: the platform draws its header at the top 14% and reply bar at the bottom 20%.
        Format("story", "Story 9:16", 1080, 1920, Insets(0.14, 0.20, 0.06, 0.06), 36),
        Format("banner", "Banner 3:1", 2400, 800, Insets(0.08, 0.08, 0.04, 0.04), 40),
        Format("link-card", "Link card 1.91:1", 1200, 630, Insets(0.06, 0.06, 0.05, 0.05), 26),
    )
}


def get_format(key: str) -> Format:
    """Look a format up by key; KeyError names the valid keys."""
    try:
        return FORMATS[key]
    except KeyError:
        raise KeyError(f"unknown format {key!r}; known: {', '.join(FORMATS)}") from None


#: Above this enlargement a format's output is visibly soft; preflight warns, the report flags it.
UPSCALE_WARN = 1.5


def upscale_factor(src_w: int, src_h: int, fmt: Format) -> float:
    """How much the source is enlarged to fill `fmt` when cropped to its aspect (the reframe's
    crop path: the largest window at the format's aspect, scaled to the format's size).

    That is max(fmt.width / src_w, fmt.height / src_h); 1.0 or less means no enlargement.
    An expand plan places a smaller window, so this is the worst case for a source size."""
    if src_w <= 0 or src_h <= 0:
        raise ValueError(f"source size must be positive, got {src_w}x{src_h}")
    return max(fmt.width / src_w, fmt.height / src_h)
