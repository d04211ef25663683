"""Sharing a format's crop canvas across locales changes no pixel."""
from __future__ import annotations

import numpy as np

from app.render import reframe as reframe_mod
from app.render.pipeline import render_variant
from app.render.shared_reframe import SharedReframes
from tests.text_helpers import sample_source, spec_for

LOCALES = ["en-US", "ar-SA", "ja-JP", "hi-IN"]
FORMATS = ["poster", "banner", "square", "story"]


def _untimed(reframe: dict) -> dict:
    """The reframe report without the generator's wall clock (ms, at), which differs run to run."""
    gen = {k: v for k, v in (reframe.get("generator") or {}).items() if k not in ("ms", "at")}
    return {**reframe, "generator": gen}


def test_shared_and_unshared_renders_are_pixel_identical(monkeypatch):
    src, analysis = sample_source()
    shared = SharedReframes(maxsize=len(FORMATS))
    calls = []
    real = reframe_mod.reframe_canvas
    monkeypatch.setattr("app.render.shared_reframe.reframe_canvas",
                        lambda *a, **k: calls.append(a[1].mode) or real(*a, **k))
    crops = 0
    for tag in LOCALES:        # locale-major: every format's canvas is reused by the next locale
        for fmt in FORMATS:
            alone = render_variant(src, analysis, spec_for(tag, fmt), encodings=())
            both = render_variant(src, analysis, spec_for(tag, fmt), encodings=(),
                                  reframer=shared.reframer("art-1"))
            assert _untimed(both.report["reframe"]) == _untimed(alone.report["reframe"])
            assert both.report["text"] == alone.report["text"]
            assert np.array_equal(np.asarray(both.image), np.asarray(alone.image)), (tag, fmt)
            crops += alone.report["reframe"]["mode"] == "crop"
    per_locale = crops // len(LOCALES)
    assert per_locale > 0, "no crop format in the sample: nothing was shared"
    assert shared.misses == per_locale and shared.hits == crops - per_locale
    assert calls.count("crop") == per_locale            # one resize per (key art, format)


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
