"""Sharing a format's canvas (and what is computed from it alone) across locales changes no pixel."""
from __future__ import annotations

import numpy as np

from app.render import reframe as reframe_mod
from app.render.pipeline import render_variant
from app.render.shared_reframe import SharedReframes
from app.render.text import placement
from app.services import pixel_cache
from tests.text_helpers import sample_source, spec_for

LOCALES = ["en-US", "ar-SA", "ja-JP", "hi-IN"]
FORMATS = ["poster", "banner", "square", "story"]


def _untimed(reframe: dict) -> dict:
    """The reframe report without the generator's wall clock (ms, at), which differs run to run."""
    gen = {k: v for k, v in (reframe.get("generator") or {}).items() if k not in ("ms", "at")}
    return {**reframe, "generator": gen}


def test_shared_and_unshared_renders_are_pixel_identical(monkeypatch):
    """Crops and classical expands are made once per (key art, format), the placement maps once
    per canvas; every locale's pixels and report are those of a render that shares nothing."""
    src, analysis = sample_source()
    shared = SharedReframes(maxsize=len(FORMATS))
    calls, maps = [], []
    real = reframe_mod.reframe_canvas
    monkeypatch.setattr("app.render.shared_reframe.reframe_canvas",
                        lambda *a, **k: calls.append(a[1].mode) or real(*a, **k))
    real_maps = placement.canvas_maps
    monkeypatch.setattr("app.render.shared_reframe.canvas_maps", lambda c: maps.append(c.size) or real_maps(c))
    modes, shared_maps = [], 0
    for tag in LOCALES:        # locale-major: every format's canvas is reused by the next locale
        for fmt in FORMATS:
            alone = render_variant(src, analysis, spec_for(tag, fmt), encodings=())
            before = len(maps)
            both = render_variant(src, analysis, spec_for(tag, fmt), encodings=(),
                                  reframer=shared.reframer("art-1"))
            shared_maps += len(maps) - before
            assert _untimed(both.report["reframe"]) == _untimed(alone.report["reframe"])
            assert both.report["text"] == alone.report["text"]
            assert np.array_equal(np.asarray(both.image), np.asarray(alone.image)), (tag, fmt)
            modes.append(alone.report["reframe"]["mode"])
    assert {"crop", "expand"} <= set(modes), "the sample should exercise both kinds of reframe"
    assert shared.misses == len(FORMATS) and shared.hits == len(modes) - len(FORMATS)
    assert sorted(calls) == sorted(modes[:len(FORMATS)])   # one reframe per (key art, format)
    assert shared_maps == len(FORMATS)                      # one set of maps per shared canvas


def test_a_callers_expander_is_asked_every_time():
    """A caller's expander (a GPU job's canvas, with its provenance) is never shared."""
    src, analysis = sample_source()
    shared = SharedReframes(maxsize=4)
    asked = []

    def expander(image, size, placement):
        asked.append(size)
        return reframe_mod.classical_expander()(image, size, placement)

    for tag in ("en-US", "de-DE"):
        r = render_variant(src, analysis, spec_for(tag, "banner"), encodings=(), expander=expander,
                           reframer=shared.reframer("art-1"))
        assert r.report["reframe"]["mode"] == "expand"
    assert len(asked) == 2 and (shared.hits, shared.misses) == (0, 0)


def test_a_different_key_art_or_window_is_not_shared():
    src, analysis = sample_source()
    shared = SharedReframes(maxsize=4)
    render_variant(src, analysis, spec_for("en-US", "square"), encodings=(), reframer=shared.reframer("a"))
    render_variant(src, analysis, spec_for("en-US", "square"), encodings=(), reframer=shared.reframer("b"))
    assert (shared.hits, shared.misses) == (0, 2)          # another key art: its own canvas
    plain = render_variant(src, analysis, spec_for("de-DE", "square"), encodings=(), reframer=shared.reframer("a"))
    assert (shared.hits, shared.misses) == (1, 2)
    story = render_variant(src, analysis, spec_for("de-DE", "story"), encodings=(), reframer=shared.reframer("a"))
    assert story.report["reframe"]["mode"] == "crop"
    assert story.report["reframe"]["crop"] != plain.report["reframe"]["crop"]
    assert (shared.hits, shared.misses) == (1, 3)          # another window: its own canvas


def test_another_process_takes_the_canvas_from_the_machines_store(monkeypatch, tmp_path):
    """Two render jobs of one format run in two processes (two SharedReframes here) sharing the
    machine's pixel cache: the second makes no canvas (crop or classical expand) and renders the
    same pixels and report as a render that shares nothing."""
    monkeypatch.setattr(pixel_cache, "ROOT", tmp_path)

    class Store:
        def load(self, key, size):
            return pixel_cache.load_framed("blobs", key, size)

        def save(self, key, image, meta):
            pixel_cache.save_framed("blobs", key, image, meta)

    src, analysis = sample_source()
    first, second = SharedReframes(store=Store()), SharedReframes(store=Store())
    made = []
    real = reframe_mod.reframe_canvas
    monkeypatch.setattr("app.render.shared_reframe.reframe_canvas",
                        lambda *a, **k: made.append(a[1].mode) or real(*a, **k))
    for fmt in ("square", "banner"):
        render_variant(src, analysis, spec_for("en-US", fmt), encodings=(), reframer=first.reframer("art-1"))
    assert sorted(made) == ["crop", "expand"] and first.stored == 0
    for fmt in ("square", "banner"):
        alone = render_variant(src, analysis, spec_for("ja-JP", fmt), encodings=())
        got = render_variant(src, analysis, spec_for("ja-JP", fmt), encodings=(), reframer=second.reframer("art-1"))
        assert np.array_equal(np.asarray(got.image), np.asarray(alone.image)), fmt
        assert _untimed(got.report["reframe"]) == _untimed(alone.report["reframe"])
        assert got.report["text"] == alone.report["text"]
    assert second.stored == 2 and len(made) == 2          # the second process made no canvas
    other = SharedReframes(store=Store())
    render_variant(src, analysis, spec_for("en-US", "square"), encodings=(), reframer=other.reframer("art-2"))
    assert other.stored == 0                                # another key art's content key: made anew


def test_baked_in_lettering_is_painted_out_of_the_key_art_once(monkeypatch):
    """The lettering printed in the art is painted out of the key art once (baked_text.cleaned_art),
    before any reframe: every format and locale, shared canvas or not, starts from the same
    cleaned art, with the same pixels and report."""
    from app.render import baked_text
    from app.render.analyze import analyze
    from tests.test_baked_text import art

    printed, _, _ = art()
    analysis = analyze(printed)
    shared = SharedReframes(maxsize=2)
    cleanings = []
    real = baked_text.clean_art
    monkeypatch.setattr(baked_text, "clean_art", lambda *a: cleanings.append(a[1]) or real(*a))
    monkeypatch.setattr(baked_text, "_CLEANED", type(baked_text._CLEANED)())
    for tag in ("en-US", "ar-SA", "ja-JP"):
        for fmt in ("square", "thumbnail"):
            alone = render_variant(printed, analysis, spec_for(tag, fmt), encodings=())
            both = render_variant(printed, analysis, spec_for(tag, fmt), encodings=(),
                                  reframer=shared.reframer("printed"))
            assert both.report["baked_text"] == alone.report["baked_text"] and alone.report["baked_text"]["covered"]
            assert alone.report["baked_text"]["plated"] == []
            assert np.array_equal(np.asarray(both.image), np.asarray(alone.image)), (tag, fmt)
    assert len(cleanings) == 1   # once for the key art, not once per variant


def test_a_mark_is_drawn_once_per_shared_canvas_and_pasted_on_the_other_copies():
    from PIL import ImageDraw

    from app.render.geometry import Box
    from app.render.shared_reframe import drawn_once

    src, analysis = sample_source()
    shared = SharedReframes(maxsize=1)
    reframer = shared.reframer("art-1")
    plan = reframe_mod.plan_reframe(src.width, src.height, analysis.faces, 1.0)
    drawn = []

    def draw(canvas):
        drawn.append(canvas.size)
        ImageDraw.Draw(canvas).ellipse((40, 50, 140, 120), fill=(200, 30, 30))
        return "marked"

    region = Box(30, 40, 130, 100)
    first = reframer(src, plan, (400, 400))
    second = reframer(src, plan, (400, 400))
    assert drawn_once(first, ("dot",), region, draw) == drawn_once(second, ("dot",), region, draw) == "marked"
    assert len(drawn) == 1 and np.array_equal(np.asarray(first.canvas), np.asarray(second.canvas))
    plain = reframe_mod.reframe_canvas(src, plan, (400, 400))
    drawn_once(plain, ("dot",), region, draw)   # an unshared canvas draws for itself
    assert len(drawn) == 2 and np.array_equal(np.asarray(plain.canvas), np.asarray(first.canvas))
