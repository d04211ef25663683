#!/usr/bin/env python
"""cProfile of render_variant on one 2000x3000 poster per locale (analysis done once, outside the
profile; one warm-up render per locale first so font loading is not counted as steady state
unless --cold). Prints the top N functions by own time (tottime) and by cumulative time.
Usage: taskset -c 0 .venv/bin/python scripts/profile_variant.py --locales ar-SA,hi-IN
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locales", default="ar-SA,hi-IN")
    parser.add_argument("--format", default="poster")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--cold", action="store_true", help="no warm-up render (counts font loading)")
    parser.add_argument("--encodings", default="jpeg")
    args = parser.parse_args()

    from app.config import PROJECT_ROOT
    from app.render import localized_copy
    from app.render.analyze import analyze
    from app.render.decode import decode
    from app.render.formats import get_format
    from app.render.kit import KitSpec
    from app.render.locales import get_locale
    from app.render.pipeline import VariantSpec, render_variant
    from app.sample import sample_title
    from app.services.brand_kits import read_kit_folder
    from scripts.benchmark import key_art_bytes

    source = decode(key_art_bytes(2000, 3000)).image
    analysis = analyze(source)
    spec, logo = read_kit_folder(PROJECT_ROOT / "brand_kits" / "marquee-default")
    kit = KitSpec.from_dict(spec, logo)
    title = sample_title()
    titles = {l["locale"]: l for l in title["localizations"]}
    releases = {r["region"]: r for r in title["releases"]}
    encodings = tuple(args.encodings.split(","))

    def spec_for(tag: str) -> VariantSpec:
        loc = get_locale(tag)
        rel = releases.get(loc.region, {})
        return VariantSpec(get_format(args.format), loc, titles[tag]["title"], kit, rating=rel.get("age_rating"),
                           tagline=titles[tag].get("tagline"),
                           kicker=localized_copy.kicker(rel.get("release_date"), tag))

    for tag in args.locales.split(","):
        if not args.cold:
            render_variant(source, analysis, spec_for(tag), encodings=encodings)
        prof = cProfile.Profile()
        prof.enable()
        result = render_variant(source, analysis, spec_for(tag), encodings=encodings)
        prof.disable()
        timings = {k: round(v) for k, v in result.report.get("timings", {}).items()}
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            stats = pstats.Stats(prof, stream=out).strip_dirs().sort_stats(order)
            stats.print_stats(args.top)
            lines = out.getvalue().splitlines()
            start = next(i for i, l in enumerate(lines) if l.lstrip().startswith("ncalls"))
            print(f"\n== {tag} {args.format} {result.image.size}: top {args.top} by {order}; stages ms {timings}")
            print(next(l for l in lines if "function calls" in l).strip())
            print("\n".join(lines[start:start + args.top + 1]))


if __name__ == "__main__":
    main()
