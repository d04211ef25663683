#!/usr/bin/env python
"""Benchmark of the pure render pipeline against the floor of a matrix, on one core.

Two matrices: 19 locales x 8 formats from a 24 MP (4000x6000) key art, and 4 x 8 from a
2000x3000 one. For each, three runs, each in its own process (so peak RSS is its own), pinned to
one CPU (sched_setaffinity) with OMP/OpenBLAS/OpenCV threads at 1:
  shared floor      decode once, one cover resize per format, one JPEG per output
  per-output floor  decode once, cover resize + JPEG per output
  marquee           decode once, analyze once, render_variant per output (JPEG master only,
                    as the render service does; WebP is made on demand)
Usage: .venv/bin/python scripts/benchmark.py [--cpu 0] [--only 2000x3000]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMEXPR_NUM_THREADS": "1", "OPENCV_FOR_THREADS_NUM": "1"}
#: (label, key-art size, locales or None for all): the two matrices the perf note compares.
MATRICES = [("19x8 24MP", (4000, 6000), None), ("4x8 2000x3000", (2000, 3000), "en-US,ja-JP,ar-SA,hi-IN")]
STAGES = ("shared-floor", "floor", "pipeline")


def key_art_bytes(width: int, height: int) -> bytes:
    import io

    from PIL import Image

    from app.render.extension import expand_classical
    from app.sample import astronaut

    photo = astronaut().resize((width, width), Image.Resampling.LANCZOS)
    canvas, _ = expand_classical(photo, (width, height))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def _cover(source, fmt):
    """The floor's resize: a centred cover crop straight to the format's size (same geometry as
    the pipeline's centred crop, so the resize cost matches)."""
    from PIL import Image

    scale = max(fmt.width / source.width, fmt.height / source.height)
    cw, ch = round(fmt.width / scale), round(fmt.height / scale)
    x, y = (source.width - cw) // 2, (source.height - ch) // 2
    return source.resize((fmt.width, fmt.height), Image.Resampling.LANCZOS, box=(x, y, x + cw, y + ch),
                         reducing_gap=3.0)


def run_stage(stage: str, data: bytes, locales: list[str], formats: list[str]) -> dict:
    from PIL import Image

    from app.render.decode import decode
    from app.render.encode import encode
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
        from app.render.shared_reframe import SharedReframes

        shared = SharedReframes(maxsize=len(formats))  # as the render service shares crops across locales
        from app.sample import sample_title
        from app.services.brand_kits import read_kit_folder

        spec, logo = read_kit_folder(PROJECT_ROOT / "brand_kits" / "marquee-default")
        kit = KitSpec.from_dict(spec, logo)
        from app.render import localized_copy

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
                    kicker=localized_copy.kicker(releases.get(loc.region), l)), encodings=("jpeg",),
                    reframer=shared.reframer("bench"))
                per_variant.append((time.perf_counter() - t) * 1000)
                for k, v in result.report.get("timings", {}).items():
                    stages.setdefault(k, []).append(v)
    elif stage == "shared-floor":
        for f in formats:
            t = time.perf_counter()
            img = _cover(source, get_format(f))
            resize_ms = (time.perf_counter() - t) * 1000
            for i, l in enumerate(locales):
                t = time.perf_counter()
                encode(img, "jpeg")
                # the format's one resize is charged to its first output
                per_variant.append((time.perf_counter() - t) * 1000 + (resize_ms if i == 0 else 0.0))
    else:
        for l in locales:
            for f in formats:
                t = time.perf_counter()
                encode(_cover(source, get_format(f)), "jpeg")
                per_variant.append((time.perf_counter() - t) * 1000)
    total_s = time.perf_counter() - t_start + decode_ms / 1000  # the whole matrix, decode included
    return {"stage": stage, "decode_ms": decode_ms, "median_ms": statistics.median(per_variant),
            "p90_ms": statistics.quantiles(per_variant, n=10)[-1], "total_s": total_s,
            "outputs_per_s": len(per_variant) / total_s, "n": len(per_variant),
            "peak_rss_mb": _peak_rss_mb(),
            "stage_median_ms": {k: statistics.median(v) for k, v in stages.items()}, **extra}


def _peak_rss_mb() -> float:
    """This process's own peak RSS: VmHWM starts again at exec, where ru_maxrss keeps the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pin(cpu: int) -> None:
    os.sched_setaffinity(0, {cpu})
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:
        pass


def _table(label: str, size: tuple[int, int], n_loc: int, n_fmt: int, rows: dict[str, dict]) -> None:
    shared, floor, pipe = rows["shared-floor"], rows["floor"], rows["pipeline"]
    print(f"\n{label}: {n_loc} locales x {n_fmt} formats = {pipe['n']} outputs from a {size[0]}x{size[1]} JPEG "
          f"key art, JPEG only; one process per run, one CPU, 1 thread")
    hdr = (f"{'run':<14}{'decode ms':>10}{'median ms':>11}{'p90 ms':>9}{'text ms':>9}{'total s':>9}{'outputs/s':>11}"
           f"{'peak RSS MB':>13}{'x shared':>10}{'x per-out':>11}")
    print(hdr)
    print("-" * len(hdr))
    names = {"shared-floor": "shared floor", "floor": "per-out floor", "pipeline": "marquee"}
    for stage in STAGES:
        r = rows[stage]
        text_ms = r["stage_median_ms"].get("text_ms")
        text_col = f"{text_ms:>9.1f}" if text_ms is not None else f"{'-':>9}"
        print(f"{names[stage]:<14}{r['decode_ms']:>10.0f}{r['median_ms']:>11.1f}{r['p90_ms']:>9.1f}{text_col}"
              f"{r['total_s']:>9.2f}{r['outputs_per_s']:>11.2f}{r['peak_rss_mb']:>13.0f}"
              f"{r['total_s'] / shared['total_s']:>10.2f}{r['total_s'] / floor['total_s']:>11.2f}")
    print(f"marquee total includes key-art analysis (once): {pipe.get('analysis_ms', 0):.0f} ms")
    if pipe["stage_median_ms"]:
        print("marquee stages, median ms per output: " + ", ".join(
            f"{k.removesuffix('_ms')} {v:.1f}" for k, v in pipe["stage_median_ms"].items()))
    for key in ("preflight_matrix_ms", "preflight_matrix_warm_ms"):
        if key in pipe:
            print(f"{key.replace('_ms', '').replace('_', ' ')} (once): {pipe[key]:.1f} ms")


def main() -> None:
    from app.render.formats import FORMATS
    from app.render.locales import SUPPORTED_LOCALES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=STAGES)
    parser.add_argument("--key-art", default=None, help="one JPEG instead of the two generated matrices")
    parser.add_argument("--locales", default=None)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--cpu", type=int, default=min(os.sched_getaffinity(0)), help="the one CPU every run uses")
    parser.add_argument("--only", default=None, help="run only the matrix whose label contains this")
    args = parser.parse_args()
    if args.stage:
        _pin(args.cpu)
        locales = (args.locales or ",".join(SUPPORTED_LOCALES)).split(",")
        print(json.dumps(run_stage(args.stage, Path(args.key_art).read_bytes(), locales, args.formats.split(","))))
        return
    matrices = MATRICES
    if args.key_art:
        from PIL import Image

        with Image.open(args.key_art) as im:
            matrices = [(Path(args.key_art).name, im.size, args.locales)]
    env = {**os.environ, **ONE_THREAD}
    for label, size, locales in matrices:
        if args.only and args.only not in label:
            continue
        art = Path(args.key_art) if args.key_art else ROOT / "var" / f"bench-keyart-{size[0]}x{size[1]}.jpg"
        if not art.exists():
            art.parent.mkdir(parents=True, exist_ok=True)
            art.write_bytes(key_art_bytes(*size))
        locs = args.locales or locales or ",".join(SUPPORTED_LOCALES)
        rows = {}
        for stage in STAGES:
            out = subprocess.run([sys.executable, __file__, "--stage", stage, "--key-art", str(art), "--locales", locs,
                                  "--formats", args.formats, "--cpu", str(args.cpu)],
                                 capture_output=True, text=True, check=True, env=env)
            rows[stage] = json.loads(out.stdout.strip().splitlines()[-1])
        _table(label, size, len(locs.split(",")), len(args.formats.split(",")), rows)


if __name__ == "__main__":
    main()
