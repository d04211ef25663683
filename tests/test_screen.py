"""CLIP zero-shot pre-screen with a tiny random CLIP built in code and loaded from its directory."""
from __future__ import annotations

import pytest

from app.generate.screen import ClipScreen, get_screen, load_sensitivity, screen_image
from app.generate.tiny import build_tiny_clip


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    return str(build_tiny_clip(tmp_path_factory.mktemp("tiny-clip") / "clip"))


def test_sensitivity_list_covers_every_category():
    sens = load_sensitivity()
    assert {"alcohol", "smoking", "weapons", "religious_symbols", "hand_gestures", "maps_and_flags",
            "attire"} <= set(sens.categories)
    assert "attire" in sens.for_region("SA") and sens.for_region("ZZ") == sens.regions["default"]


def test_no_model_means_not_screened(astronaut):
    r = screen_image(astronaut, "SA", None)
    assert r["status"] == "not screened" and r["pre_flags"] == [] and "MARQUEE_CLIP_DIR" in r["reason"]


def test_scores_attached_as_pre_flags(astronaut, clip_dir):
    sens = load_sensitivity()
    r = screen_image(astronaut, "SA", clip_dir, threshold=0.0)
    assert r["status"] == "screened" and r["model_dir"] == clip_dir and len(r["weights_sha256"]) == 64
    assert set(r["scores"]) == set(sens.for_region("SA"))
    assert all(0.0 < s < 1.0 for s in r["scores"].values())
    # Threshold 0 flags every category; threshold above 1 flags none: flags follow the scores.
    assert r["pre_flags"] == [f"sensitive:{c}" for c in sorted(r["scores"])]
    assert screen_image(astronaut, "SA", clip_dir, threshold=1.01)["pre_flags"] == []
    again = screen_image(astronaut, "SA", clip_dir, threshold=0.0)
    assert again["scores"] == r["scores"]  # deterministic
    assert isinstance(get_screen(clip_dir), ClipScreen)


def test_scores_depend_on_the_image(astronaut, clip_dir):
    from PIL import Image

    a = screen_image(astronaut, "US", clip_dir)["scores"]
    b = screen_image(Image.new("RGB", (64, 64), (0, 90, 0)), "US", clip_dir)["scores"]
    assert a != b
