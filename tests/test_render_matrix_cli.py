"""`flask render-matrix`: a format's canvas is made once and shared by its locales (the same
pixels as rendering each cell on its own), and derived encodings are written beside the master."""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from app.cli import render_matrix
from app.cli.render_matrix import SampleCopy
from app.render.analyze import analyze
from app.render.decode import decode
from app.render.formats import get_format
from app.render.kit import KitSpec
from app.render.locales import get_locale
from app.render.pipeline import render_variant
from app.render.shared_reframe import SharedReframes
from app.sample import sample_key_art_jpeg
from app.services.brand_kits import read_kit_folder


def test_render_matrix_shares_canvases_without_changing_a_pixel_and_derives_encodings(sqlite_stack, tmp_path,
                                                                                     monkeypatch):
    app = sqlite_stack.app
    shared: list[SharedReframes] = []

    class Recorded(SharedReframes):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            shared.append(self)

    monkeypatch.setattr(render_matrix, "SharedReframes", Recorded)
    out = tmp_path / "matrix"
    locales, formats = ["ar-SA", "ja-JP", "hi-IN"], ["banner", "poster"]   # an expand and a crop
    result = app.test_cli_runner().invoke(args=["render-matrix", "--locales", ",".join(locales), "--formats",
                                                ",".join(formats), "--encodings", "avif", "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["contact-sheet.jpg"] + [f"{l}_{f}.{e}" for l in locales for f in formats
                                                    for e in ("jpg", "avif")])
    made = shared[0]
    assert made.misses == len(formats) and made.hits == (len(locales) - 1) * len(formats)  # one canvas a format
    spec_dict, logo = read_kit_folder(Path(app.config["BRAND_KITS_DIR"]) / "marquee-default")
    kit = KitSpec.from_dict(spec_dict, logo)
    source = decode(sample_key_art_jpeg(), background=kit.scrim_color).image
    analysis, copy = analyze(source), SampleCopy()
    for loc in locales:
        for fmt in formats:
            alone = render_variant(source, analysis, copy.spec(get_locale(loc), get_format(fmt), kit),
                                   encodings=("jpeg",))   # no sharing: its own reframe
            assert (out / f"{loc}_{fmt}.jpg").read_bytes() == alone.encodings["jpeg"].data, (loc, fmt)
            avif = Image.open(io.BytesIO((out / f"{loc}_{fmt}.avif").read_bytes()))
            assert avif.format == "AVIF" and avif.size == alone.image.size


def test_render_matrix_refuses_an_unknown_encoding(sqlite_stack, tmp_path):
    result = sqlite_stack.app.test_cli_runner().invoke(
        args=["render-matrix", "--locales", "en-US", "--formats", "square", "--encodings", "gif",
              "--out", str(tmp_path / "m")])
    assert result.exit_code != 0 and "unknown encoding(s) gif; known: jpeg, webp, avif" in result.output
    assert not (tmp_path / "m").exists()
