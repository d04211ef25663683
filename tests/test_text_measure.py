"""Contrast measured on a grid of the glyph footprint (large text) against all of its pixels:
the reduced measurement must choose the same treatment and so draw the same pixels.

Tolerance: the reported contrast ratios may move by up to 3.5 % (the 5th percentile of a
regular subsample of the footprint, at least legibility.MIN_SAMPLES pixels); the treatment and
every pixel must be identical on these variants. A ratio that close to a ladder threshold could
pick a different step; a sweep of the 19 x 8 matrix from a 2000x3000 key art found none
(largest ratio change 3.1 %)."""
from __future__ import annotations

import numpy as np
import pytest

from app.render.pipeline import render_variant
from app.render.text import legibility
from tests.text_helpers import sample_source, spec_for


def test_sample_index_keeps_small_text_whole_and_grids_large_text():
    small = np.zeros((200, 400), bool)
    small[50:150, 20:380] = True                   # 36,000 px of 20 px text: all kept
    assert len(legibility.sample_index(small, 20)) == int(small.sum())
    big = np.zeros((1200, 1800), bool)
    big[100:1100, 100:1700] = True                 # 1.6 Mpx of 200 px text: a grid
    idx = legibility.sample_index(big, 200)
    assert legibility.MIN_SAMPLES <= len(idx) < big.sum() // 4
    rows, cols = np.unravel_index(idx, big.shape)
    k = int(np.diff(np.unique(cols))[0])
    assert k > 1 and set(np.diff(np.unique(rows))) == {k} and big.ravel()[idx].all()
    assert k <= 200 // 32                            # at least ~4 samples across a stroke


@pytest.mark.parametrize("tag,fmt", [("ar-SA", "poster"), ("hi-IN", "poster"), ("ja-JP", "poster"),
                                     ("ja-JP", "thumbnail"), ("ja-JP", "banner")])
def test_reduced_measurement_draws_the_same_pixels(tag, fmt, monkeypatch):
    src, analysis = sample_source()
    gridded = []
    real = legibility.sample_index

    def spy(sel, size_px, min_samples=None, **kw):
        idx = real(sel, size_px, min_samples, **kw)
        gridded.append(len(idx) < np.count_nonzero(sel))
        return idx

    monkeypatch.setattr(legibility, "sample_index", spy)
    # A title's footprint (the pixels around its glyphs) holds 10,000-40,000 pixels at these
    # sizes: a quarter of MIN_SAMPLES makes every title gridded, so the grid is what is compared.
    monkeypatch.setattr(legibility, "MIN_SAMPLES", legibility.MIN_SAMPLES // 4)
    reduced = render_variant(src, analysis, spec_for(tag, fmt), encodings=())
    assert any(gridded), "the title was measured on all its pixels: this test would compare nothing"
    monkeypatch.setattr(legibility, "MIN_SAMPLES", 10**12)  # every footprint pixel
    full = render_variant(src, analysis, spec_for(tag, fmt), encodings=())
    assert reduced.report["text"]["treatment_levels"] == full.report["text"]["treatment_levels"]
    for a, b in zip(reduced.report["text"]["elements"], full.report["text"]["elements"]):
        if b["contrast"] is not None:
            assert a["contrast"] == pytest.approx(b["contrast"], rel=0.035), (a["role"], a["contrast"], b["contrast"])
    assert np.array_equal(np.asarray(reduced.image), np.asarray(full.image))
