"""The render core's seams: one spec builder, preflight reading the render's text inputs, step
timings, the generator registry, and render not depending on generate."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from app.generate import GeneratorError, backend_names, get_generator, register_backend
from app.generate.classical import ClassicalGenerator
from app.render import localized_copy
from app.render.extension import classical_expander, extend_canvas
from app.render.formats import get_format
from app.render.geometry import Box
from app.render.locales import get_locale
from app.render.preflight import preflight_matrix
from app.render.timings import Timings
from app.render.variant import build_variant_spec, text_inputs
from text_helpers import kit


def test_build_variant_spec_sets_the_copy_line_from_the_release_date():
    loc, fmt = get_locale("de-DE"), get_format("square")
    future = dt.date.today() + dt.timedelta(days=40)
    coming = build_variant_spec(fmt, loc, kit(), "Orbit", rating="12", release_date=future)
    assert coming.kicker == localized_copy.kicker(future, "de-DE") and coming.kicker != localized_copy.now_streaming("de-DE")
    out = build_variant_spec(fmt, loc, kit(), "Orbit", release_date=dt.date(2001, 1, 1), crop_anchor="left",
                             text_zone="top")
    assert out.kicker == localized_copy.now_streaming("de-DE")
    assert (out.crop_anchor, out.text_zone, out.rating) == ("left", "top", None)
    assert build_variant_spec(fmt, loc, kit(), "Orbit").kicker is None


def test_preflight_fits_the_strings_the_render_draws():
    """Preflight and the render read one text_inputs(): digits come out in the kit's numbering."""
    loc = get_locale("ar-SA")
    spec = build_variant_spec(get_format("poster"), loc, kit(), "المدار", tagline="على بعد 400 كم")
    assert "٤٠٠" in text_inputs(spec).tagline
    cell = preflight_matrix({"ar-SA": "المدار"}, [loc], [get_format("poster")], kit(),
                            {"ar-SA": "على بعد 400 كم"})["variants"][0]
    lines = [line for zone in cell["zones"].values() for line in zone["tagline"]["lines"]]
    assert lines and all("400" not in line for line in lines) and any("٤٠٠" in line for line in lines)


def test_timings_count_a_step_towards_every_name_it_is_given():
    t = Timings()
    with t.step("layout_ms", "text_ms"):
        time.sleep(0.002)
    with t.step("text_ms"):
        time.sleep(0.002)
    report = t.report()
    assert list(report) == ["layout_ms", "text_ms"]
    assert report["layout_ms"] >= 2 and report["text_ms"] >= report["layout_ms"] + 2


def test_generator_registry_picks_by_name_and_refuses_unknown_names():
    assert {"classical", "diffusers"} <= set(backend_names())
    assert isinstance(get_generator(None), ClassicalGenerator)
    with pytest.raises(GeneratorError, match="not one of"):
        get_generator(None, backend="no-such-backend")
    with pytest.raises(GeneratorError, match="model directory"):
        get_generator(None, backend="diffusers")
    made = []

    def factory(settings):
        made.append(settings)
        return ClassicalGenerator()

    register_backend("test-fake", factory)
    g = get_generator(None, backend="test-fake", steps=3)
    assert get_generator(None, backend="test-fake", steps=3) is g and len(made) == 1 and made[0].steps == 3


def test_render_expander_and_classical_backend_make_the_same_pixels():
    art = Image.new("RGB", (64, 96), (200, 40, 40))
    placement = Box(48, 0, 64, 96)
    for style in ("blur_backdrop", "palette", "mirror"):
        canvas, prov = classical_expander(style)(art, (160, 96), placement)
        gen = ClassicalGenerator().expand(art, (160, 96), placement, style=style)
        assert canvas.tobytes() == gen.image.tobytes()
        assert {k: v for k, v in prov.items() if k not in ("ms", "at")} == \
            {k: v for k, v in gen.provenance.items() if k not in ("ms", "at")}
        assert canvas.crop((48, 0, 112, 96)).tobytes() == art.tobytes()   # placed pixels untouched
    with pytest.raises(ValueError, match="extension style"):
        extend_canvas(art, (160, 96), placement, "smear")


def test_the_render_core_imports_nothing_from_generate():
    code = ("import sys, app.render.pipeline, app.render.preflight, app.render.extension; "
            "print(sorted(m for m in sys.modules if m.startswith('app.generate')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.strip() == "[]"
