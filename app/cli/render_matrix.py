"""`flask render-matrix`: render a locale x format matrix with the pure pipeline into a folder,
with the sample campaign's copy (no Redis, no database), and a contact sheet of it.

Each format's canvas (crop or classical extension, resized) is made once and shared by every
locale, as the render workers share it (SharedReframes): the locales differ only in what is drawn
on their copy. WebP and AVIF, when asked for, are derived from each cell's JPEG master, as the
service derives them."""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from PIL import Image

from ..render.analyze import Analysis, analyze
from ..render.contact_sheet import CELL_H, contact_sheet
from ..render.decode import DecodeError, decode
from ..render.encode import DERIVED, ENCODINGS, MASTER, derive
from ..render.formats import FORMATS, Format, get_format
from ..render.kit import KitSpec
from ..render.locales import SUPPORTED_LOCALES, LocaleInfo, get_locale
from ..render.pipeline import render_variant
from ..render.shared_reframe import SharedReframes
from ..render.variant import VariantSpec, build_variant_spec
from ..sample import sample_key_art_jpeg, sample_title
from ..services import ServiceError
from ..services.brand_kits import read_kit_folder
from .options import split_list


@dataclass(frozen=True)
class Matrix:
    """What the command renders: the decoded key art, the kit, and the cells' locales x formats."""

    source: Image.Image
    kit: KitSpec
    locales: list[LocaleInfo]
    formats: list[Format]
    art_key: str                       # the key art file's sha256: what a shared canvas is keyed by
    encodings: tuple[str, ...]         # the master first, then the derived ones asked for


def load_matrix(key_art: str | None, kit: str, locales: str, formats: str, encodings: str = MASTER) -> Matrix:
    """Read the kit folder and the key art and resolve the options; a bad one is a ClickException."""
    try:
        spec_dict, logo = read_kit_folder(Path(current_app.config["BRAND_KITS_DIR"]) / kit)
        kit_spec = KitSpec.from_dict(spec_dict, logo)
        data = Path(key_art).read_bytes() if key_art else sample_key_art_jpeg()
        source = decode(data, background=kit_spec.scrim_color).image  # transparency over the kit's scrim
        locs = [get_locale(l) for l in split_list(locales, SUPPORTED_LOCALES)]
        fmts = [get_format(f) for f in split_list(formats, list(FORMATS))]
        kinds = split_list(encodings, list(ENCODINGS))
        unknown = [k for k in kinds if k not in ENCODINGS]
        if unknown:
            raise ValueError(f"unknown encoding(s) {', '.join(unknown)}; known: {', '.join(ENCODINGS)}")
    except (ServiceError, DecodeError, ValueError, KeyError) as exc:
        raise click.ClickException(str(getattr(exc, "message", exc))) from None
    return Matrix(source, kit_spec, locs, fmts, hashlib.sha256(data).hexdigest(),
                  (MASTER, *[k for k in DERIVED if k in kinds]))


class SampleCopy:
    """The sample title's localized title, tagline, rating and release date, per cell."""

    def __init__(self) -> None:
        sample = sample_title()
        self.titles = {l["locale"]: l["title"] for l in sample["localizations"]}
        self.taglines = {l["locale"]: l.get("tagline") for l in sample["localizations"]}
        self.releases = {r["region"]: r for r in sample.get("releases", [])}

    def spec(self, loc: LocaleInfo, fmt: Format, kit: KitSpec) -> VariantSpec:
        rel = self.releases.get(loc.region, {})
        return build_variant_spec(fmt, loc, kit, self.titles.get(loc.tag, "Untitled"), rating=rel.get("age_rating"),
                                  tagline=self.taglines.get(loc.tag), release_date=rel.get("release_date"))


def render_cells(matrix: Matrix, copy: SampleCopy, analysis: Analysis,
                 out_dir: Path) -> dict[tuple[str, str], Image.Image]:
    """Render every cell to `out_dir` (its JPEG master, and the derived encodings asked for);
    returns cell-sized copies for the contact sheet."""
    cells: dict[tuple[str, str], Image.Image] = {}
    shared = SharedReframes(maxsize=len(matrix.formats))   # one canvas per format, for every locale
    reframer = shared.reframer(matrix.art_key)
    with click.progressbar([(l, f) for l in matrix.locales for f in matrix.formats], label="rendering") as cells_iter:
        for loc, fmt in cells_iter:
            result = render_variant(matrix.source, analysis, copy.spec(loc, fmt, matrix.kit), encodings=(MASTER,),
                                    reframer=reframer)
            master = result.encodings[MASTER]
            (out_dir / f"{loc.tag}_{fmt.key}.{master.ext}").write_bytes(master.data)
            for kind in matrix.encodings[1:]:
                derived = derive(master.data, kind)
                (out_dir / f"{loc.tag}_{fmt.key}.{derived.ext}").write_bytes(derived.data)
            # Keep a cell-sized copy, not 152 full canvases (the sheet shows CELL_H-high cells).
            cell = result.image.convert("RGB")
            cell.thumbnail((max(1, cell.width * CELL_H // cell.height) + 1, CELL_H + 1), Image.Resampling.LANCZOS)
            cells[(loc.tag, fmt.key)] = cell
            del result
    return cells


@click.command("render-matrix")
@click.option("--key-art", "key_art", type=click.Path(exists=True, dir_okay=False), default=None,
              help="image file; default: the sample key art")
@click.option("--kit", default="marquee-default", show_default=True, help="folder under brand_kits/")
@click.option("--locales", default="all", show_default=True)
@click.option("--formats", default="all", show_default=True)
@click.option("--encodings", default=MASTER, show_default=True,
              help=f"comma-separated, of {', '.join(ENCODINGS)} (or all); the JPEG master is always written")
@click.option("--out", type=click.Path(file_okay=False), required=True)
@with_appcontext
def command(key_art: str | None, kit: str, locales: str, formats: str, encodings: str, out: str) -> None:
    """Render a locale x format matrix with the pure pipeline into a folder (no Redis, no DB)."""
    matrix = load_matrix(key_art, kit, locales, formats, encodings)
    copy = SampleCopy()
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    analysis = analyze(matrix.source, threads=current_app.config["ANALYSIS_THREADS"])
    t0 = time.perf_counter()  # the renders' time: the key art's analysis is done once, before
    cells = render_cells(matrix, copy, analysis, out_dir)
    sheet = contact_sheet(cells, [l.tag for l in matrix.locales], [f.key for f in matrix.formats],
                          "Marquee contact sheet")
    sheet_path = out_dir / "contact-sheet.jpg"
    sheet.save(sheet_path, quality=88)
    click.echo(f"{len(cells)} variants in {time.perf_counter() - t0:.1f}s -> {out_dir}")
    click.echo(f"contact sheet: {sheet_path}")
