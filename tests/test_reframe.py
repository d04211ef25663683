"""Reframing: the astronaut's face lies inside every crop of every format, expand plans keep
the source pixels, and analysis (saliency, text, palette) survives its JSON round trip."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from app.render.analyze import ANALYSIS_VERSION, Analysis, analyze
from app.render.formats import FORMATS
from app.render.geometry import Box
from app.render.canvas_placement import expand_placement
from app.render.reframe import generated_touches, placed_window, plan_reframe, reframe_canvas


@pytest.fixture(scope="module")
def poster() -> Image.Image:
    from app.sample import sample_key_art_jpeg

    return Image.open(io.BytesIO(sample_key_art_jpeg(1024, 1536))).convert("RGB")


@pytest.fixture(scope="module")
def sources(astronaut, poster):
    out = {}
    for name, img in (("photo", astronaut), ("poster", poster)):
        a = analyze(img)
        assert len(a.faces) == 1, (name, a.faces)
        out[name] = (img, a)
    return out


@pytest.mark.parametrize("fmt", list(FORMATS.values()), ids=list(FORMATS))
@pytest.mark.parametrize("which", ["photo", "poster"])
def test_face_inside_every_crop_and_canvas(sources, which, fmt):
    img, a = sources[which]
    face = a.faces[0]
    plan = plan_reframe(img.width, img.height, a.faces, fmt.aspect, a.saliency)
    assert Box(0, 0, img.width, img.height).contains(plan.crop)
    assert plan.crop.contains(face), (fmt.key, plan)
    if plan.mode == "crop":
        assert abs(plan.crop.w / plan.crop.h - fmt.aspect) < 0.01
    framed = reframe_canvas(img, plan, (fmt.width, fmt.height))
    assert framed.canvas.size == (fmt.width, fmt.height)
    on_canvas = face.scaled(framed.scale).shifted(framed.offset.x, framed.offset.y)
    assert Box(0, 0, fmt.width, fmt.height).contains(on_canvas)
    if plan.mode == "expand":
        assert framed.placement.contains(on_canvas)
        assert not generated_touches([on_canvas], framed.placement, (fmt.width, fmt.height))


def test_banner_from_poster_expands_and_keeps_headroom(sources):
    img, a = sources["poster"]
    fmt = FORMATS["banner"]
    plan = plan_reframe(img.width, img.height, a.faces, fmt.aspect, a.saliency)
    assert plan.mode == "expand"  # a 3:1 crop of the 2:3 poster would cut the head's headroom
    face = a.faces[0]
    assert plan.crop.y <= face.y - 0.5 * face.h, "headroom above the face is kept"
    placement = expand_placement(plan.crop, (fmt.width, fmt.height))
    framed = reframe_canvas(img, plan, (fmt.width, fmt.height))
    kept = np.asarray(framed.canvas)[placement.y:placement.bottom, placement.x:placement.right]
    assert np.array_equal(kept, np.asarray(placed_window(img, plan.crop, placement)))
    assert framed.provenance["backend"] == "classical"


def test_without_faces_the_crop_follows_saliency():
    from PIL import ImageDraw

    img = Image.new("RGB", (1200, 400), (120, 120, 128))
    ImageDraw.Draw(img).ellipse((960, 160, 1090, 240), fill=(230, 40, 30))  # one object, far right
    a = analyze(img)
    plan = plan_reframe(img.width, img.height, [], 1.0, a.saliency)
    assert plan.crop.contains(Box(960, 160, 130, 80)), plan
    centred = plan_reframe(img.width, img.height, [], 1.0, None)
    assert not centred.crop.contains(Box(960, 160, 130, 80))


def _titled_art(title_x: int) -> Image.Image:
    """A dark 3:1 art with one object at the far right and a white title printed in it."""
    from PIL import ImageDraw, ImageFont

    from app.render.fonts import font_file

    img = Image.new("RGB", (1200, 400), (40, 44, 52))
    draw = ImageDraw.Draw(img)
    draw.ellipse((930, 150, 1090, 270), fill=(200, 110, 60))
    ref = font_file("Noto Sans:bold")
    draw.text((title_x, 40), "THE LONG NIGHT", font=ImageFont.truetype(ref.path, 64, index=ref.index),
              fill=(250, 250, 250))
    return img


@pytest.mark.parametrize("title_x", [40, 300])
def test_lettering_in_the_art_does_not_pull_the_crop(title_x):
    """The title printed in the art is the most salient thing in it, but the render removes or
    plates it: the square crop holds the object, where the lettering's saliency took it to the title."""
    from app.render.pipeline import render_variant
    from text_helpers import spec_for

    img = _titled_art(title_x)
    a = analyze(img)
    assert len(a.text_boxes) == 1
    thing = Box(930, 150, 160, 120)
    assert not plan_reframe(img.width, img.height, [], 1.0, a.saliency).crop.contains(thing)
    assert plan_reframe(img.width, img.height, [], 1.0, a.saliency, lettering=a.text_boxes).crop.contains(thing)
    report = render_variant(img, a, spec_for("en-US", "square"), encodings=()).report
    assert Box.from_list(report["reframe"]["crop"]).contains(thing)


def test_analysis_round_trip_and_version(sources):
    _, a = sources["photo"]
    assert a.version == ANALYSIS_VERSION == 5
    assert a.saliency is not None and a.saliency.array().max() == 255
    assert len(a.palette) == 5 and abs(sum(s for _, s in a.palette) - 1) < 0.01
    assert Analysis.from_json(a.to_json()) == a
    assert analyze(sources["photo"][0]).palette == a.palette  # seeded k-means
    old = Analysis.from_json({"version": 1, "width": 10, "height": 10, "faces": [[1, 1, 2, 2]]})
    assert old.saliency is None and old.text_boxes == ()


def test_baked_in_text_is_found(astronaut):
    from PIL import ImageDraw, ImageFont

    from app.render.fonts import font_file

    img = astronaut.copy()
    font = ImageFont.truetype(font_file("Noto Sans:bold").path, 36)
    ImageDraw.Draw(img).text((40, 300), "OPENING NIGHT", font=font, fill=(255, 255, 255))
    boxes = analyze(img).text_boxes
    drawn = Box(40, 300, 280, 50)
    hit = sum(b.intersection(drawn) for b in boxes)
    assert hit > 0.5 * drawn.area * 0.6, boxes


@pytest.mark.parametrize("fmt_key", ["square", "story", "thumbnail-small"])
def test_crop_anchor_moves_the_window_but_keeps_the_face(sources, fmt_key):
    img, a = sources["photo"]
    fmt = FORMATS[fmt_key]
    face = a.faces[0]
    plans = {anchor: plan_reframe(img.width, img.height, a.faces, fmt.aspect, a.saliency, anchor)
             for anchor in (None, "left", "right", "top", "bottom", "center")}
    for anchor, plan in plans.items():
        assert plan.crop.contains(face), (anchor, plan)
        assert plan.anchor == anchor
    if plans[None].mode != "crop":
        return
    # left/right (or top/bottom) reach the two ends of the range the face allows
    assert plans["left"].crop.x <= plans[None].crop.x <= plans["right"].crop.x
    assert plans["top"].crop.y <= plans[None].crop.y <= plans["bottom"].crop.y
    free_x = plans[None].crop.w < img.width
    free_y = plans[None].crop.h < img.height
    assert (plans["left"].crop.x < plans["right"].crop.x) or not free_x
    assert (plans["top"].crop.y < plans["bottom"].crop.y) or not free_y


def test_crop_anchor_without_faces_goes_to_the_edge():
    img = Image.new("RGB", (1200, 400), (120, 120, 128))
    assert plan_reframe(1200, 400, [], 1.0, None, "left").crop.x == 0
    assert plan_reframe(1200, 400, [], 1.0, None, "right").crop.right == 1200
    assert plan_reframe(1200, 400, [], 1.0, None, "center").crop.x == 400
    with pytest.raises(ValueError, match="crop anchor"):
        plan_reframe(img.width, img.height, [], 1.0, None, "diagonal")


def test_expand_anchor_places_the_art_at_that_side(sources):
    img, a = sources["poster"]
    fmt = FORMATS["banner"]
    left = plan_reframe(img.width, img.height, a.faces, fmt.aspect, a.saliency, "left")
    assert left.mode == "expand"
    framed = reframe_canvas(img, left, (fmt.width, fmt.height))
    assert framed.placement.x == 0
    right = reframe_canvas(img, plan_reframe(img.width, img.height, a.faces, fmt.aspect, a.saliency, "right"),
                           (fmt.width, fmt.height))
    assert right.placement.right == fmt.width


# -- generated share, crop preference, resolution honesty ------------------------------------

def test_crop_with_less_headroom_beats_a_mostly_generated_expand():
    """A 2:3 art with a large face, to a 3:1 banner: the full headroom would need a window that
    leaves 38% of the banner generated; a crop holds the whole face with a fifth of the room."""
    from app.render.reframe import HEADROOM, MIN_ROOM, expand_share

    face = Box(365, 600, 270, 270)
    full = plan_reframe(1000, 1500, [face], 3.0, None, max_generated=0.5)
    assert full.mode == "expand" and full.room == 1.0 and 0.35 < expand_share(full.crop, 3.0) <= 0.5
    plan = plan_reframe(1000, 1500, [face], 3.0, None)          # the default kit threshold, 35%
    assert plan.mode == "crop" and MIN_ROOM <= plan.room < 1.0, plan
    assert plan.crop.contains(face) and abs(plan.crop.w / plan.crop.h - 3.0) < 0.01
    assert face.y - plan.crop.y >= round(MIN_ROOM * HEADROOM * face.h), "some headroom is kept"


def test_without_a_crop_a_smaller_expand_beats_a_mostly_generated_one():
    from app.render.reframe import MIN_ROOM, expand_share

    face = Box(345, 600, 310, 310)   # too tall for any 3:1 crop of the 1000 px wide art with room
    plan = plan_reframe(1000, 1500, [face], 3.0, None)
    assert plan.mode == "expand" and MIN_ROOM < plan.room < 1.0
    assert expand_share(plan.crop, 3.0) <= 0.35 and plan.crop.contains(face)
    # the largest such room: one step more would generate more than 35%
    assert expand_share(plan_reframe(1000, 1500, [face], 3.0, None, max_generated=1.0).crop, 3.0) > 0.35


@pytest.fixture(scope="module")
def two_astronauts(astronaut):
    """Two faces far apart on a 2:1 art: no tall crop holds both."""
    img = Image.new("RGB", (1024, 512))
    img.paste(astronaut, (0, 0))
    img.paste(astronaut, (512, 0))
    a = analyze(img)
    assert len(a.faces) == 2, a.faces
    return img, a


def _render(source, analysis, fmt_key: str, **kit_overrides):
    from text_helpers import kit, spec_for

    from app.render.pipeline import render_variant

    return render_variant(source, analysis, spec_for("en-US", fmt_key, kit(**kit_overrides)))


def test_mostly_generated_story_is_flagged_and_a_kit_may_allow_more(two_astronauts):
    img, a = two_astronauts
    r = _render(img, a, "story")
    rf = r.report["reframe"]
    assert rf["mode"] == "expand" and rf["generated_fraction"] > 0.35
    assert "mostly_generated" in r.report["flags"]
    assert rf["generator"]["style"] == "blur_backdrop" and rf["generator"]["method"] == "blur-backdrop+feather"
    assert r.report["faces_whole"]
    lenient = _render(img, a, "story", reframe={"max_generated_share": 0.7, "extension": "palette"})
    assert "mostly_generated" not in lenient.report["flags"]
    assert lenient.report["reframe"]["generator"]["style"] == "palette"
    p = Box.from_list(rf["placement"])
    kept = np.asarray(r.image)[p.y + 200:p.bottom - 200, p.x:p.right]   # away from text and logo
    same = np.asarray(lenient.image)[p.y + 200:p.bottom - 200, p.x:p.right]
    assert np.array_equal(kept, same), "the art itself is the same whatever the extension style"


@pytest.mark.parametrize("fmt_key,flagged", [("poster", True), ("thumbnail-small", False)])
def test_upscale_factor_is_reported_and_flagged(sources, fmt_key, flagged):
    """The 512 px photo: a poster is ~6x enlarged from it, a small thumbnail 1.25x."""
    img, a = sources["photo"]
    fmt = FORMATS[fmt_key]
    r = _render(img, a, fmt_key)
    plan = plan_reframe(img.width, img.height, a.faces, fmt.aspect, a.saliency)
    framed = reframe_canvas(img, plan, (fmt.width, fmt.height))
    assert r.report["upscale_factor"] == pytest.approx(framed.scale, abs=1e-3)
    assert r.report["upscale_factor"] == pytest.approx(fmt.width / plan.crop.w, abs=1e-3)
    assert ("upscaled" in r.report["flags"]) is flagged
    strict = _render(img, a, fmt_key, reframe={"max_upscale": 1.1})
    assert "upscaled" in strict.report["flags"]


def test_kit_reframe_options_are_checked():
    from app.render.kit import KitSpec

    k = KitSpec.from_dict({"name": "x"})
    assert (k.extension, k.max_generated_share, k.max_upscale) == ("blur_backdrop", 0.35, 1.5)
    k = KitSpec.from_dict({"name": "x", "reframe": {"extension": "mirror", "max_generated_share": 0.5}})
    assert (k.extension, k.max_generated_share) == ("mirror", 0.5)
    for bad, rule in (({"extension": "smear"}, "reframe.extension"), ({"max_generated_share": 1.5}, "max_generated_share"),
                      ({"max_upscale": 0.5}, "max_upscale"), ("blur", "reframe must be a mapping")):
        with pytest.raises(ValueError, match=rule):
            KitSpec.from_dict({"name": "x", "reframe": bad})


def test_reframe_canvas_uses_the_extension_style(sources):
    img, a = sources["poster"]
    fmt = FORMATS["banner"]
    plan = plan_reframe(img.width, img.height, a.faces, fmt.aspect, a.saliency)
    assert plan.mode == "expand"
    for style in ("blur_backdrop", "palette", "mirror"):
        framed = reframe_canvas(img, plan, (fmt.width, fmt.height), extension=style)
        assert framed.provenance["style"] == style


def test_kit_folder_with_a_bad_extension_is_refused_by_name(tmp_path):
    import yaml

    from app.services import ServiceError
    from app.services.brand_kits import read_kit_folder

    folder = tmp_path / "bad-kit"
    folder.mkdir()
    (folder / "kit.yaml").write_text(yaml.safe_dump({"name": "Bad", "reframe": {"extension": "stretch"}}))
    with pytest.raises(ServiceError, match="reframe.extension 'stretch' is not one of blur_backdrop, palette, mirror"):
        read_kit_folder(folder)
    (folder / "kit.yaml").write_text(yaml.safe_dump({"name": "Good", "reframe": {"extension": "palette"}}))
    assert read_kit_folder(folder)[0]["reframe"]["extension"] == "palette"
