"""Faces are never cut, covered or darkened: the labelled key-art set x 8 formats x 3 locales.

Checked from the boxes and from the pixels: every face (the detector's, people and cats, and the
hand-checked labels of people's faces of at least 2% of the art, mapped through the reframe the
report describes) lies whole on the canvas, no text
element or logo touches it, and its pixels are those of the reframed art (no plate, scrim,
shadow or logo changed them)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from app.render.analyze import analyze
from app.render.formats import FORMATS
from app.render.geometry import Box
from app.render.pipeline import render_variant
from subject_set import TARGET_AREA, subject_set
from text_helpers import spec_for

LOCALES = ["en-US", "ar-SA", "ja-JP"]


@lru_cache(maxsize=1)
def arts_with_faces() -> list:
    return [a for a in subject_set() if a.boxes("face", "animal_face")]


def to_canvas(report: dict, box: tuple[int, int, int, int]) -> Box:
    """A source box on the output canvas, through the report's crop window and placement."""
    cx, cy, cw, ch = report["reframe"]["crop"]
    w, _ = report["size"]
    px, py, pw, _ = report["reframe"]["placement"] or [0, 0, w, 0]
    s = pw / cw
    x, y, bw, bh = box
    x0, y0 = (x - cx) * s + px, (y - cy) * s + py
    x1, y1 = (x + bw - cx) * s + px, (y + bh - cy) * s + py
    return Box(round(x0), round(y0), round(x1 - x0), round(y1 - y0))


def test_the_set_has_people_and_animals():
    arts = arts_with_faces()
    assert len(arts) >= 12
    assert any(a.boxes("animal_face") for a in arts)


@lru_cache(maxsize=None)
def analysis_of(name: str):
    return analyze(next(a for a in arts_with_faces() if a.name == name).image)


@pytest.mark.parametrize("tag", LOCALES)
def test_faces_stay_whole_uncovered_and_untouched(tag):
    failures = [f for art in arts_with_faces() for f in face_failures(art, tag)]
    assert not failures, failures[:20]


def face_failures(art, tag: str) -> list[tuple]:
    """Every way a face of `art` is cut, covered or touched in the 8 formats of one locale."""
    failures = []
    analysis = analysis_of(art.name)
    for fmt in FORMATS:
        result = render_variant(art.image, analysis, spec_for(tag, fmt), encodings=(), keep_art=True)
        report = result.report
        f = FORMATS[fmt]
        canvas = Box(0, 0, f.width, f.height)
        marks = [Box.from_list(e["box"]) for e in report["text"]["elements"]]
        if report["logo"]:
            marks.append(Box.from_list(report["logo"]))
        detected = [Box.from_list(b) for b in report["faces"]]
        # Hand-checked faces the detector is held to (people, >= 2% of the art; recall target
        # 0.95 in test_subjects): a miss there must not become a cut or covered face either.
        labelled = [to_canvas(report, b) for b in art.boxes("face")
                    if b[2] * b[3] >= TARGET_AREA * art.image.width * art.image.height]
        final = np.asarray(result.image, np.int16)
        before = np.asarray(result.art, np.int16)
        for kind, faces in (("detected", detected), ("labelled", labelled)):
            for face in faces:
                on = Box(max(0, face.x), max(0, face.y), 0, 0)
                on = Box(on.x, on.y, min(f.width, face.right) - on.x, min(f.height, face.bottom) - on.y)
                if on.w <= 0 or on.h <= 0:
                    failures.append((art.name, fmt, kind, "face off the canvas", face.as_list()))
                    continue
                # A labelled face may have been cut by the art's own frame; the visible part
                # must still be whole (tolerance: 3% of its size for box rounding).
                tol = round(0.03 * max(face.w, face.h)) + 2
                grown = Box(canvas.x - tol, canvas.y - tol, canvas.w + 2 * tol, canvas.h + 2 * tol)
                if not grown.contains(face):
                    failures.append((art.name, fmt, kind, "cut", face.as_list()))
                hit = [m.as_list() for m in marks if m.intersection(on)]
                if hit:
                    failures.append((art.name, fmt, kind, "covered by", hit))
                diff = np.abs(final[on.y:on.bottom, on.x:on.right] - before[on.y:on.bottom, on.x:on.right])
                if diff.mean() > 1.0:
                    failures.append((art.name, fmt, kind, "pixels changed", round(float(diff.mean()), 2)))
    return failures
