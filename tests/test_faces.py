"""The face in a real photograph lies inside every crop of every format."""
from __future__ import annotations

import pytest

from app.render.analyze import analyze
from app.render.formats import FORMATS
from app.render.geometry import Box
from app.render.reframe import plan_reframe


@pytest.fixture(scope="module")
def astronaut_analysis(astronaut):
    result = analyze(astronaut)
    assert len(result.faces) == 1, f"expected the astronaut's one face, got {result.faces}"
    face = result.faces[0]
    # Eileen Collins' face sits around x 160-260, y 70-190 in the 512x512 photograph.
    assert 140 < face.x + face.w / 2 < 280 and 60 < face.y + face.h / 2 < 200, face
    return result


@pytest.mark.parametrize("fmt", list(FORMATS.values()), ids=list(FORMATS))
@pytest.mark.parametrize("canvas", ["square-photo", "poster-2x3", "wide-3x1"])
def test_face_inside_every_crop(astronaut, fmt, canvas):
    from app.render.extension import expand_classical

    if canvas == "square-photo":
        source = astronaut
    elif canvas == "poster-2x3":
        source, _ = expand_classical(astronaut, (1024, 1536))
    else:
        source, _ = expand_classical(astronaut, (1536, 512))
    analysis = analyze(source)
    assert analysis.faces, "the face must be found in the key art"
    plan = plan_reframe(source.width, source.height, analysis.faces, fmt.aspect)
    if plan.mode == "crop":
        crop = plan.crop
        assert abs(crop.w / crop.h - fmt.aspect) < 0.01
        assert Box(0, 0, source.width, source.height).contains(crop)
        for face in analysis.faces:
            assert crop.contains(face), (fmt.key, crop, face)
    else:
        assert plan.mode == "expand"  # whole source kept: every face whole by construction
