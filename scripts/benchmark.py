#!/usr/bin/env python
"""Benchmark of the pure render pipeline on the full 19 x 8 matrix from a 4000x6000 key art.

Prints one table: the pipeline (reframe + text + compose + encode, analysis once) beside the
floor (decode once + resize + encode of the same outputs, no analysis, no text). Each runs in
its own process so that peak RSS is its own. Usage: .venv/bin/python scripts/benchmark.py
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def key_art_bytes(width: int, height: int) -> bytes:
    import io

    from PIL import Image

    from app.render.reframe import expand_classical
    from app.sample import astronaut

    photo = astronaut().resize((width, width), Image.Resampling.LANCZOS)
    canvas, _ = expand_classical(photo, (width, height))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def run_stage(stage: str, data: bytes, locales: list[str], formats: list[str]) -> dict:
    from PIL import Image

    from app.render.decode import decode
    from app.render.encode import encode_all
    from app.render.formats import get_format
    from app.render.locales import get_locale

    t0 = time.perf_counter()
    source = decode(data).image
    decode_ms = (time.perf_counter() - t0) * 1000
    per_variant: list[float] = []
    stages: dict[str, list[float]] = {}
    t_start = time.perf_counter()
    extra: dict[str, float] = {}
    if stage == "pipeline":
        from app.config import PROJECT_ROOT
        from app.render.analyze import analyze
        from app.render.kit import KitSpec
        from app.render.pipeline import VariantSpec, render_variant
        from app.sample import sample_title
        from app.services.brand_kits import read_kit_folder

        spec, logo = read_kit_folder(PROJECT_ROOT / "brand_kits" / "marquee-default")
        kit = KitSpec.from_dict(spec, logo)
        from app.render import copy as marketing_copy

        titles = {l["locale"]: l["title"] for l in sample_title()["localizations"]}
        taglines = {l["locale"]: l.get("tagline") for l in sample_title()["localizations"]}
        ratings = {r["region"]: r.get("age_rating") for r in sample_title()["releases"]}
        releases = {r["region"]: r.get("release_date") for r in sample_title()["releases"]}
        ta = time.perf_counter()
        analysis = analyze(source)
        extra["analysis_ms"] = (time.perf_counter() - ta) * 1000
        try:
            from app.render.preflight import preflight_matrix  # added by the text stage work
        except ImportError:
            preflight_matrix = None
        if preflight_matrix is not None:
            tp = time.perf_counter()
            preflight_matrix(titles, [get_locale(l) for l in locales], [get_format(f) for f in formats], kit,
                             taglines)
            extra["preflight_matrix_ms"] = (time.perf_counter() - tp) * 1000  # cold: loads fonts and cmaps
            tp = time.perf_counter()
            preflight_matrix(titles, [get_locale(l) for l in locales], [get_format(f) for f in formats], kit,
                             taglines)
            extra["preflight_matrix_warm_ms"] = (time.perf_counter() - tp) * 1000
        for l in locales:
            for f in formats:
                t = time.perf_counter()
                loc = get_locale(l)
                result = render_variant(source, analysis, VariantSpec(
                    get_format(f), loc, titles[l], kit, rating=ratings.get(loc.region), tagline=taglines[l],
                    kicker=marketing_copy.kicker(releases.get(loc.region), l)))
                per_variant.append((time.perf_counter() - t) * 1000)
                for k, v in result.report.get("timings", {}).items():
                    stages.setdefault(k, []).append(v)
    else:
        for l in locales:
            for f in formats:
                fmt = get_format(f)
                t = time.perf_counter()
                # Same crop geometry as a centred crop, so the resize cost matches the pipeline's.
                scale = max(fmt.width / source.width, fmt.height / source.height)
                cw, ch = round(fmt.width / scale), round(fmt.height / scale)
                x, y = (source.width - cw) // 2, (source.height - ch) // 2
                img = source.resize((fmt.width, fmt.height), Image.Resampling.LANCZOS, box=(x, y, x + cw, y + ch),
                                    reducing_gap=3.0)
                encode_all(img)
                per_variant.append((time.perf_counter() - t) * 1000)
    total_s = time.perf_counter() - t_start
    return {"stage": stage, "decode_ms": decode_ms, "median_ms": statistics.median(per_variant),
            "p90_ms": statistics.quantiles(per_variant, n=10)[-1], "total_s": total_s,
            "outputs_per_s": len(per_variant) / total_s, "n": len(per_variant),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "stage_median_ms": {k: statistics.median(v) for k, v in stages.items()}, **extra}


def main() -> None:
    from app.render.formats import FORMATS
    from app.render.locales import SUPPORTED_LOCALES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=["pipeline", "floor"])
    parser.add_argument("--key-art", default=str(ROOT / "var" / "bench-keyart-4000x6000.jpg"))
    parser.add_argument("--locales", default=",".join(SUPPORTED_LOCALES))
    parser.add_argument("--formats", default=",".join(FORMATS))
    args = parser.parse_args()
    locales, formats = args.locales.split(","), args.formats.split(",")
    art = Path(args.key_art)
    if args.stage:
        print(json.dumps(run_stage(args.stage, art.read_bytes(), locales, formats)))
        return
    if not art.exists():
        art.parent.mkdir(parents=True, exist_ok=True)
        art.write_bytes(key_art_bytes(4000, 6000))
    rows = []
    for stage in ("floor", "pipeline"):
        out = subprocess.run([sys.executable, __file__, "--stage", stage, "--key-art", str(art),
                              "--locales", args.locales, "--formats", args.formats],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    floor, pipe = rows
    print(f"\nMarquee render benchmark: {pipe['n']} variants ({len(locales)} locales x {len(formats)} formats) "
          f"from a 4000x6000 JPEG key art, one process each, 1 thread of work\n")
    hdr = (f"{'run':<10}{'decode ms':>11}{'median ms':>11}{'p90 ms':>9}{'text ms':>9}{'total s':>9}{'outputs/s':>11}"
           f"{'peak RSS MB':>13}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        text_ms = r["stage_median_ms"].get("text_ms")  # the text stage alone: layout + legibility + drawing
        text_col = f"{text_ms:>9.1f}" if text_ms is not None else f"{'-':>9}"
        print(f"{r['stage']:<10}{r['decode_ms']:>11.0f}{r['median_ms']:>11.1f}{r['p90_ms']:>9.1f}{text_col}{r['total_s']:>9.1f}"
              f"{r['outputs_per_s']:>11.2f}{r['peak_rss_mb']:>13.0f}")
    print(f"\npipeline / floor, median per variant: {pipe['median_ms'] / floor['median_ms']:.2f}x")
    if pipe["stage_median_ms"]:
        print("\npipeline stages, median ms per variant:")
        for k, v in pipe["stage_median_ms"].items():
            print(f"  {k:<16}{v:>9.1f}")
    for key in ("analysis_ms", "preflight_matrix_ms", "preflight_matrix_warm_ms"):
        if key in pipe:
            print(f"{key.replace('_ms', '').replace('_', ' ')} (once): {pipe[key]:.1f} ms")


if __name__ == "__main__":
    main()
