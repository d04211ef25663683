"""The sample campaign as the scripts render it: the default brand kit, one spec per (locale,
format) from the sample title, and the benchmark's "marquee" run over a matrix of them.

Imported by the benchmark's pipeline run only (never by its floor runs, whose peak RSS must not
include the pipeline's modules), by profile_variant.py and by contact_sheet_reframe.py.
"""
from __future__ import annotations

import sys
import time
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

from app.config import PROJECT_ROOT  # noqa: E402
from app.render.analyze import analyze  # noqa: E402
from app.render.formats import get_format  # noqa: E402
from app.render.kit import KitSpec  # noqa: E402
from app.render.locales import get_locale  # noqa: E402
from app.render.pipeline import render_variant  # noqa: E402
from app.render.preflight import preflight_matrix  # noqa: E402
from app.render.shared_reframe import SharedReframes  # noqa: E402
from app.render.variant import VariantSpec, build_variant_spec  # noqa: E402
from app.sample import sample_title  # noqa: E402
from app.services.brand_kits import read_kit_folder  # noqa: E402


@lru_cache(maxsize=1)
def _title() -> dict:
    return sample_title()


@lru_cache(maxsize=1)
def default_kit() -> KitSpec:
    """The shipped brand kit (brand_kits/marquee-default), logo included."""
    spec, logo = read_kit_folder(PROJECT_ROOT / "brand_kits" / "marquee-default")
    return KitSpec.from_dict(spec, logo)


def sample_spec(tag: str, fmt_key: str, kit: KitSpec | None = None) -> VariantSpec:
    """The sample title's variant for a locale and format: its strings, the rating and release
    date of the locale's region."""
    title = _title()
    strings = next(l for l in title["localizations"] if l["locale"] == tag)
    loc = get_locale(tag)
    release = next((r for r in title.get("releases", []) if r["region"] == loc.region), {})
    return build_variant_spec(get_format(fmt_key), loc, kit or default_kit(), strings["title"],
                              rating=release.get("age_rating"), tagline=strings.get("tagline"),
                              release_date=release.get("release_date"))


def time_preflight(locales: list[str], formats: list[str], kit: KitSpec) -> dict[str, float]:
    """Preflight of the matrix, cold (loads fonts and cmaps) then warm, in ms."""
    strings = {l["locale"]: l for l in _title()["localizations"]}
    titles = {tag: s["title"] for tag, s in strings.items()}
    taglines = {tag: s.get("tagline") for tag, s in strings.items()}
    out = {}
    for key in ("preflight_matrix_ms", "preflight_matrix_warm_ms"):
        t0 = time.perf_counter()
        preflight_matrix(titles, [get_locale(l) for l in locales], [get_format(f) for f in formats], kit, taglines)
        out[key] = (time.perf_counter() - t0) * 1000
    return out


def run_pipeline(source: Image.Image, locales: list[str], formats: list[str]
                 ) -> tuple[list[float], dict[str, list[float]], dict[str, float]]:
    """The benchmark's marquee run: analyze once, preflight, then render_variant per output
    (JPEG master only, crops shared across locales as the render service shares them).
    Returns ms per output, each report timing per output, and the once-only costs."""
    shared = SharedReframes(maxsize=len(formats))
    kit = default_kit()
    t0 = time.perf_counter()
    analysis = analyze(source)
    extra = {"analysis_ms": (time.perf_counter() - t0) * 1000, **time_preflight(locales, formats, kit)}
    per_variant: list[float] = []
    stages: dict[str, list[float]] = {}
    for l in locales:
        for f in formats:
            t = time.perf_counter()
            result = render_variant(source, analysis, sample_spec(l, f, kit), encodings=("jpeg",),
                                    reframer=shared.reframer("bench"))
            per_variant.append((time.perf_counter() - t) * 1000)
            for k, v in result.report.get("timings", {}).items():
                stages.setdefault(k, []).append(v)
    return per_variant, stages, extra
