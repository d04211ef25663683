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

from app.render.analyze import analyze  # noqa: E402
from app.render.decode import decode  # noqa: E402
from app.render.pipeline import render_variant  # noqa: E402
from scripts.benchmark import key_art_bytes  # noqa: E402
from scripts.sample_render import default_kit, sample_spec  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locales", default="ar-SA,hi-IN")
    parser.add_argument("--format", default="poster")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--cold", action="store_true", help="no warm-up render (counts font loading)")
    parser.add_argument("--encodings", default="jpeg")
    args = parser.parse_args()

    source = decode(key_art_bytes(2000, 3000)).image
    analysis = analyze(source)
    kit = default_kit()  # read before any profile, as the analysis is
    encodings = tuple(args.encodings.split(","))

    for tag in args.locales.split(","):
        if not args.cold:
            render_variant(source, analysis, sample_spec(tag, args.format, kit), encodings=encodings)
        prof = cProfile.Profile()
        prof.enable()
        result = render_variant(source, analysis, sample_spec(tag, args.format, kit), encodings=encodings)
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
