#!/usr/bin/env python
"""Benchmark of the pure render pipeline against the floor of a matrix, on one core.

Two matrices: 19 locales x 8 formats from a 24 MP (4000x6000) key art, and 4 x 8 from a
2000x3000 one. For each, three runs, each in its own process (so peak RSS is its own), pinned to
one CPU (sched_setaffinity) with OMP/OpenBLAS/OpenCV threads at 1:
  shared floor      decode once, one cover resize per format, one JPEG per output
  per-output floor  decode once, cover resize + JPEG per output
  marquee           decode once, analyze once, render_variant per output (JPEG master only,
                    as the render service does; WebP is made on demand): the first matrix of a
                    fresh process, fonts, shapers and detector models loaded inside the timing
                    (its modules are imported before it, as the floors' are: a process start)
  marquee warm      the same matrix again in that process (what a resident worker pays: its
                    fonts and models are already loaded; analysis and every canvas made again)
Usage: .venv/bin/python scripts/benchmark.py [--cpu 0] [--only 2000x3000] [--repeat 3]
(--repeat: each stage that many times, interleaved, the run of median total shown; on a noisy
machine the ratios of one run can move by 20 %)
"""
from __future__ import annotations

import argparse
import io
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

import cv2  # noqa: E402
from PIL import Image  # noqa: E402

from app.render.decode import decode  # noqa: E402
from app.render.encode import encode  # noqa: E402
from app.render.formats import FORMATS, Format, get_format  # noqa: E402
from app.render.locales import SUPPORTED_LOCALES  # noqa: E402

ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMEXPR_NUM_THREADS": "1", "OPENCV_FOR_THREADS_NUM": "1"}
#: (label, key-art size, locales or None for all): the two matrices the perf note compares.
MATRICES = [("19x8 24MP", (4000, 6000), None), ("4x8 2000x3000", (2000, 3000), "en-US,ja-JP,ar-SA,hi-IN")]
STAGES = ("shared-floor", "floor", "pipeline", "pipeline-warm")


def key_art_bytes(width: int, height: int) -> bytes:
    """The photograph extended to `width` x `height` (the sample key art's simple backdrop), as JPEG."""
    # Imported here, not at the top: the extension pulls in the analysis (OpenCV), which the
    # floor runs must not carry in their peak RSS.
    from app.render.extension import expand_classical
    from app.sample import astronaut

    photo = astronaut().resize((width, width), Image.Resampling.LANCZOS)
    canvas, _ = expand_classical(photo, (width, height))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def _cover(source: Image.Image, fmt: Format) -> Image.Image:
    """The floor's resize: a centred cover crop straight to the format's size (same geometry as
    the pipeline's centred crop, so the resize cost matches)."""
    scale = max(fmt.width / source.width, fmt.height / source.height)
    cw, ch = round(fmt.width / scale), round(fmt.height / scale)
    x, y = (source.width - cw) // 2, (source.height - ch) // 2
    return source.resize((fmt.width, fmt.height), Image.Resampling.LANCZOS, box=(x, y, x + cw, y + ch),
                         reducing_gap=3.0)


def _shared_floor(source: Image.Image, locales: list[str], formats: list[str]) -> list[float]:
    """One cover resize per format, one JPEG per output; the resize is charged to its first output."""
    per_variant = []
    for f in formats:
        t = time.perf_counter()
        img = _cover(source, get_format(f))
        resize_ms = (time.perf_counter() - t) * 1000
        for i, _ in enumerate(locales):
            t = time.perf_counter()
            encode(img, "jpeg")
            per_variant.append((time.perf_counter() - t) * 1000 + (resize_ms if i == 0 else 0.0))
    return per_variant


def _per_output_floor(source: Image.Image, locales: list[str], formats: list[str]) -> list[float]:
    """Cover resize + JPEG per output."""
    per_variant = []
    for _ in locales:
        for f in formats:
            t = time.perf_counter()
            encode(_cover(source, get_format(f)), "jpeg")
            per_variant.append((time.perf_counter() - t) * 1000)
    return per_variant


def _run(stage: str, source: Image.Image, locales: list[str], formats: list[str]
         ) -> tuple[list[float], dict[str, list[float]], dict[str, float]]:
    """ms per output, report timings per output and once-only costs of one run."""
    if stage.startswith("pipeline"):
        from scripts.sample_render import run_pipeline

        return run_pipeline(source, locales, formats)
    floor = _shared_floor if stage == "shared-floor" else _per_output_floor
    return floor(source, locales, formats), {}, {}


def run_stage(stage: str, data: bytes, locales: list[str], formats: list[str]) -> dict:
    """One run (decode once, then the stage's work per output) and its numbers."""
    if stage.startswith("pipeline"):
        # Imported here, not at the top (only these runs may carry the pipeline's modules in
        # their RSS), and before the timing: importing is a process start, not a matrix.
        import scripts.sample_render  # noqa: F401
    t0 = time.perf_counter()
    source = decode(data).image
    decode_ms = (time.perf_counter() - t0) * 1000
    if stage == "pipeline-warm":
        _run(stage, source, locales, formats)  # the first matrix: fonts, shapers, models loaded
    t_start = time.perf_counter()
    per_variant, stages, extra = _run(stage, source, locales, formats)
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
    cv2.setNumThreads(1)


def _median_run(runs: list[dict]) -> dict:
    """The run whose total is the median of the stage's runs (a real run, not a mix of runs)."""
    return sorted(runs, key=lambda r: r["total_s"])[len(runs) // 2]


def _table(label: str, size: tuple[int, int], n_loc: int, n_fmt: int, rows: dict[str, dict], repeat: int = 1) -> None:
    shared, floor, pipe, warm = rows["shared-floor"], rows["floor"], rows["pipeline"], rows["pipeline-warm"]
    runs = f"median of {repeat} interleaved runs" if repeat > 1 else "one run"
    print(f"\n{label}: {n_loc} locales x {n_fmt} formats = {pipe['n']} outputs from a {size[0]}x{size[1]} JPEG "
          f"key art, JPEG only; one process per run, one CPU, 1 thread; {runs} per stage")
    hdr = (f"{'run':<14}{'decode ms':>10}{'median ms':>11}{'p90 ms':>9}{'text ms':>9}{'total s':>9}{'outputs/s':>11}"
           f"{'peak RSS MB':>13}{'x shared':>10}{'x per-out':>11}")
    print(hdr)
    print("-" * len(hdr))
    names = {"shared-floor": "shared floor", "floor": "per-out floor", "pipeline": "marquee",
             "pipeline-warm": "marquee warm"}
    for stage in STAGES:
        r = rows[stage]
        text_ms = r["stage_median_ms"].get("text_ms")
        text_col = f"{text_ms:>9.1f}" if text_ms is not None else f"{'-':>9}"
        print(f"{names[stage]:<14}{r['decode_ms']:>10.0f}{r['median_ms']:>11.1f}{r['p90_ms']:>9.1f}{text_col}"
              f"{r['total_s']:>9.2f}{r['outputs_per_s']:>11.2f}{r['peak_rss_mb']:>13.0f}"
              f"{r['total_s'] / shared['total_s']:>10.2f}{r['total_s'] / floor['total_s']:>11.2f}")
    for name, run in (("marquee", pipe), ("marquee warm", warm)):
        print(f"{name}: total includes key-art analysis (once) {run.get('analysis_ms', 0):.0f} ms and preflight "
              f"{run.get('preflight_matrix_ms', 0):.0f} ms; stages, median ms per output: " + ", ".join(
                  f"{k.removesuffix('_ms')} {v:.1f}" for k, v in run["stage_median_ms"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=STAGES)
    parser.add_argument("--key-art", default=None, help="one JPEG instead of the two generated matrices")
    parser.add_argument("--locales", default=None)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--cpu", type=int, default=min(os.sched_getaffinity(0)), help="the one CPU every run uses")
    parser.add_argument("--only", default=None, help="run only the matrix whose label contains this")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each stage, interleaved; the table shows the run of median total")
    args = parser.parse_args()
    if args.stage:
        _pin(args.cpu)
        locales = (args.locales or ",".join(SUPPORTED_LOCALES)).split(",")
        print(json.dumps(run_stage(args.stage, Path(args.key_art).read_bytes(), locales, args.formats.split(","))))
        return
    matrices = MATRICES
    if args.key_art:
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
        runs: dict[str, list[dict]] = {stage: [] for stage in STAGES}
        for _ in range(args.repeat):  # interleaved, so a machine that slows down slows every stage
            for stage in STAGES:
                out = subprocess.run([sys.executable, __file__, "--stage", stage, "--key-art", str(art), "--locales",
                                      locs, "--formats", args.formats, "--cpu", str(args.cpu)],
                                     capture_output=True, text=True, check=True, env=env)
                runs[stage].append(json.loads(out.stdout.strip().splitlines()[-1]))
        rows = {stage: _median_run(r) for stage, r in runs.items()}
        _table(label, size, len(locs.split(",")), len(args.formats.split(",")), rows, args.repeat)


if __name__ == "__main__":
    main()
