"""Where marks go: the platform's reserved bands, the rating's glyph order in right-to-left
images, one numbering system per image, and the logo on the text block's side."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytesseract
import pytest
from PIL import Image

from app.render.formats import FORMATS
from app.render.geometry import Box
from app.render.pipeline import render_variant
from text_helpers import kit, sample_source, spec_for


def _reserved_bands(fmt) -> list[Box]:
    """The bands a platform draws over (story header and reply bar), from the format catalog."""
    top, bottom = round(fmt.height * fmt.safe.top), round(fmt.height * fmt.safe.bottom)
    left, right = round(fmt.width * fmt.safe.left), round(fmt.width * fmt.safe.right)
    return [Box(0, 0, fmt.width, top), Box(0, fmt.height - bottom, fmt.width, bottom),
            Box(0, 0, left, fmt.height), Box(fmt.width - right, 0, right, fmt.height)]


@pytest.mark.parametrize("tag", ["en-US", "ar-SA", "ja-JP"])
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_logo_and_text_stay_out_of_reserved_bands(fmt, tag):
    source, analysis = sample_source()
    result = render_variant(source, analysis, spec_for(tag, fmt))
    f = FORMATS[fmt]
    marks = [Box.from_list(e["box"]) for e in result.report["text"]["elements"]]
    marks.append(Box.from_list(result.report["logo"]))
    for band in _reserved_bands(f):
        for m in marks:
            assert m.intersection(band) == 0, (fmt, tag, m, band)


def _read_rating(img, box: Box) -> str:
    """OCR of the badge's glyphs alone: the outline (the ink touching the box's edges) is dropped."""
    import cv2

    grey = np.asarray(img.crop((box.x, box.y, box.right, box.bottom)).convert("L"))
    ink = (grey > 128) if grey.mean() < 128 else (grey < 128)  # text is the minority tone
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    h, w = ink.shape
    glyphs = np.zeros_like(ink)
    for i in range(1, n):
        x, y, bw, bh, _ = stats[i]
        if x > 1 and y > 1 and x + bw < w - 1 and y + bh < h - 1:
            glyphs |= labels == i
    page = Image.fromarray(np.where(glyphs, 0, 255).astype(np.uint8))
    page = page.resize((w * 3, h * 3), Image.Resampling.NEAREST)
    page = Image.fromarray(np.pad(np.asarray(page), 3 * h, constant_values=255))
    return pytesseract.image_to_string(page, config="--psm 7 -c tessedit_char_whitelist=0123456789+").strip()


@pytest.mark.parametrize("tag", ["ar-SA", "he-IL"])
@pytest.mark.parametrize("fmt", ["poster", "thumbnail", "square"])
def test_rating_reads_12_plus_in_right_to_left_images(fmt, tag):
    """Read from the pixels: the badge alone (no copy line beside it) must OCR as "12+"."""
    source, analysis = sample_source()
    spec = replace(spec_for(tag, fmt), rating="12+", kicker=None)
    result = render_variant(source, analysis, spec)
    badge = next(e for e in result.report["text"]["elements"] if e["role"] == "badge")
    assert _read_rating(result.image, Box.from_list(badge["box"])) == "12+"


def _digit_systems(text: str) -> set[str]:
    import unicodedata

    return {unicodedata.name(c).split(" DIGIT")[0] for c in text if c.isdecimal()}


@pytest.mark.parametrize("numbering, expect", [("default", {"ARABIC-INDIC"}), ("latn", {"DIGIT"})])
def test_one_numbering_system_per_image(numbering, expect):
    """ar-SA: the tagline's "400" and the date's day use the same digits, the kit's choice."""
    source, analysis = sample_source()
    spec = replace(spec_for("ar-SA", "poster", kit_spec=kit(numbering=numbering)), rating=None)
    result = render_variant(source, analysis, spec)
    copy = "".join(e["text"] for e in result.report["text"]["elements"] if e["role"] != "title")
    assert any(c.isdecimal() for c in copy)
    systems = {"DIGIT" if s.startswith("DIGIT") else s for s in _digit_systems(copy)}
    assert systems == expect, copy


def test_unknown_numbering_system_is_refused():
    with pytest.raises(ValueError, match="numbering system"):
        kit(numbering="klingon")


@pytest.mark.parametrize("tag", ["en-US", "ar-SA"])
@pytest.mark.parametrize("fmt", ["thumbnail", "banner", "link-card", "thumbnail-small"])
def test_logo_sits_on_the_text_blocks_side_in_wide_formats(fmt, tag):
    source, analysis = sample_source()
    result = render_variant(source, analysis, spec_for(tag, fmt))
    f = FORMATS[fmt]
    zone = result.report["text"]["zone"]
    logo = Box.from_list(result.report["logo"])
    logo_side = "left" if logo.x + logo.w / 2 < f.width / 2 else "right"
    if zone in ("left", "right"):
        assert logo_side == zone
    else:  # a band: the logo sits on the reading-start side
        assert logo_side == ("right" if tag == "ar-SA" else "left")


def test_logo_keeps_off_the_head_above_a_face():
    """A face detector's box ends at the brow: a logo clear of the padded face box still sat on
    the hair or a cap above it. The logo takes the other corner off the text's band when that one
    is clear of the head; when both are on heads it moves along their edge to the place farthest
    from every head (group-wide's banner: into the sky between two people, not onto Hopper's
    cap); when the heads leave no such place it keeps the first corner clear of the faces rather
    than move into the text's band (which would cost the title its room)."""
    from app.render.safe import logo_at, logo_for_zone, padded_faces, padded_heads, safe_area

    fmt, k = FORMATS["poster"], kit()
    safe = safe_area(fmt, k.margin)
    top_left, top_right = logo_at(k, fmt, safe, "top-left"), logo_at(k, fmt, safe, "top-right")
    # a face just below the top-left logo: its padded box is clear, the head above it is not
    face = Box(top_left.x, top_left.bottom + 120, 400, 400)   # padding 80 px, head 200 px
    assert not any(top_left.intersection(f) for f in padded_faces([face]))
    assert any(top_left.intersection(f) for f in padded_heads([face]))
    assert logo_for_zone(k, fmt, safe, "bottom", False, [face]) == top_right
    # a second head under the top-right corner too: the logo goes between them, on the same edge,
    # as far from both heads as it can be (in the middle of the gap, give or take a step)
    other = Box(top_right.right - 400, top_right.bottom + 120, 400, 400)
    between = logo_for_zone(k, fmt, safe, "bottom", False, [face, other])
    heads = padded_heads([face, other])
    assert (between.y, between.w, between.h) == (top_left.y, top_left.w, top_left.h)
    assert not any(between.intersection(h) for h in heads)
    gap_left, gap_right = between.x - heads[0].right, heads[1].x - between.right
    assert gap_left > 0 and gap_right > 0 and abs(gap_left - gap_right) <= (top_right.x - top_left.x) / 16
    # heads along the whole top edge: the first corner clear of the faces, still at the top
    crowd = [Box(x, top_left.bottom + 120, 400, 400) for x in range(top_left.x, top_right.right, 420)]
    assert logo_for_zone(k, fmt, safe, "bottom", False, crowd) in (top_left, top_right)
    assert not any(logo_for_zone(k, fmt, safe, "bottom", False, crowd).intersection(f) for f in padded_faces(crowd))
    assert logo_for_zone(k, fmt, safe, "bottom", False, []) == top_left


def test_group_wide_banner_puts_its_logo_between_the_heads_not_on_a_cap():
    """The art that showed it: two people under the two top corners of a banner. The logo sat on
    Hopper's cap (clear of her face box); it now sits in the sky between the two heads."""
    from app.render.analyze import analyze
    from app.render.safe import padded_heads
    from subject_set import key_art_set

    art = next(image for name, image, _ in key_art_set() if name == "group-wide")
    report = render_variant(art, analyze(art), spec_for("en-US", "banner"), encodings=()).report
    logo, faces = Box.from_list(report["logo"]), [Box.from_list(f) for f in report["faces"]]
    assert len(faces) == 2 and "logo_over_face" not in report["flags"]
    assert not any(logo.intersection(h) for h in padded_heads(faces))
    left, right = sorted(faces, key=lambda f: f.x)
    assert left.right < logo.x and logo.right < right.x
