"""Shared helpers for the text tests: the sample kit, key art, copy, and rendering one variant."""
from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

from PIL import Image

from app.render.analyze import analyze
from app.render.decode import decode
from app.render.formats import get_format
from app.render.kit import KitSpec
from app.render.locales import get_locale
from app.render.pipeline import RenderResult, VariantSpec, render_variant
from app.render.variant import build_variant_spec
from app.sample import sample_key_art_jpeg, sample_title

ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def _kit_folder() -> tuple[dict, bytes | None]:
    from app.services.brand_kits import read_kit_folder

    return read_kit_folder(ROOT / "brand_kits" / "marquee-default")


def kit(**overrides) -> KitSpec:
    """The sample kit, with top-level keys of kit.yaml overridden."""
    spec, logo = _kit_folder()
    return KitSpec.from_dict({**spec, **overrides}, logo)


@lru_cache(maxsize=1)
def strings() -> dict[str, dict]:
    data = sample_title()
    releases = {r["region"]: r for r in data["releases"]}
    out = {}
    for l in data["localizations"]:
        region = get_locale(l["locale"]).region
        out[l["locale"]] = {"title": l["title"], "tagline": l["tagline"],
                            "rating": releases.get(region, {}).get("age_rating"),
                            "release": releases.get(region, {}).get("release_date")}
    return out


@lru_cache(maxsize=1)
def sample_source() -> tuple[Image.Image, object]:
    img = decode(sample_key_art_jpeg()).image
    return img, analyze(img)


def spec_for(tag: str, fmt: str, kit_spec: KitSpec | None = None, title: str | None = None) -> VariantSpec:
    s = strings()[tag]
    return build_variant_spec(get_format(fmt), get_locale(tag), kit_spec or kit(), title or s["title"],
                              rating=s["rating"], tagline=s["tagline"], release_date=s["release"])


def render(tag: str, fmt: str, source: Image.Image | None = None, kit_spec: KitSpec | None = None,
           title: str | None = None) -> RenderResult:
    if source is None:
        src, analysis = sample_source()
    else:
        src, analysis = source, analyze(source)
    return render_variant(src, analysis, spec_for(tag, fmt, kit_spec, title))


def normalize(text: str) -> str:
    """NFKC, case-folded, without whitespace and punctuation: what OCR comparison should ignore."""
    t = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in t if not (c.isspace() or unicodedata.category(c).startswith(("P", "S"))))


def similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, normalize(a), normalize(b)).ratio()

