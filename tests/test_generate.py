"""The diffusers backend with a tiny random inpainting pipeline, built in code, saved with
save_pretrained and loaded through the production path (get_generator -> from_pretrained)."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from app.generate import ExpandRequest, get_generator
from app.generate.diffusers_backend import DiffusersGenerator
from app.generate.tiny import build_tiny_inpaint_pipeline
from app.render.analyze import analyze
from app.render.formats import FORMATS
from app.render.geometry import Box
from app.render.canvas_placement import expand_placement
from app.render.reframe import placed_window, plan_reframe, reframe_canvas


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return str(build_tiny_inpaint_pipeline(tmp_path_factory.mktemp("tiny-sd") / "model"))


@pytest.fixture(scope="module")
def gen(model_dir) -> DiffusersGenerator:
    g = get_generator(model_dir, "cpu", steps=3, max_batch=4)
    assert isinstance(g, DiffusersGenerator)
    assert get_generator(model_dir, "cpu", steps=3, max_batch=4) is g  # resident: loaded once
    return g


@pytest.fixture(scope="module")
def poster(astronaut) -> Image.Image:
    from app.sample import sample_key_art_jpeg

    return Image.open(io.BytesIO(sample_key_art_jpeg(512, 768))).convert("RGB")


def _outside_identical(out: Image.Image, base: Image.Image, mask: Image.Image) -> None:
    o, b, m = np.asarray(out), np.asarray(base), np.asarray(mask) == 0
    assert m.any()
    assert np.array_equal(o[m], b[m]), "pixels outside the mask changed"


def test_loads_from_directory_with_provenance(gen, model_dir):
    d = gen.describe()
    assert d["backend"] == "diffusers" and d["model_dir"] == model_dir and d["device"] == "cpu"
    assert len(d["weights_sha256"]) == 64 and d["pipeline"] == "StableDiffusionInpaintPipeline"
    assert gen.native == 64 and gen.gen_size((2400, 800)) == (112, 36)


def test_expand_keeps_placed_pixels_byte_identical(gen, astronaut):
    src = astronaut.resize((96, 96))
    out = gen.expand(src, (300, 100), Box(102, 2, 96, 96), prompt="a studio backdrop", seed=7)
    assert out.image.size == (300, 100)
    assert np.array_equal(np.asarray(out.image)[2:98, 102:198], np.asarray(src))
    m = np.asarray(out.mask)
    assert (m[2:98, 102:198] == 0).all() and (m[:, :102] == 255).all() and (m[:2] == 255).all()
    # The new area really was generated (it is neither black nor a copy of the source edge).
    assert np.asarray(out.image)[:, :90].std() > 1.0
    p = out.provenance
    assert p["backend"] == "diffusers" and p["seed"] == 7 and p["steps"] == 3 and p["prompt"] == "a studio backdrop"
    assert p["strength"] == 1.0 and p["weights_sha256"] == gen.fingerprint and p["ms"] > 0


def test_same_seed_same_pixels_other_seed_other_pixels(gen, astronaut):
    src = astronaut.resize((64, 64))
    a = gen.expand(src, (192, 64), Box(64, 0, 64, 64), seed=11).image
    b = gen.expand(src, (192, 64), Box(64, 0, 64, 64), seed=11).image
    c = gen.expand(src, (192, 64), Box(64, 0, 64, 64), seed=12).image
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != c.tobytes()


def test_batch_is_one_forward_pass_and_matches_itself(gen, astronaut, monkeypatch):
    src = astronaut.resize((64, 64))
    reqs = [ExpandRequest(src, (192, 64), Box(64, 0, 64, 64), "", s) for s in (1, 2, 3)]
    calls = []
    real = gen._run
    monkeypatch.setattr(gen, "_run", lambda *a, **k: calls.append(len(a[0])) or real(*a, **k))
    outs = gen.expand_batch(reqs)
    assert calls == [3]
    assert all(o.provenance["batch"] == 3 for o in outs)
    again = gen.expand_batch(reqs)
    assert [o.image.tobytes() for o in outs] == [o.image.tobytes() for o in again]
    for o in outs:
        assert np.array_equal(np.asarray(o.image)[:, 64:128], np.asarray(src))


def test_remove_changes_only_the_mask(gen, astronaut):
    mask = Image.new("L", astronaut.size, 0)
    mask.paste(255, (300, 380, 420, 430))
    out = gen.remove(astronaut, mask, seed=3)
    _outside_identical(out.image, astronaut, mask)
    inside = np.asarray(mask) > 0
    assert not np.array_equal(np.asarray(out.image)[inside], np.asarray(astronaut)[inside])
    assert out.provenance["op"] == "remove"


def test_restyle_runs(gen, astronaut):
    out = gen.restyle(astronaut.resize((128, 128)), "oil painting", strength=0.6, seed=1)
    assert out.image.size == (128, 128) and out.provenance["strength"] == 0.6


def test_banner_from_poster_keeps_every_face_whole(gen, poster):
    """A 2:3 poster with a face to a 3:1 banner: expand, and every face box stays on the kept pixels."""
    analysis = analyze(poster)
    assert analysis.faces
    fmt = FORMATS["banner"]
    plan = plan_reframe(poster.width, poster.height, analysis.faces, fmt.aspect, analysis.saliency)
    assert plan.mode == "expand"
    calls = []

    def expander(image, size, placement):
        out = gen.expand(image, size, placement, seed=5)
        calls.append((image, placement, out))
        return out.image, out.provenance

    framed = reframe_canvas(poster, plan, (fmt.width, fmt.height), expander)
    image, placement, out = calls[0]
    assert placement == expand_placement(plan.crop, (fmt.width, fmt.height))
    assert image.tobytes() == placed_window(poster, plan.crop, placement).tobytes()
    canvas_box = Box(0, 0, fmt.width, fmt.height)
    for face in analysis.faces:
        assert plan.crop.contains(face)
        on_canvas = face.scaled(framed.scale).shifted(framed.offset.x, framed.offset.y)
        assert canvas_box.contains(on_canvas) and placement.contains(on_canvas)
        fx = np.asarray(framed.canvas)[on_canvas.y:on_canvas.bottom, on_canvas.x:on_canvas.right]
        px = np.asarray(image)[on_canvas.y - placement.y:on_canvas.bottom - placement.y,
                               on_canvas.x - placement.x:on_canvas.right - placement.x]
        assert np.array_equal(fx, px), "face pixels must be the source's, not generated"
    assert (np.asarray(out.mask)[placement.y:placement.bottom, placement.x:placement.right] == 0).all()


def test_missing_model_dir_is_a_clear_error(tmp_path):
    from app.generate import GeneratorError

    with pytest.raises(GeneratorError, match="cannot load"):
        DiffusersGenerator(str(tmp_path / "nope"), device="cpu")


def test_compiled_unet_warms_every_shape_once_and_keeps_the_art(model_dir, astronaut):
    """GENERATE_COMPILE on: the UNet is compiled (dynamo with the eager backend here: the same
    whole-graph capture, none of inductor's code generation; inductor on CUDA), warm_up runs
    each (generation size, batch) once, and an expand still keeps the art's bytes."""
    import torch

    g = DiffusersGenerator(model_dir, device="cpu", steps=2, max_batch=2, compile=True, compile_backend="eager")
    assert g.compiled and g.describe()["compiled"] is True
    assert isinstance(g.pipe.unet, torch._dynamo.eval_frame.OptimizedModule)
    done = g.warm_up([(300, 100), (2400, 800), (192, 64)], [1, 2, 1])
    assert [(tuple(d["gen_size"]), d["batch"]) for d in done] == [
        (size, n) for size in sorted({g.gen_size((300, 100)), g.gen_size((192, 64))}) for n in (1, 2)]
    src = astronaut.resize((96, 96))
    out = g.expand(src, (300, 100), Box(102, 2, 96, 96), seed=7)
    assert np.array_equal(np.asarray(out.image)[2:98, 102:198], np.asarray(src))


def test_compile_is_off_on_cpu_by_default(gen):
    assert gen.compiled is False and gen.describe()["compiled"] is False


def test_gpu_worker_warm_up_refuses_unknown_formats(gen):
    from jobs.gpu_worker import warm_up

    class Compiled:
        compiled = True
        calls: list = []

        def warm_up(self, canvases, batches):
            self.calls.append((canvases, batches))
            return []

    fake = Compiled()
    warm_up(fake, {"GENERATE_WARM_FORMATS": "banner, story", "GENERATE_BATCH": 4})
    assert fake.calls == [([(2400, 800), (1080, 1920)], [1, 4])]
    with pytest.raises(SystemExit, match="posterr"):
        warm_up(fake, {"GENERATE_WARM_FORMATS": "posterr", "GENERATE_BATCH": 4})
    warm_up(gen, {"GENERATE_WARM_FORMATS": "posterr", "GENERATE_BATCH": 4})  # not compiled: nothing to warm


def test_generate_compile_setting_is_checked(monkeypatch):
    from app.config import load_config

    monkeypatch.setenv("MARQUEE_GENERATE_COMPILE", "off")
    assert load_config()["GENERATE_COMPILE"] is False
    monkeypatch.setenv("MARQUEE_GENERATE_COMPILE", "sometimes")
    with pytest.raises(ValueError, match="auto, on or off"):
        load_config()
