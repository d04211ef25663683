"""The text stage's data: its plain inputs, a laid-out element and the layout that render_text draws."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..geometry import Box
from .fit import Plan
from .shaping import Shaper
from .vertical import VerticalPlan


@dataclass(frozen=True)
class TextInputs:
    """Everything the text stage needs, free of the pipeline's types."""
    title: str
    tagline: str | None
    badge: str | None          # the region's age rating, drawn boxed
    kicker: str | None         # localized copy line next to the badge ("Coming 5 March")
    locale_tag: str
    script: str
    language: str
    rtl: bool
    fonts: dict[str, list[str]]
    title_size: tuple[float, float]
    tagline_size: tuple[float, float]
    badge_size: float
    max_lines: int
    min_text_px: int
    text_color: tuple[int, int, int]
    scrim_color: tuple[int, int, int]
    treatment: str = "scrim"
    contrast_target: float = 4.5
    mirror_rtl: bool = True
    vertical: bool = False
    zone: str | None = None    # a re-render's text zone ("top", ...): tried first, kept unless unsafe


@dataclass
class Element:
    role: str
    text: str
    plan: Plan | VerticalPlan
    box: Box = Box(0, 0, 0, 0)
    align: str = "center"
    vertical: bool = False
    extra: dict = field(default_factory=dict)


@dataclass
class TextLayout:
    zone_name: str
    zone: Box
    elements: list[Element]
    scores: dict
    shaper: Shaper
    missing: list[str]
    requested_zone: str | None = None      # the zone a re-render asked for, whether or not it was kept
    logo: Box | None = None                # where the logo goes with this zone (clear of faces and text)
    protect: tuple[Box, ...] = ()          # faces (padded): no text on them, no treatment darkening them
    cramped: bool = False                  # set in a part under half its band's width or height
    window: Box | None = None              # set by render_text: where the text was measured ...
    art_window: np.ndarray | None = None   # ... and the untreated art there, RGB uint8 (for audits and tests)
