"""A model expander is asked for the one canvas a render keeps: the framings tried on the way
(the first one, then the art moved for the text) are decided on the classical extension. Before,
chelsea's link card asked a model for the plan's placement and then for every placement tried,
each one a generation on the render host, none of them the canvas its GPU job had made."""
from __future__ import annotations

import pytest

from app.render.analyze import analyze
from app.render.formats import FORMATS
from app.render.pipeline import decide_framing, render_variant
from app.render.reframe import classical_expander
from subject_set import key_art_set
from text_helpers import spec_for


@pytest.fixture(scope="module")
def chelsea():
    art = next(image for name, image, _ in key_art_set() if name == "chelsea")
    return art, analyze(art)


class Counting:
    """The classical extension, counting the placements it is asked for."""

    def __init__(self) -> None:
        self.asked: list[list[int]] = []
        self._expand = classical_expander("blur_backdrop")

    def __call__(self, image, size, placement):
        self.asked.append(placement.as_list())
        return self._expand(image, size, placement)


@pytest.mark.parametrize("tag", ["en-US", "ar-SA"])
def test_a_costly_expander_is_asked_once_for_the_framing_kept(chelsea, tag):
    art, analysis = chelsea
    spec = spec_for(tag, "link-card")
    plan, placement = decide_framing(art, analysis, spec)
    plain = render_variant(art, analysis, spec, encodings=())
    assert plain.report["reframe"]["made_room_for_text"]  # the art moved: a framing was tried and dropped
    assert placement.as_list() == plain.report["reframe"]["placement"] and plan.mode == "expand"

    cheap, costly = Counting(), Counting()
    render_variant(art, analysis, spec, expander=cheap, encodings=())
    result = render_variant(art, analysis, spec, expander=costly, costly_expander=True, encodings=())
    assert len(cheap.asked) >= 2                         # a cheap expander is asked for every framing tried
    assert costly.asked == [placement.as_list()]         # a costly one only for the one kept
    report = result.report
    assert report["reframe"]["placement"] == placement.as_list() and report["reframe"]["made_room_for_text"]
    assert report["flags"] == plain.report["flags"] and report["text"]["zone"] == plain.report["text"]["zone"]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_asks_a_costly_expander_at_most_once(chelsea, fmt):
    """Once for an expand kept, never for a crop; the same framing as a render without one."""
    art, analysis = chelsea
    spec = spec_for("ar-SA", fmt)
    plan, placement = decide_framing(art, analysis, spec)
    costly = Counting()
    result = render_variant(art, analysis, spec, expander=costly, costly_expander=True, encodings=())
    assert costly.asked == ([placement.as_list()] if plan.mode == "expand" else [])
    assert result.report["reframe"]["mode"] == plan.mode
    assert result.report["reframe"]["placement"] == (placement.as_list() if placement else None)
