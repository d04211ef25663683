"""A turned face's head: BlazeFace boxes a face in profile from the eye to the nose, and text
kept clear of that box alone ran into the back of the head (group-three's banner set "the
Orbit" on the camera operator's hair). The detector's keypoints say how far the face is turned
and which way; the head reaches back and up in proportion, and marks keep clear of it."""
from __future__ import annotations

import pytest

from app.render.analyze import Analysis, analyze
from app.render.analyze.faces import FaceHit
from app.render.analyze.heads import HEAD_BACK, HEAD_UP
from app.render.geometry import Box
from app.render.pipeline import render_variant
from subject_set import key_art_set
from text_helpers import spec_for

#: The camera operator's head in skimage's camera.png, labelled by hand: from the back of his
#: hair to the tip of his nose, from his crown to his chin.
CAMERA_HEAD = (154, 65, 265, 186)
#: How tests/subject_set.py places camera.png in group-three: crop origin, scale, position.
GROUP_THREE_CAMERA = ((100, 40), 1.4, (1250, 260))


def _box(x0: float, y0: float, x1: float, y1: float) -> Box:
    return Box(round(x0), round(y0), round(x1 - x0), round(y1 - y0))


def _camera_head_in_group_three() -> Box:
    (cx, cy), s, (px, py) = GROUP_THREE_CAMERA
    x0, y0, x1, y1 = CAMERA_HEAD
    return _box(px + (x0 - cx) * s, py + (y0 - cy) * s, px + (x1 - cx) * s, py + (y1 - cy) * s)


def _art(name: str):
    return next(image for n, image, _ in key_art_set() if n == name)


def _frontal_points(x0: float, y0: float, w: float) -> tuple[tuple[float, float], ...]:
    """Keypoints of a face seen from the front in a box of side w: eyes 0.44 w apart."""
    return ((x0 + 0.28 * w, y0 + 0.4 * w), (x0 + 0.72 * w, y0 + 0.4 * w), (x0 + 0.5 * w, y0 + 0.6 * w),
            (x0 + 0.5 * w, y0 + 0.8 * w), (x0 + 0.05 * w, y0 + 0.45 * w), (x0 + 0.95 * w, y0 + 0.45 * w))


def _profile_points(x0: float, y0: float, w: float, facing: str) -> tuple[tuple[float, float], ...]:
    """Keypoints of a face in profile: eyes 0.18 w apart, the nose on the side it faces."""
    pts = ((0.55, 0.4), (0.73, 0.4), (0.9, 0.6), (0.8, 0.8), (-0.2, 0.45), (0.45, 0.45))
    if facing == "left":
        pts = tuple((1.0 - x, y) for x, y in pts)
    return tuple((x0 + x * w, y0 + y * w) for x, y in pts)


def test_a_frontal_face_is_its_own_head_a_profile_reaches_back_and_up():
    box = (100.0, 100.0, 200.0, 200.0)
    frontal = FaceHit(box, 0.9, _frontal_points(100, 100, 100))
    assert frontal.turn == 0.0 and frontal.head == box
    assert FaceHit(box, 0.9).head == box  # no keypoints (another detector): the box alone
    right = FaceHit(box, 0.9, _profile_points(100, 100, 100, "right"))
    left = FaceHit(box, 0.9, _profile_points(100, 100, 100, "left"))
    assert right.turn == left.turn == 1.0
    x0, y0, x1, y1 = right.head
    back, up = HEAD_BACK * 100, HEAD_UP * 100
    assert back > 50 and up > 50
    assert (x0, y0, x1, y1) == pytest.approx((100 - back, 100 - up, 200, 200)), "facing right: the skull is to the left"
    assert left.head == pytest.approx((100, 100 - up, 200 + back, 200)), "facing left: the skull is to the right"


def test_heads_of_the_eval_art_profile_covers_the_hair_front_faces_unchanged():
    """group-three: Hopper and the astronaut face the camera (heads = face boxes); the camera
    operator's head covers his hand-labelled skull."""
    analysis = analyze(_art("group-three"))
    assert len(analysis.faces) == len(analysis.heads) == 3
    turned = [(f, h) for f, h in zip(analysis.faces, analysis.heads) if f != h]
    assert len(turned) == 1, analysis.heads
    face, head = turned[0]
    labelled = _camera_head_in_group_three()
    assert head.contains(face)
    assert head.intersection(labelled) >= 0.85 * labelled.area, (head, labelled)
    assert head.area <= 1.5 * labelled.area, "a head much bigger than the skull costs the text its room"
    assert Analysis.from_json(analysis.to_json()) == analysis
    for name in ("astronaut", "hopper-lowres", "group-wide", "astronaut-rot+20"):
        a = analyze(_art(name))
        assert a.heads == a.faces, name


def test_an_analysis_made_before_heads_uses_its_faces():
    old = Analysis.from_json({"version": 4, "width": 10, "height": 10, "faces": [[1, 1, 2, 2]]})
    assert old.heads == () and old.head_boxes() == old.faces


@pytest.mark.parametrize("tag", ["en-US", "ar-SA", "ja-JP", "hi-IN"])
def test_group_three_banner_text_stays_off_the_camera_operators_head(tag):
    art = _art("group-three")
    report = render_variant(art, analyze(art), spec_for(tag, "banner"), encodings=()).report
    reframe = report["reframe"]
    assert reframe["mode"] == "crop", reframe  # so the head maps onto the canvas by the crop alone
    cx, cy, cw, _ = reframe["crop"]
    s = report["size"][0] / cw
    h = _camera_head_in_group_three()
    head = _box((h.x - cx) * s, (h.y - cy) * s, (h.right - cx) * s, (h.bottom - cy) * s)
    on_head = [e["text"] for e in report["text"]["elements"] if Box.from_list(e["box"]).intersection(head)]
    assert not on_head, f"{tag}: {on_head} over the camera operator's head"
    assert report["text"]["fits"] and not {"text_over_face", "logo_over_face"} & set(report["flags"])
