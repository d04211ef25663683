"""The CPU side of a generative expand (app/generate/seam.py): what it keeps and what it blends."""
from __future__ import annotations

import numpy as np
import pytest

from app.generate.seam import finish_canvas, generation_inputs, mirror_window, reflect_index, seam_strips
from app.render.extension_fill import box_distance
from app.render.geometry import Box


@pytest.fixture
def placed() -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, (90, 70, 3), dtype=np.uint8)


@pytest.mark.parametrize("placement", [Box(40, 20, 70, 90), Box(0, 0, 70, 90), Box(130, 30, 70, 90)])
def test_mirror_window_is_numpy_symmetric_padding(placed, placement):
    canvas = (200, 150)
    whole = np.pad(placed, ((placement.y, canvas[1] - placement.bottom), (placement.x, canvas[0] - placement.right),
                            (0, 0)), mode="symmetric")
    for rect in (Box(0, 0, 200, 150), Box(5, 7, 60, 40), Box(150, 100, 50, 50)):
        assert np.array_equal(mirror_window(placed, placement, rect), whole[rect.y:rect.bottom, rect.x:rect.right])
    assert list(reflect_index(np.arange(-3, 7), 3)) == [2, 1, 0, 0, 1, 2, 2, 1, 0, 0]


def test_finish_keeps_the_art_and_feathers_only_the_band(placed):
    canvas, placement = (300, 120), Box(115, 15, 70, 90)
    generated = np.full((120, 300, 3), 200, np.uint8)
    out = finish_canvas(generated.copy(), placed, placement, feather_frac=0.1)
    assert np.array_equal(out[15:105, 115:185], placed), "the art's bytes must be kept exactly"
    width = 12  # 10% of the short side
    dist = box_distance(Box(0, 0, *canvas), placement)
    far = dist >= width
    assert np.array_equal(out[far], generated[far]), "beyond the band the generated pixels stand as they are"
    near = (dist > 0) & (dist < 2)
    seam = np.abs(out[near].astype(int) - 200).mean()
    assert seam > 20, "at the seam the art's reflection dominates, so no hard edge shows"
    # The blend partner is the art reflected: right beside the art's left edge it repeats that edge.
    assert np.abs(out[15:105, 114].astype(int) - placed[:, 0].astype(int)).mean() < 12


def test_strips_cover_every_band_pixel_and_no_art():
    canvas, placement = (400, 300), Box(120, 40, 150, 200)
    covered = np.zeros((300, 400), bool)
    for ctx, band in seam_strips(canvas, placement, 10, 30):
        assert ctx.contains(band)
        covered[band.y:band.bottom, band.x:band.right] = True
    dist = box_distance(Box(0, 0, *canvas), placement)
    assert covered[(dist > 0) & (dist <= 10)].all()
    assert not covered[placement.y:placement.bottom, placement.x:placement.right].any()
    assert seam_strips(canvas, Box(0, 0, 400, 300), 10, 30) == []


def test_generation_mask_covers_all_new_area_once_upscaled(placed):
    canvas, placement, size = (2400, 800), Box(1000, 0, 400, 800), (896, 320)
    art = np.repeat(np.repeat(placed, 9, axis=0)[:800], 6, axis=1)[:, :400]
    init, mask = generation_inputs(np.ascontiguousarray(art), canvas, placement, size)
    assert init.shape == (320, 896, 3) and mask.shape == (320, 896)
    sx = size[0] / canvas[0]
    keep_cols = np.flatnonzero(mask[160] == 0)
    assert keep_cols.size > 0
    # Every kept low-res column lies wholly inside the art, so no new pixel is left ungenerated.
    assert keep_cols.min() / sx >= placement.x and (keep_cols.max() + 1) / sx <= placement.right
