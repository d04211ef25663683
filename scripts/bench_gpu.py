"""Expand latency (batch 1) and throughput (batch 4): Marquee's generator vs the bare pipeline.

    python scripts/bench_gpu.py --model-dir /models/sd-inpaint [--steps 30] [--repeats 3]
    python scripts/bench_gpu.py --tiny   # builds a tiny random model: proves the script on CPU

The bare call is the same loaded pipeline called directly at the same generation size,
steps and batch, so the difference is Marquee's own work (placing, prefill, upscale,
feathered blend, provenance). Prints a table; --json writes the numbers too.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _time(fn, device: str, repeats: int) -> list[float]:
    fn()  # warm-up (kernels, allocator, caches)
    _sync(device)
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        _sync(device)
        out.append(time.perf_counter() - t0)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir")
    ap.add_argument("--tiny", action="store_true", help="build and use a tiny random model")
    ap.add_argument("--device", default=None)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--canvas", default="2400x800", help="output canvas (the banner by default)")
    ap.add_argument("--json", help="also write results here")
    args = ap.parse_args(argv)
    if not args.model_dir and not args.tiny:
        ap.error("give --model-dir DIR (or --tiny)")

    import torch
    from PIL import Image

    from app.generate import ExpandRequest
    from app.generate.diffusers_backend import NEGATIVE, DiffusersGenerator
    from app.render.reframe import expand_placement
    from app.render.geometry import Box
    from app.sample import astronaut

    model_dir = args.model_dir
    if args.tiny:
        from app.generate.tiny import build_tiny_inpaint_pipeline

        model_dir = str(build_tiny_inpaint_pipeline(Path(tempfile.mkdtemp()) / "tiny-sd"))
    t0 = time.perf_counter()
    gen = DiffusersGenerator(model_dir, device=args.device, steps=args.steps, max_batch=4)
    load_s = time.perf_counter() - t0
    w, h = (int(v) for v in args.canvas.split("x"))
    placement = expand_placement(Box(0, 0, 1024, 1024 * h // w * 2 if w > 2 * h else 1024), (w, h))
    src = astronaut().resize((placement.w, placement.h), Image.Resampling.LANCZOS)
    reqs = [ExpandRequest(src, (w, h), placement, "studio backdrop, cinematic", seed) for seed in range(4)]
    gw, gh = gen.gen_size((w, h))
    small = src.resize((gw, gh))
    mask = Image.new("L", (gw, gh), 255)

    def bare(n: int):
        gens = [torch.Generator(device=gen.device).manual_seed(i) for i in range(n)]
        with torch.inference_mode():
            gen.pipe(prompt=["studio backdrop, cinematic"] * n, negative_prompt=[NEGATIVE] * n, image=[small] * n,
                     mask_image=[mask] * n, height=gh, width=gw, num_inference_steps=args.steps,
                     guidance_scale=gen.guidance, generator=gens, output_type="pil")

    rows = []
    for label, fn, n in (("marquee expand", lambda: gen.expand_batch(reqs[:1]), 1),
                         ("bare pipeline", lambda: bare(1), 1),
                         ("marquee expand", lambda: gen.expand_batch(reqs), 4),
                         ("bare pipeline", lambda: bare(4), 4)):
        ts = _time(fn, gen.device, args.repeats)
        med = statistics.median(ts)
        rows.append({"what": label, "batch": n, "median_s": round(med, 4), "min_s": round(min(ts), 4),
                     "images_per_s": round(n / med, 3)})
    info = {"device": gen.device, "dtype": str(gen.dtype).replace("torch.", ""), "model_dir": model_dir,
            "weights_sha256": gen.fingerprint[:16], "pipeline": type(gen.pipe).__name__, "canvas": [w, h],
            "gen_size": [gw, gh], "steps": args.steps, "repeats": args.repeats, "load_s": round(load_s, 2),
            "gpu": torch.cuda.get_device_name(0) if gen.device.startswith("cuda") else None, "torch": torch.__version__}
    print(" ".join(f"{k}={v}" for k, v in info.items()))
    print(f"{'what':<16}{'batch':>6}{'median s':>11}{'min s':>9}{'img/s':>9}")
    for r in rows:
        print(f"{r['what']:<16}{r['batch']:>6}{r['median_s']:>11.4f}{r['min_s']:>9.4f}{r['images_per_s']:>9.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"info": info, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
