"""One variant, end to end: reframe -> text layout -> compose -> encode.

`render_variant` is the single entry point used by jobs, the CLI and the benchmark.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from PIL import Image

from .analyze import Analysis
from .compose import gradient_scrim, place_logo
from .encode import Encoded, encode_all
from .formats import Format
from .geometry import Box
from .kit import KitSpec
from .locales import LocaleInfo
from .reframe import apply_reframe, faces_on_canvas, plan_reframe
from .text import draw_block, fit_title


@dataclass(frozen=True)
class VariantSpec:
    format: Format
    locale: LocaleInfo
    title: str
    kit: KitSpec
    rating: str | None = None


@dataclass
class RenderResult:
    image: Image.Image
    encodings: dict[str, Encoded]
    report: dict = field(default_factory=dict)


def safe_area(fmt: Format, margin_frac: float) -> Box:
    m = round(min(fmt.width, fmt.height) * margin_frac)
    left = max(m, round(fmt.width * fmt.safe.left))
    right = max(m, round(fmt.width * fmt.safe.right))
    top = max(m, round(fmt.height * fmt.safe.top))
    bottom = max(m, round(fmt.height * fmt.safe.bottom))
    return Box(left, top, fmt.width - left - right, fmt.height - top - bottom)


def candidate_zones(fmt: Format, safe: Box) -> list[tuple[str, Box]]:
    """Bands where a title may go, in order of preference for the format."""
    band_h = round(safe.h * (0.34 if fmt.aspect < 1.2 else 0.42))
    zones = [("bottom", Box(safe.x, safe.bottom - band_h, safe.w, band_h)),
             ("top", Box(safe.x, safe.y + round(safe.h * 0.12), safe.w, band_h))]
    if fmt.aspect >= 1.5:
        side_w = round(safe.w * 0.42)
        zones.insert(0, ("left", Box(safe.x, safe.y, side_w, safe.h)))
        zones.insert(1, ("right", Box(safe.right - side_w, safe.y, side_w, safe.h)))
    return zones


def choose_zone(zones: list[tuple[str, Box]], faces: list[Box]) -> tuple[str, Box]:
    """The first zone in preference order that touches no face, else the least overlapping."""
    scored = [(sum(z.intersection(f) for f in faces), i, name, z) for i, (name, z) in enumerate(zones)]
    scored.sort(key=lambda t: (t[0] > 0, t[0], t[1]))
    _, _, name, zone = scored[0]
    return name, zone


def render_variant(source: Image.Image, analysis: Analysis, spec: VariantSpec) -> RenderResult:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    fmt = spec.format
    plan = plan_reframe(source.width, source.height, analysis.faces, fmt.aspect)
    canvas, scale, offset = apply_reframe(source, plan, (fmt.width, fmt.height))
    faces = faces_on_canvas(analysis.faces, scale, offset)
    timings["reframe_ms"] = (time.perf_counter() - t0) * 1000

    t1 = time.perf_counter()
    safe = safe_area(fmt, spec.kit.margin)
    zone_name, zone = choose_zone(candidate_zones(fmt, safe), faces)
    block = fit_title(spec.title, spec.locale, spec.kit, zone, fmt.height, fmt.min_text_px)
    if zone_name == "top":  # fit_title bottom-aligns the block; a top band hangs it from its top
        block = replace(block, box=Box(block.box.x, zone.y, block.box.w, block.box.h))
    timings["layout_ms"] = (time.perf_counter() - t1) * 1000

    t2 = time.perf_counter()
    gradient_scrim(canvas, block.box, spec.kit.scrim_color, from_edge=zone_name)
    align = "center"
    if zone_name in ("left", "right"):
        align = zone_name
    draw_block(canvas, block, spec.kit.text_color, spec.locale, align)
    margin = round(min(fmt.width, fmt.height) * spec.kit.margin)
    logo_corner = "top-right" if (spec.locale.rtl and spec.kit.mirror_rtl) else "top-left"
    if zone_name == "top":
        logo_corner = logo_corner.replace("top", "bottom")
    logo_box = place_logo(canvas, spec.kit.logo_png, spec.kit.logo_width, margin, logo_corner)
    timings["compose_ms"] = (time.perf_counter() - t2) * 1000

    t3 = time.perf_counter()
    encodings = encode_all(canvas)
    timings["encode_ms"] = (time.perf_counter() - t3) * 1000

    overlap = sum(block.box.intersection(f) for f in faces)
    report = {
        "format": fmt.key, "locale": spec.locale.tag, "size": [fmt.width, fmt.height],
        "reframe": {"mode": plan.mode, "crop": plan.crop.as_list()},
        "faces": [f.as_list() for f in faces],
        "faces_whole": all(Box(0, 0, fmt.width, fmt.height).contains(f) for f in faces),
        "text": {"zone": zone_name, "box": block.box.as_list(), "lines": list(block.lines),
                 "font": block.font.family, "font_file": block.font.path, "size_px": block.size,
                 "cap_height_px": block.cap_height, "fits": block.fits,
                 "face_overlap_px": overlap},
        "logo": logo_box.as_list() if logo_box else None,
        "timings": {k: round(v, 2) for k, v in timings.items()},
        "flags": ([] if block.fits else ["text_does_not_fit"]) + (["text_over_face"] if overlap else []),
    }
    return RenderResult(canvas, encodings, report)
