"""paste_color gives exactly Pillow's Image.paste(color, box, mask) pixels, for the shapes a text
treatment makes (row and column gradients, a window of varying alpha inside one, sparse glyph
coverage) and for shapes it is not built for (noise, thin runs)."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.render.paste_color import paste_color

RNG = np.random.default_rng(7)
ART = Image.fromarray(RNG.integers(0, 256, (900, 700, 3), dtype=np.uint8))


def _ramp(n: int, top: int) -> np.ndarray:
    return (np.clip(np.linspace(-0.4, 1.0, n), 0, 1) * top).astype(np.uint8)


def _row_gradient() -> np.ndarray:
    return np.broadcast_to(_ramp(600, 199)[:, None], (600, 700)).copy()


def _gradient_with_window() -> np.ndarray:
    m = _row_gradient()
    m[380:560, 60:640] = RNG.integers(0, 256, (180, 580))   # plate / halo / glyphs
    m[100:200, 500:700] = (m[100:200, 500:700] * 0.5).astype(np.uint8)  # faded off a face at the edge
    return m


def _column_gradient() -> np.ndarray:
    m = np.broadcast_to(_ramp(500, 160)[None, :], (900, 500)).copy()
    m[300:420, 350:480] = 255
    return m


def _glyphs() -> np.ndarray:
    m = np.zeros((400, 650), np.uint8)
    m[40:120, 30:600] = (RNG.random((80, 570)) > 0.6) * RNG.integers(1, 256, (80, 570))
    m[200:260, 100:400] = 255
    return m


def _thin_runs() -> np.ndarray:
    return np.broadcast_to(RNG.integers(0, 256, 300, dtype=np.uint8)[:, None], (300, 700)).copy()


CASES = {
    "row gradient": (_row_gradient, (0, 300)),
    "gradient with a varying window": (_gradient_with_window, (0, 300)),
    "column gradient": (_column_gradient, (200, 0)),
    "sparse glyphs": (_glyphs, (20, 450)),
    "one value a row, every row different": (_thin_runs, (0, 100)),
    "noise": (lambda: RNG.integers(0, 256, (400, 400), dtype=np.uint8), (100, 100)),
    "all zero": (lambda: np.zeros((500, 600), np.uint8), (0, 0)),
    "all full": (lambda: np.full((500, 600), 255, np.uint8), (50, 50)),
    "small": (lambda: RNG.integers(0, 256, (60, 80), dtype=np.uint8), (5, 5)),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("color", [(12, 200, 77), (250, 250, 250), (0, 0, 0)])
def test_same_pixels_as_pillow(name, color):
    make, xy = CASES[name]
    mask = make()
    h, w = mask.shape
    expected, got = ART.copy(), ART.copy()
    expected.paste(color, (xy[0], xy[1], xy[0] + w, xy[1] + h), Image.fromarray(mask, "L"))
    paste_color(got, color, xy, mask)
    diff = np.asarray(expected).astype(int) - np.asarray(got).astype(int)
    assert not np.any(diff), f"{name}: {np.count_nonzero(diff)} values differ"
    if mask.any():
        assert not np.array_equal(np.asarray(got), np.asarray(ART))  # it did paste


def test_a_non_contiguous_mask_view_is_pasted_as_pillow_pastes_it():
    mask = _gradient_with_window()[::-1, ::2]
    expected, got = ART.copy(), ART.copy()
    expected.paste((9, 8, 7), (0, 0, mask.shape[1], mask.shape[0]), Image.fromarray(np.ascontiguousarray(mask), "L"))
    paste_color(got, (9, 8, 7), (0, 0), mask)
    assert np.array_equal(np.asarray(expected), np.asarray(got))
