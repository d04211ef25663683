"""A face the photographer cut stays cut by the output's edge, and a close-up keeps its size
when it makes room for text.

Key art from the evaluation set (subject_set): a face cut by the left, right and top frame, and
a low-resolution cat close-up that fills its frame. Before: the expand centred the art, so a
strip of generated canvas continued each cut face (the reviewer's "smeared half-face"), and the
cat shrank into an island of art in generated canvas (65 % generated) to leave room for text.
"""
from __future__ import annotations

import pytest

from app.render.analyze import analyze
from app.render.geometry import Box
from app.render.pipeline import render_variant
from app.render.canvas_placement import cut_sides, expand_placement, room_placements
from app.render.reframe import plan_reframe
from subject_set import key_art_set
from text_helpers import spec_for


@pytest.fixture(scope="module")
def arts():
    pick = {"astronaut-cut-left", "camera-cut-right", "hopper-cut-top", "chelsea"}
    return {name: (img, analyze(img)) for name, img, _ in key_art_set() if name in pick}


@pytest.mark.parametrize("name,fmt,side", [("astronaut-cut-left", "thumbnail", "left"),
                                           ("camera-cut-right", "banner", "right"),
                                           ("hopper-cut-top", "poster", "top")])
@pytest.mark.parametrize("tag", ["en-US", "ar-SA"])
def test_a_face_cut_by_the_frame_meets_the_canvas_edge(arts, name, fmt, side, tag):
    img, a = arts[name]
    report = render_variant(img, a, spec_for(tag, fmt), encodings=()).report
    assert report["reframe"]["mode"] == "expand"
    x, y, w, h = report["reframe"]["placement"]
    fw, fh = report["size"]
    edge = {"left": x, "right": fw - (x + w), "top": y, "bottom": fh - (y + h)}[side]
    assert edge == 0, report["reframe"]
    assert "generated_touches_face" not in report["flags"]
    assert report["faces_whole"]
    assert report["text"]["face_overlap_px"] == 0


def test_cut_sides_reads_the_frame_not_the_window():
    face_left = Box(0, 100, 80, 90)
    assert cut_sides(Box(0, 0, 300, 500), [face_left], 300, 500) == ("left",)
    # the same face well inside the art: nothing is cut, the placement stays centred
    inside = Box(120, 100, 80, 90)
    assert cut_sides(Box(0, 0, 300, 500), [inside], 300, 500) == ()
    # a face at the window's edge where the window is not at the art's edge is not cut by the frame
    assert cut_sides(Box(50, 0, 250, 500), [Box(50, 100, 80, 90)], 300, 500) == ()
    # cut on both sides of the slack axis: no side wins, the art stays centred
    both = expand_placement(Box(0, 0, 400, 300), (1000, 1000), pin=("top", "bottom"))
    assert both.y == (1000 - both.h) // 2


def test_a_reviewers_anchor_still_wins_over_a_cut_side():
    window = Box(0, 0, 300, 500)
    assert expand_placement(window, (1920, 1080), "right", pin=("left",)).right == 1920
    assert expand_placement(window, (1920, 1080), None, pin=("left",)).x == 0


def test_a_close_up_keeps_its_full_size_when_it_makes_room_for_text(arts):
    img, a = arts["chelsea"]
    for tag in ("en-US", "ar-SA", "ja-JP"):
        report = render_variant(img, a, spec_for(tag, "thumbnail"), encodings=()).report
        x, y, w, h = report["reframe"]["placement"]
        assert (y, h) == (0, 1080), report["reframe"]       # the cat keeps the canvas's height
        assert x + w == 1920 and report["text"]["zone"] == "left"  # the slack lies on the text's side
        assert report["reframe"]["generated_fraction"] < 0.2
        assert report["text"]["face_overlap_px"] == 0 and report["text"]["fits"]
        assert not {"mostly_generated", "generated_touches_face"} & set(report["flags"])


def test_room_placements_try_full_size_against_an_edge_first():
    plan = plan_reframe(451, 300, [Box(86, 0, 346, 300)], 16 / 9)
    tries = room_placements(plan.crop, (1920, 1080), "bottom", plan.pin)
    assert tries[0] == (Box(1920 - 1624, 0, 1624, 1080), None) and tries[1] == (Box(0, 0, 1624, 1080), None)
    assert all(t.area < 1624 * 1080 for t, _ in tries[2:])     # then the shrinking bands
    # on a wide canvas a band across the text's side keeps more art, and asks the text to take it
    bands = [(t, zone) for t, zone in tries[2:]]
    assert bands[0][1] in ("left", "right") and bands[0][0].area > next(t for t, z in bands if z is None).area
    # a side pinned by a cut face is never pulled off its edge
    pinned = room_placements(Box(0, 0, 451, 300), (1920, 1080), "left", ("left",))
    assert all(t.x == 0 for t, _ in pinned[:1]) and Box(296, 0, 1624, 1080) not in [t for t, _ in pinned]
