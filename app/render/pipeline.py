"""One variant, end to end, in numbered steps:

1. plan the reframe (crop, or expand with generated canvas);
2. frame the art, plate the baked-in text the crop shows, lay out the text;
3. faces win: when every zone would cover a face, frame again with a band of canvas for the text
   (and when the text fits only in a cramped column beside a face, move the art to give it room);
4. compose: draw the text (legibility treatments included) and paste the logo;
5. encode the delivery files;
6. report what was made, with the flags review reads and the time each step took.

`render_variant` is the single entry point used by jobs, the CLI and the benchmark.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from PIL import Image

from .analyze import Analysis
from .baked_text import cleaned_art, marked_region, remove_lettering
from .compose import cover_with_plates, on_canvas, paste_logo, plate_boxes
from .encode import Encoded, encode_all
from .geometry import Box
from .canvas_placement import room_placements
from .reframe import Expander, Framed, Reframe, faces_on_canvas, generated_touches, reframe_canvas
from .safe import logo_for_zone, safe_area
from .shared_reframe import canvas_maps_for, drawn_once, shared_plan
from .text import TextLayout, layout_text, render_text
from .timings import Timings
from .variant import VariantSpec, text_inputs

__all__ = ["RenderResult", "VariantSpec", "decide_framing", "render_variant", "safe_area", "text_inputs"]


@dataclass
class RenderResult:
    image: Image.Image
    encodings: dict[str, Encoded]
    report: dict = field(default_factory=dict)
    text_layout: object | None = None   # the text stage's TextLayout, for audits and tests
    art: Image.Image | None = None      # the reframed art before any mark, when asked for (keep_art)


@dataclass
class _Stage:
    """Steps 1-3 done: the art reframed, baked-in text plated and the text laid out."""
    plan: Reframe
    framed: Framed
    art: Image.Image | None      # a copy of the reframed art, only when the caller keeps it
    faces: list[Box]
    plates: list[Box]
    baked_visible: list[Box]
    layout: TextLayout
    timings: Timings             # reframe and layout of this framing (the one kept is reported)
    made_room: bool = False
    plated: list[Box] = field(default_factory=list)   # the plates that could not be painted out
    cleared: list[Box] = field(default_factory=list)  # lettering painted out of the key art, on this canvas


ROOMIER = 1.5   # cramped text takes a new framing whose part is at least this many times as wide or tall


def _roomier(part: Box, before: Box) -> bool:
    return part.w >= ROOMIER * before.w or part.h >= ROOMIER * before.h


def _text_on_faces(layout: TextLayout) -> bool:
    return any(e.box.intersection(f) for e in layout.elements for f in layout.protect)


def _frame_and_lay_out(source: Image.Image, analysis: Analysis, spec: VariantSpec, plan: Reframe,
                       expander: Expander | None, reframer: Callable[..., Framed], removed: tuple[Box, ...] = (),
                       placement: Box | None = None, keep_art: bool = False) -> _Stage:
    """Step 2 for one plan (and, in step 3, one placement of the art)."""
    fmt, kit, timings = spec.format, spec.kit, Timings()
    size = (fmt.width, fmt.height)
    with timings.step("reframe_ms"):
        framed = reframer(source, plan, size, expander, kit.extension, placement)
        art = framed.canvas.copy() if keep_art else None
        faces = faces_on_canvas(analysis.faces, framed.scale, framed.offset)
        heads = faces_on_canvas(analysis.head_boxes(), framed.scale, framed.offset)
    with timings.step("layout_ms", "text_ms"):
        safe = safe_area(fmt, kit.margin)
        # Baked-in text was painted out of the art (removed); the rest the crop shows is painted
        # out here, or where its strokes cannot be told from the art, covered by a plate in the
        # kit's colour (never a face).
        left = [b for b in getattr(analysis, "text_boxes", ()) if b not in removed]
        art_text = faces_on_canvas(left, framed.scale, framed.offset)
        plates, baked_visible = plate_boxes(list(art_text), size, list(faces))
        cleared = on_canvas(faces_on_canvas(removed, framed.scale, framed.offset), size)
        plated = drawn_once(framed, (tuple(plates), kit.scrim_color), marked_region(plates, size),
                            lambda canvas: _clear_baked_text(canvas, plates, kit.scrim_color)) if plates else []
        rtl_first = spec.locale.rtl and kit.mirror_rtl
        logos: dict[str, Box | None] = {}

        def logo_for(zone_name: str) -> Box | None:
            if zone_name not in logos:
                logos[zone_name] = logo_for_zone(kit, fmt, safe, zone_name, rtl_first, list(faces), list(heads))
            return logos[zone_name]

        maps = canvas_maps_for(framed, (tuple(plates), kit.scrim_color))  # once per shared canvas
        layout = layout_text(text_inputs(spec), size, safe, list(faces), maps, fmt.key,
                             plates + baked_visible, logo_for=logo_for, heads=list(heads))
    return _Stage(plan, framed, art, faces, plates, baked_visible, layout, timings, plated=plated,
                  cleared=cleared)


def _clear_baked_text(canvas: Image.Image, plates: list[Box], color: tuple[int, int, int]) -> list[Box]:
    """Paint the lettering out of each plate's box; plate the boxes where that cannot be done."""
    plated = remove_lettering(canvas, plates)
    cover_with_plates(canvas, plated, color)
    return plated


def _make_room_for_text(stage: _Stage, source: Image.Image, analysis: Analysis, spec: VariantSpec,
                        expander: Expander | None, reframer: Callable[..., Framed], removed: tuple[Box, ...],
                        keep_art: bool, cramped: bool = False) -> _Stage:
    """Step 3. A face fills the frame: every zone would cover it. Faces win: the art steps aside
    (room_placements: first against one edge at its full size, then shrunk) and the text takes
    the extended canvas on the other side.

    `cramped`: the text fit only in a part under half its band's width or height beside, above
    or below a face (chelsea's Arabic link card: a 100 px column while the English one had the
    art moved aside; chelsea's poster: a title of 117 px under a cat centred in the canvas).
    Then the art only moves at its full size, never shrinks, and the new framing is kept only if
    the text is no longer cramped or has a part at least ROOMIER times as wide or as tall."""
    plan, size, now = stage.plan, (spec.format.width, spec.format.height), stage.framed.placement
    room_plan = Reframe("expand", plan.crop, plan.anchor, plan.room, plan.pin)
    for placement, text_zone in room_placements(plan.crop, size, stage.layout.zone_name, plan.pin):
        if placement == now or (cramped and (placement.w, placement.h) != (now.w, now.h)):
            continue  # the framing that just failed, or one that shrinks the art for cramped text
        roomy = _frame_and_lay_out(source, analysis, spec, room_plan, expander, reframer, removed, placement,
                                   keep_art)
        if (not _text_on_faces(roomy.layout) and text_zone in (None, roomy.layout.zone_name)
                and not (cramped and roomy.layout.cramped and not _roomier(roomy.layout.zone, stage.layout.zone))):
            roomy.made_room = True
            return roomy
    return stage


def _decided(source: Image.Image, analysis: Analysis, spec: VariantSpec, expander: Expander | None,
             reframer: Callable[..., Framed], keep_art: bool) -> tuple[_Stage, Image.Image, tuple[Box, ...]]:
    """Steps 0-3: the framing a render keeps, laid out; with the cleaned key art and what was
    painted out of it."""
    fmt = spec.format
    # 0. the key art without the lettering printed in it (once per key art)
    lettering = tuple(getattr(analysis, "text_boxes", ()))
    source, removed = cleaned_art(source, lettering, tuple(analysis.faces))
    # 1. plan the reframe (once per analysis, aspect and overrides)
    plan = shared_plan(source.width, source.height, analysis.faces, fmt.aspect, analysis.saliency,
                       spec.crop_anchor, spec.kit.max_generated_share, lettering)
    # 2. frame, plate baked-in text, lay out the text
    stage = _frame_and_lay_out(source, analysis, spec, plan, expander, reframer, removed, keep_art=keep_art)
    # 3. faces win over the text's preferred zone; cramped text beside a face takes the slack
    if stage.faces and _text_on_faces(stage.layout):
        stage = _make_room_for_text(stage, source, analysis, spec, expander, reframer, removed, keep_art)
    elif stage.faces and stage.layout.cramped and stage.framed.placement is not None:
        stage = _make_room_for_text(stage, source, analysis, spec, expander, reframer, removed, keep_art,
                                    cramped=True)
    return stage, source, removed


def decide_framing(source: Image.Image, analysis: Analysis, spec: VariantSpec,
                   reframer: Callable[..., Framed] = reframe_canvas) -> tuple[Reframe, Box | None]:
    """The plan and (for an expand) the placement of the art a render with a costly expander
    keeps: decided on the classical extension, so a GPU job can make that one canvas ahead."""
    stage, _, _ = _decided(source, analysis, spec, None, reframer, keep_art=False)
    return stage.plan, stage.framed.placement


def render_variant(source: Image.Image, analysis: Analysis, spec: VariantSpec, *,
                   expander: Expander | None = None, costly_expander: bool = False,
                   encodings: tuple[str, ...] = ("jpeg", "webp"), keep_art: bool = False,
                   reframer: Callable[..., Framed] = reframe_canvas) -> RenderResult:
    """`expander` fills the new canvas of an expand plan (a generator backend or the canvas a
    GPU job already made); without one the classical extension does it in-process. With
    `costly_expander` (a model) the framings tried in steps 2-3 are decided on the classical
    extension (decide_framing) and only the one kept is asked of `expander`: one generation
    per variant, at the placement its GPU job made ahead, instead of one per framing tried.
    `encodings` are the delivery files made (none for a caller that only looks at the pixels);
    `keep_art` keeps a copy of the reframed art before plates, text and logo (to check what
    marks touched); `reframer` (reframe_canvas's signature) may hand out a canvas shared across
    locales."""
    stage, source, removed = _decided(source, analysis, spec, None if costly_expander else expander, reframer,
                                      keep_art)
    if costly_expander and expander is not None and stage.framed.placement is not None:
        made_room = stage.made_room
        stage = _frame_and_lay_out(source, analysis, spec, stage.plan, expander, reframer, removed,
                                   stage.framed.placement, keep_art)
        stage.made_room = made_room
    # 4. compose: text, then logo
    canvas, layout, timings = stage.framed.canvas, stage.layout, stage.timings
    inputs = text_inputs(spec)
    with timings.step("text_ms", "compose_ms"):
        text_report = render_text(canvas, layout, inputs)
    with timings.step("compose_ms"):
        logo_box = paste_logo(canvas, spec.kit.logo_png, layout.logo)
    # 5. encode
    with timings.step("encode_ms"):
        encoded = encode_all(canvas, encodings)
    # 6. report
    report = _variant_report(spec, stage, text_report, logo_box, timings)
    return RenderResult(canvas, encoded, report, text_layout=layout, art=stage.art)


def _reframe_report(stage: _Stage, size: tuple[int, int], touched: list[Box]) -> dict:
    plan, framed = stage.plan, stage.framed
    placement = framed.placement
    return {"mode": plan.mode, "crop": plan.crop.as_list(), "anchor": plan.anchor,
            "placement": placement.as_list() if placement else None,
            "generated_fraction": round(1 - placement.area / (size[0] * size[1]), 4) if placement else 0.0,
            "made_room_for_text": stage.made_room, "generator": framed.provenance or None,
            "faces_touching_generated": len(touched)}


def _text_section(layout: TextLayout, text_report: dict, faces: list[Box]) -> dict:
    elements = text_report["elements"]
    title = elements[0]
    boxes = [Box.from_list(e["box"]) for e in elements]
    return {"zone": layout.zone_name, "zone_requested": layout.requested_zone, "zone_scores": layout.scores,
            "box": title["box"], "lines": title["lines"],
            "font": title["fonts"][0]["font"] if title["fonts"] else None,
            "size_px": title["size_px"], "cap_height_px": title["text_height_px"],
            "fits": all(e["fits"] for e in elements),
            "face_overlap_px": sum(b.intersection(f) for b in boxes for f in faces),
            "overflow_px": sum(e["overflow_px"] or 0 for e in elements), "missing_glyphs": layout.missing,
            **text_report}


def _flags(spec: VariantSpec, stage: _Stage, text: dict, reframe: dict, logo_box: Box | None,
           touched: list[Box]) -> list[str]:
    """What review looks at first; each flag names one thing a reviewer should check."""
    kit, layout, faces = spec.kit, stage.layout, stage.faces
    boxes = [Box.from_list(e["box"]) for e in text["elements"]]
    logo_overlap = sum(b.intersection(logo_box) for b in boxes) if logo_box else 0
    logo_on_face = sum(logo_box.intersection(f) for f in faces) if logo_box else 0
    checks = [
        (not text["fits"], "text_does_not_fit"), (text["face_overlap_px"], "text_over_face"),
        (layout.missing, "missing_glyph"), (logo_overlap, "text_over_logo"), (logo_on_face, "logo_over_face"),
        (stage.plates or stage.cleared, "baked_text_covered"), (stage.baked_visible, "baked_text_visible"),
        (not text["legible"], "low_contrast"), (touched, "generated_touches_face"),
        (reframe["generated_fraction"] > kit.max_generated_share, "mostly_generated"),
        (stage.framed.scale > kit.max_upscale, "upscaled"),
        # the reviewer's zone would have covered a face, art text or logo, or did not fit
        (layout.requested_zone not in (None, layout.zone_name), "text_zone_override_refused"),
    ]
    return [flag for hit, flag in checks if hit]


def _variant_report(spec: VariantSpec, stage: _Stage, text_report: dict, logo_box: Box | None,
                    timings: Timings) -> dict:
    """Step 6: the variant's report (stored with it, read by review, the API and the tests)."""
    fmt, faces = spec.format, stage.faces
    size = (fmt.width, fmt.height)
    touched = generated_touches(faces, stage.framed.placement, size)
    reframe = _reframe_report(stage, size, touched)
    text = _text_section(stage.layout, text_report, faces)
    return {
        "format": fmt.key, "locale": spec.locale.tag, "size": [fmt.width, fmt.height],
        "reframe": reframe,
        "faces": [f.as_list() for f in faces],
        "faces_whole": all(Box(0, 0, fmt.width, fmt.height).contains(f) for f in faces),
        "upscale_factor": round(stage.framed.scale, 3),   # output px per source px of the placed window
        "text": text,
        "logo": logo_box.as_list() if logo_box else None,
        "baked_text": {"covered": [b.as_list() for b in stage.cleared + stage.plates],
                       "plated": [b.as_list() for b in stage.plated],   # the rest were painted out
                       "visible": [b.as_list() for b in stage.baked_visible]},
        "timings": timings.report(),
        "flags": _flags(spec, stage, text, reframe, logo_box, touched),
    }
