"""One variant, end to end: reframe -> text layout -> compose -> encode.

`render_variant` is the single entry point used by jobs, the CLI and the benchmark.
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from typing import Callable

from PIL import Image

from .analyze import Analysis
from . import copy as marketing_copy
from .compose import cover_with_plates, paste_logo, plate_boxes
from .encode import Encoded, encode_all
from .formats import Format
from .geometry import Box
from .kit import KitSpec
from .locales import LocaleInfo
from .reframe import (ROOM_FOR_TEXT, Expander, Framed, Reframe, faces_on_canvas, generated_touches,
                      make_room_placement, reframe_canvas)
from .shared_reframe import canvas_maps_for, shared_plan
from .text import TextInputs, layout_text, render_text
from .safe import logo_for_zone, safe_area


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


@dataclass
class RenderResult:
    image: Image.Image
    encodings: dict[str, Encoded]
    report: dict = field(default_factory=dict)
    text_layout: object | None = None   # the text stage's TextLayout, for audits and tests
    art: Image.Image | None = None      # the reframed art before any mark, when asked for (keep_art)


def text_inputs(spec: VariantSpec) -> TextInputs:
    """The text stage's plain inputs from a variant spec (shared with preflight)."""
    kit, loc, fmt = spec.kit, spec.locale, spec.format

    def numbered(text: str | None) -> str | None:  # one numbering system for all copy in an image
        return marketing_copy.renumber(text, loc.tag, kit.numbering) if text else text

    return TextInputs(
        title=spec.title, tagline=numbered(spec.tagline), badge=spec.rating, kicker=numbered(spec.kicker),
        locale_tag=loc.tag, script=loc.script, language=loc.language, rtl=loc.rtl, fonts=kit.fonts,
        title_size=kit.title_size, tagline_size=kit.tagline_size, badge_size=kit.badge_size,
        max_lines=kit.title_max_lines, min_text_px=fmt.min_text_px, text_color=kit.text_color,
        scrim_color=kit.scrim_color, treatment=kit.treatment, contrast_target=kit.contrast_target,
        mirror_rtl=kit.mirror_rtl, vertical=fmt.key == "poster" and loc.script in kit.vertical,
        zone=spec.text_zone)


@dataclass
class _Stage:
    """The art reframed, baked-in text plated and the text laid out: what compose draws on."""
    framed: object
    canvas: Image.Image
    art: Image.Image | None      # a copy of the reframed art, only when the caller keeps it
    faces: list[Box]
    plates: list[Box]
    baked_visible: list[Box]
    layout: object
    reframe_ms: float
    layout_ms: float


def _text_on_faces(layout) -> bool:
    return any(e.box.intersection(f) for e in layout.elements for f in layout.protect)


def _frame_and_lay_out(source: Image.Image, analysis: Analysis, spec: VariantSpec, plan: Reframe,
                       expander: Expander | None, reframer: Callable[..., Framed],
                       placement: Box | None = None, keep_art: bool = False) -> _Stage:
    t0 = time.perf_counter()
    fmt = spec.format
    size = (fmt.width, fmt.height)
    framed = reframer(source, plan, size, expander, spec.kit.extension, placement)
    canvas = framed.canvas
    art = canvas.copy() if keep_art else None
    faces = faces_on_canvas(analysis.faces, framed.scale, framed.offset)
    reframe_ms = (time.perf_counter() - t0) * 1000
    t1 = time.perf_counter()
    safe = safe_area(fmt, spec.kit.margin)
    # Baked-in text the crop shows is covered by a plate in the kit's colour (never a face).
    art_text = faces_on_canvas(getattr(analysis, "text_boxes", ()), framed.scale, framed.offset)
    plates, baked_visible = plate_boxes(list(art_text), size, list(faces))
    cover_with_plates(canvas, plates, spec.kit.scrim_color)
    rtl_first = spec.locale.rtl and spec.kit.mirror_rtl
    logos: dict[str, Box | None] = {}

    def logo_for(zone_name: str) -> Box | None:
        if zone_name not in logos:
            logos[zone_name] = logo_for_zone(spec.kit, fmt, safe, zone_name, rtl_first, list(faces))
        return logos[zone_name]

    maps = canvas_maps_for(framed, (tuple(plates), spec.kit.scrim_color))  # once per shared canvas
    layout = layout_text(text_inputs(spec), size, safe, list(faces), maps, fmt.key,
                         plates + baked_visible, logo_for=logo_for)
    return _Stage(framed, canvas, art, faces, plates, baked_visible, layout, reframe_ms,
                  (time.perf_counter() - t1) * 1000)


def render_variant(source: Image.Image, analysis: Analysis, spec: VariantSpec, *,
                   expander: Expander | None = None,
                   encodings: tuple[str, ...] = ("jpeg", "webp"), keep_art: bool = False,
                   reframer: Callable[..., Framed] = reframe_canvas) -> RenderResult:
    """`expander` fills the new canvas of an expand plan (a generator backend or the canvas a
    GPU job already made); without one the classical backend does it in-process. `encodings`
    are the delivery files made (none for a caller that only looks at the pixels); `keep_art`
    keeps a copy of the reframed art before plates, text and logo (to check what marks touched);
    `reframer` (reframe_canvas's signature) may hand out a canvas shared across locales."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    fmt = spec.format
    plan = shared_plan(source.width, source.height, analysis.faces, fmt.aspect, analysis.saliency,
                       spec.crop_anchor, spec.kit.max_generated_share)
    stage = _frame_and_lay_out(source, analysis, spec, plan, expander, reframer, keep_art=keep_art)
    made_room = False
    if stage.faces and _text_on_faces(stage.layout):
        # A face fills the frame: every zone would cover it. Faces win: the art steps aside and
        # the text takes a band of extended canvas on the side the layout preferred.
        room_plan = Reframe("expand", plan.crop, plan.anchor, plan.room)
        for keep in ROOM_FOR_TEXT:
            placement = make_room_placement(plan.crop, (fmt.width, fmt.height), stage.layout.zone_name, keep)
            roomy = _frame_and_lay_out(source, analysis, spec, room_plan, expander, reframer, placement, keep_art)
            if not _text_on_faces(roomy.layout):
                stage, plan, made_room = roomy, room_plan, True
                break
    framed, canvas, faces, layout = stage.framed, stage.canvas, stage.faces, stage.layout
    plates, baked_visible, art = stage.plates, stage.baked_visible, stage.art
    touched = generated_touches(faces, framed.placement, (fmt.width, fmt.height))
    reframe_report = {"mode": plan.mode, "crop": plan.crop.as_list(), "anchor": plan.anchor,
                      "placement": framed.placement.as_list() if framed.placement else None,
                      "generated_fraction": round(1 - framed.placement.area / (fmt.width * fmt.height), 4)
                      if framed.placement else 0.0, "made_room_for_text": made_room,
                      "generator": framed.provenance or None, "faces_touching_generated": len(touched)}
    timings["reframe_ms"] = stage.reframe_ms
    timings["layout_ms"] = stage.layout_ms
    inputs = text_inputs(spec)

    t2 = time.perf_counter()
    text_report = render_text(canvas, layout, inputs)
    timings["text_ms"] = timings["layout_ms"] + (time.perf_counter() - t2) * 1000
    zone_name = layout.zone_name
    logo_box = paste_logo(canvas, spec.kit.logo_png, layout.logo)
    timings["compose_ms"] = (time.perf_counter() - t2) * 1000

    t3 = time.perf_counter()
    encoded = encode_all(canvas, encodings)
    timings["encode_ms"] = (time.perf_counter() - t3) * 1000

    title = text_report["elements"][0]
    boxes = [Box.from_list(e["box"]) for e in text_report["elements"]]
    overlap = sum(b.intersection(f) for b in boxes for f in faces)
    fits = all(e["fits"] for e in text_report["elements"])
    logo_overlap = sum(b.intersection(logo_box) for b in boxes) if logo_box else 0
    logo_on_face = sum(logo_box.intersection(f) for f in faces) if logo_box else 0
    overflow = sum(e["overflow_px"] or 0 for e in text_report["elements"])
    report = {
        "format": fmt.key, "locale": spec.locale.tag, "size": [fmt.width, fmt.height],
        "reframe": reframe_report,
        "faces": [f.as_list() for f in faces],
        "faces_whole": all(Box(0, 0, fmt.width, fmt.height).contains(f) for f in faces),
        "upscale_factor": round(framed.scale, 3),   # output px per source px of the placed window
        "text": {"zone": zone_name, "zone_requested": layout.requested_zone, "zone_scores": layout.scores,
                 "box": title["box"],
                 "lines": title["lines"], "font": title["fonts"][0]["font"] if title["fonts"] else None,
                 "size_px": title["size_px"], "cap_height_px": title["text_height_px"], "fits": fits,
                 "face_overlap_px": overlap, "overflow_px": overflow, "missing_glyphs": layout.missing,
                 **text_report},
        "logo": logo_box.as_list() if logo_box else None,
        "baked_text": {"covered": [b.as_list() for b in plates], "visible": [b.as_list() for b in baked_visible]},
        "timings": {k: round(v, 2) for k, v in timings.items()},
        "flags": ([] if fits else ["text_does_not_fit"]) + (["text_over_face"] if overlap else [])
                 + (["missing_glyph"] if layout.missing else [])
                 + (["text_over_logo"] if logo_overlap else [])
                 + (["logo_over_face"] if logo_on_face else [])
                 + (["baked_text_covered"] if plates else []) + (["baked_text_visible"] if baked_visible else [])
                 + ([] if text_report["legible"] else ["low_contrast"])
                 + (["generated_touches_face"] if touched else [])
                 + (["mostly_generated"] if reframe_report["generated_fraction"] > spec.kit.max_generated_share else [])
                 + (["upscaled"] if framed.scale > spec.kit.max_upscale else [])
                 # the reviewer's zone would have covered a face, art text or logo, or did not fit
                 + (["text_zone_override_refused"] if layout.requested_zone not in (None, zone_name) else []),
    }
    return RenderResult(canvas, encoded, report, text_layout=layout, art=art)
