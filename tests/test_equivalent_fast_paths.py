"""The fast paths give exactly what the slow ones they replace gave.

- cmap coverage read with numpy (text.cmap_table) equals fontTools' getBestCmap keys;
- one MSER call on a grey image finds what the grey and inverted calls found together
  (OpenCV makes both passes on 8-bit input), so baked-text detection runs it once;
- contrast measured on three planes of samples equals contrast_of(blend(...)) on pixels;
- the linear-light table agrees with the WCAG formula within its stated bound, and gives the
  WCAG anchors exactly (black on white is 21:1);
- a treatment's alpha evaluated at the contrast samples equals the alpha made over the whole
  text window and then sampled (treatment.Layers), for every layer and near a face;
- a colour painted through a mask (paint.paint: a solid image pasted) equals Pillow's colour fill;
- the keep-off factor made only around the faces equals the whole coarse grid scaled up (to 1e-6).
"""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw

from app.render.fonts import font_file
from app.render.geometry import Box
from app.render.text import legibility
from app.render.text.cmap_table import code_points
from app.render.text.legibility import Step
from app.render.text.treatment import Layers, Points


@pytest.mark.parametrize("pattern", ["Noto Sans:bold", "Noto Sans Arabic:bold", "Noto Sans Devanagari:bold",
                                     "Noto Sans CJK JP:bold"])
def test_cmap_code_points_match_fonttools(pattern):
    ref = font_file(pattern)
    slow = TTFont(ref.path, fontNumber=ref.index, lazy=True)
    expected = frozenset(slow.getBestCmap())
    slow.close()
    fast = TTFont(ref.path, fontNumber=ref.index, lazy=True)
    assert code_points(fast) == expected and len(expected) > 200
    fast.close()


def test_one_mser_call_finds_dark_and_light_regions():
    img = Image.new("L", (400, 200), 128)
    draw = ImageDraw.Draw(img)
    for i in range(6):
        draw.rectangle((20 + 60 * i, 40, 45 + 60 * i, 90), fill=20 if i % 2 else 235)  # dark and light marks
    grey = np.asarray(img)
    mser = cv2.MSER_create(5, 20, 2000)
    one = sorted(map(tuple, mser.detectRegions(grey)[1].tolist()))
    inverted = sorted(map(tuple, mser.detectRegions(255 - grey)[1].tolist()))
    assert one == inverted and len(set(one)) >= 6


def _layers(keep: np.ndarray | None) -> Layers:
    reg, win = Box(0, 300, 800, 500), Box(100, 520, 600, 200)
    mask = np.zeros((win.h, win.w), np.uint8)
    cv2.putText(mask, "TITLE", (20, 150), cv2.FONT_HERSHEY_SIMPLEX, 5, 255, 18)
    # ramps that vary across the glyphs: the block scrim fades in below them, the column fades along x
    groups = [("bottom", Box(120, 420, 560, 60), False), ("left", Box(150, 150, 200, 300), True)]
    return Layers(reg, win, groups, [Box(120, 240, 560, 120), Box(200, 370, 300, 30)], mask, 120, keep)


@pytest.mark.parametrize("near_face", [False, True])
def test_alpha_at_samples_equals_the_window_alpha_sampled(near_face):
    keep = legibility.keep_off([Box(500, 350, 150, 150)], Box(0, 300, 800, 500)) if near_face else None
    layers = _layers(keep)
    flat = np.flatnonzero(legibility.footprint(layers.mask_all, 120))
    assert len(flat) > 1000
    for step in legibility.LADDERS["scrim"] + legibility.LADDERS["shadow"] + legibility.LADDERS["plate"]:
        whole = np.broadcast_to(layers.alpha(step, layers.window()), (layers.win.h, layers.win.w))
        at_samples = np.broadcast_to(layers.alpha(step, layers.samples(flat)), flat.shape)
        assert np.array_equal(at_samples, whole.reshape(-1)[flat]), step
        assert np.array_equal(layers.window_mask(step), (whole * 255 + 0.5).astype(np.uint8)), step


def test_treatment_mask_rounds_the_float_alpha():
    """The 8-bit mask is the float alpha (scrim faded off the face, the window's alpha inside the
    window) rounded once, as when it was made in float over the whole region; outside its box
    that alpha is zero, so pasting over the box alone changes the same pixels."""
    keep = legibility.keep_off([Box(500, 350, 150, 150)], Box(0, 300, 800, 500))
    layers = _layers(keep)
    for step in (Step("scrim+shadow", scrim=0.78, shadow=0.8), Step("scrim", scrim=0.2), Step("plate", plate=0.9)):
        alpha_w = layers.alpha(step, layers.window())
        reg = layers.reg
        whole = np.zeros((reg.h, reg.w), np.float32)
        if step.scrim:
            whole = np.array(layers.scrim(step.scrim, Points(np.arange(reg.h)[:, None], np.arange(reg.w)[None, :]))
                             * keep.full())
        ox, oy = layers.origin
        whole[oy:oy + layers.win.h, ox:ox + layers.win.w] = alpha_w
        expected = (whole * 255 + 0.5).astype(np.uint8)
        mask, box = layers.treatment_mask(step)
        assert np.array_equal(mask, expected[box.y:box.bottom, box.x:box.right]), step
        expected[box.y:box.bottom, box.x:box.right] = 0
        assert not expected.any(), step
        if step.scrim:
            assert box.w == reg.w and box.h < reg.h  # the scrim's rows that show, the region's width


def test_contrast_of_planes_equals_contrast_of_pixels():
    rng = np.random.default_rng(7)
    px = rng.integers(0, 256, (30000, 3)).astype(np.float32)
    alpha = rng.random(30000).astype(np.float32)
    planes = np.ascontiguousarray(px.T)
    for color, text in (((5, 5, 16), (255, 255, 255)), ((250, 250, 250), (16, 16, 16))):
        slow = legibility.contrast_of(legibility.blend(px, alpha, color), text)
        assert legibility.blended_contrast(planes, alpha, color, text) == slow
    assert legibility.blended_contrast(planes, np.zeros(1, np.float32), (0, 0, 0), (255, 255, 255)) == \
        legibility.contrast_of(px, (255, 255, 255))


def test_linear_light_table_matches_the_wcag_formula():
    v = np.linspace(0, 255, 200_001, dtype=np.float64)  # between the levels too (blended pixels)
    c = v / 255
    exact = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    table = legibility._linear_light(v.astype(np.float32))
    assert np.abs(table - exact).max() < 8e-5
    ratio_error = np.abs((table + 0.05) / (exact + 0.05) - 1).max()
    assert ratio_error < 0.0015
    assert legibility.contrast_of(np.array([[0.0, 0.0, 0.0]]), (255, 255, 255)) == pytest.approx(21.0, abs=1e-5)
    assert float(legibility.luminance(np.array([255, 255, 255]))) == pytest.approx(1.0, abs=1e-6)


def test_glyphs_pasted_over_their_ink_boxes_equal_one_paste_over_the_window():
    """render._paste_glyphs walks only the boxes holding ink, joined where they overlap; the
    pixels are those of one paste over the whole window (a mask value of 0 changes nothing)."""
    from app.render.text.render import _paste_glyphs

    rng = np.random.default_rng(3)
    art = Image.fromarray(rng.integers(0, 256, (300, 400, 3), np.uint8))
    win = Box(30, 20, 340, 250)
    masks = []
    for x, y, w, h in ((10, 10, 200, 60), (150, 50, 120, 40), (20, 180, 90, 30)):  # the first two overlap
        m = np.zeros((win.h, win.w), np.uint8)
        m[y:y + h, x:x + w] = rng.integers(0, 256, (h, w), np.uint8)
        masks.append(m)
    mask_all = np.maximum.reduce(masks)
    inked = [Box(*Image.fromarray(m).getbbox()[:2], *np.subtract(Image.fromarray(m).getbbox()[2:],
                                                                 Image.fromarray(m).getbbox()[:2])) for m in masks]
    whole, banded = art.copy(), art.copy()
    whole.paste((250, 240, 10), (win.x, win.y, win.right, win.bottom), Image.fromarray(mask_all, "L"))
    _paste_glyphs(banded, mask_all, win, inked, (250, 240, 10))
    assert np.array_equal(np.asarray(whole), np.asarray(banded))
    assert not np.array_equal(np.asarray(whole), np.asarray(art))


@pytest.mark.parametrize("mode,color", [("RGB", (250, 240, 10)), ("RGB", (0, 0, 0)), ("RGBA", (12, 200, 99, 128))])
def test_painting_through_a_mask_equals_pillows_colour_fill(mode, color):
    """paint.paint pastes an image of the colour (Pillow's faster path) where Pillow's own
    paste(colour, box, mask) fills: every value 0..255 of the mask, over random art, the same."""
    from app.render.paint import paint

    rng = np.random.default_rng(5)
    art = Image.fromarray(rng.integers(0, 256, (256, 300, 4 if mode == "RGBA" else 3), np.uint8), mode)
    mask = np.tile(np.arange(256, dtype=np.uint8)[:, None], (1, 200))   # every alpha, every row
    mask[:, 100:] = rng.integers(0, 256, (256, 100), np.uint8)
    filled, painted = art.copy(), art.copy()
    filled.paste(color, (40, 0, 240, 256), Image.fromarray(mask, "L"))
    paint(painted, color, (40, 0), mask)
    assert np.array_equal(np.asarray(filled), np.asarray(painted))
    assert not np.array_equal(np.asarray(filled), np.asarray(art))


@pytest.mark.parametrize("faces", [[Box(500, 350, 150, 150)], [Box(-40, 310, 120, 200), Box(610, 640, 300, 300)],
                                   [Box(0, 300, 803, 497)]])
def test_keep_off_made_around_the_faces_equals_the_whole_map_scaled_up(faces):
    """legibility.keep_off makes the coarse grid only within reach of the faces, and the full-size
    factor only around them (the grid cells under 1 and one around them); it equals the whole
    coarse grid scaled up by KEEP_SCALE, cut to the region, with the faces at 0: no seam where
    the made box ends, 1 beyond it. Within 1e-6: OpenCV's chamfer distance sums its steps in the
    order it scans, so a cell of a smaller grid may differ from the whole grid's in the last bit
    (1.2e-7), never more (an 8-bit alpha is 1/255)."""
    region = Box(0, 300, 803, 497)   # not a multiple of KEEP_SCALE
    keep = legibility.keep_off(faces, region)
    hit = [b.shifted(-region.x, -region.y) for b in faces]
    small = legibility.keep_grid(hit, region.w, region.h)
    f = legibility.KEEP_SCALE
    whole = cv2.resize(small, (small.shape[1] * f, small.shape[0] * f), interpolation=cv2.INTER_LINEAR)
    whole = whole[:region.h, :region.w].copy()
    for b in hit:
        whole[max(0, b.y):max(0, b.bottom), max(0, b.x):max(0, b.right)] = 0
    got = keep.full()
    assert np.abs(got - whole).max() <= 1e-6
    assert np.array_equal(got == 0, whole == 0)
    if faces == [Box(500, 350, 150, 150)]:
        assert keep.box.area < region.area / 2   # one face: the map is made around it only
