"""Text squeezed into a column beside a face takes the expand's slack instead: chelsea's link
card (a cat's face filling a low-res photo) set its Arabic, Japanese and Hindi copy in a ~100 px
column on a plate, while the English one, which did not fit there, had the art moved aside; and
chelsea-poster's wide formats set every locale in a column under half its band beside the cat
while the art sat centred with canvas on both sides."""
from __future__ import annotations

import pytest

from app.render.analyze import analyze
from app.render.formats import FORMATS
from app.render.geometry import Box
from app.render.pipeline import render_variant
from subject_set import key_art_set
from text_helpers import spec_for


def _analysed(name: str):
    art = next(image for n, image, _ in key_art_set() if n == name)
    return art, analyze(art)


@pytest.fixture(scope="module")
def chelsea():
    return _analysed("chelsea")


@pytest.fixture(scope="module")
def chelsea_poster():
    return _analysed("chelsea-poster")


@pytest.mark.parametrize("tag", ["en-US", "ar-SA", "ja-JP", "hi-IN"])
def test_close_up_link_card_gives_every_locale_a_real_column(chelsea, tag):
    art, analysis = chelsea
    fmt = FORMATS["link-card"]
    result = render_variant(art, analysis, spec_for(tag, "link-card"), encodings=())
    report = result.report
    title = Box.from_list(report["text"]["elements"][0]["box"])
    assert title.w >= 0.15 * fmt.width, f"{tag}: a {title.w} px title column"
    placement = Box.from_list(report["reframe"]["placement"])
    assert placement.h == fmt.height, "the art keeps its full height: it moved, it did not shrink"
    assert report["faces_whole"] and not {"text_over_face", "logo_over_face"} & set(report["flags"])


def test_close_up_thumbnail_shrinks_its_art_beside_the_text_not_above_it(chelsea):
    """English does not fit beside chelsea's cat at full size in a 640x360 thumbnail, so the art
    shrinks. A band under it left an island of 346x230 px at the top; a band on the left keeps
    it at 410x273 and the text takes that band. On a square (no side zones) nothing changes."""
    art, analysis = chelsea
    report = render_variant(art, analysis, spec_for("en-US", "thumbnail-small"), encodings=()).report
    placement = Box.from_list(report["reframe"]["placement"])
    assert report["reframe"]["made_room_for_text"] and report["text"]["zone"] == "left"
    assert placement.w * placement.h >= 1.3 * 346 * 230, placement
    assert report["text"]["fits"] and not {"text_over_face", "logo_over_face"} & set(report["flags"])


@pytest.mark.parametrize("tag", ["en-US", "ar-SA", "ja-JP", "hi-IN"])
@pytest.mark.parametrize("fmt_key", ["thumbnail-small", "link-card"])
def test_a_column_under_half_its_band_moves_the_art_to_the_far_edge(chelsea_poster, tag, fmt_key):
    """The centred art left the text a column of about a fifth of the width, the tagline broken
    over two lines; the art moves at its full size to the far edge and the column doubles."""
    art, analysis = chelsea_poster
    fmt = FORMATS[fmt_key]
    report = render_variant(art, analysis, spec_for(tag, fmt_key), encodings=()).report
    placement = Box.from_list(report["reframe"]["placement"])
    assert report["reframe"]["made_room_for_text"] and report["text"]["zone"] == "left"
    assert placement.right == fmt.width and placement.h == fmt.height, placement
    title, tagline = report["text"]["elements"][:2]
    assert Box.from_list(title["box"]).w >= 0.2 * fmt.width, title["box"]
    assert len(tagline["lines"]) == 1, tagline["lines"]
    assert report["faces_whole"] and not {"text_over_face", "logo_over_face"} & set(report["flags"])


@pytest.mark.parametrize("tag", ["en-US", "ar-SA"])
def test_a_band_under_half_its_height_moves_the_art_to_the_top(chelsea, tag):
    """chelsea on a poster: the cat centred left the text a short band under its face (a title of
    about 5 % of the width, 835 px of canvas above holding only the logo); the art moves at its
    full size to the top edge and the text takes the band below."""
    art, analysis = chelsea
    fmt = FORMATS["poster"]
    report = render_variant(art, analysis, spec_for(tag, "poster"), encodings=()).report
    placement = Box.from_list(report["reframe"]["placement"])
    assert report["reframe"]["made_room_for_text"] and report["text"]["zone"] == "bottom"
    assert placement.y == 0 and placement.w == fmt.width, placement
    assert report["text"]["size_px"] >= 0.09 * fmt.width, report["text"]["size_px"]
    assert report["faces_whole"] and not {"text_over_face", "logo_over_face"} & set(report["flags"])
