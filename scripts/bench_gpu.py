"""Expand latency (batch 1) and throughput (batch 4): Marquee's generator vs the bare pipeline.

    python scripts/bench_gpu.py --model-dir /models/sd-inpaint [--steps 30] [--compile]
    python scripts/bench_gpu.py --arch sd15-inpaint --compile   # GPU host without weights
    python scripts/bench_gpu.py --tiny                          # proves the script on CPU

--arch builds Stable Diffusion 1.5 inpainting's published architecture with random weights on
the device (app/generate/reference_models.py), saves it and loads it through the production
path: the kernels and shapes are the real ones, the pictures are noise. The bare call is the
same loaded pipeline called directly at the same generation size, steps and batch, so the
difference is Marquee's own work (placing, init image and mask, upscale, seam blend,
provenance). --compile then compiles the UNet as the GPU worker does at start-up (one graph
per batch and generation size, timed) and measures both again. A CPU-side table shows what
Marquee does per image outside the pipeline call. Prints tables; --json writes the numbers.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.generate import ExpandRequest  # noqa: E402
from app.generate.diffusers_backend import NEGATIVE, DiffusersGenerator  # noqa: E402
from app.generate.protocol import placed_art  # noqa: E402
from app.generate.reference_models import build_sd15_inpaint  # noqa: E402
from app.generate.seam import finish_canvas, generation_inputs  # noqa: E402
from app.generate.tiny import build_tiny_inpaint_pipeline  # noqa: E402
from app.render.geometry import Box  # noqa: E402
from app.render.canvas_placement import expand_placement  # noqa: E402
from app.sample import astronaut  # noqa: E402

PROMPT = "studio backdrop, cinematic"


def _sync(device: str) -> None:
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


def _requests(canvas: tuple[int, int]) -> list[ExpandRequest]:
    """Four expands of the sample art onto `canvas`, one seed each."""
    w, h = canvas
    placement = expand_placement(Box(0, 0, 1024, 2048 if w > 2 * h else 1024), canvas)
    src = astronaut().resize((placement.w, placement.h), Image.Resampling.LANCZOS)
    return [ExpandRequest(src, canvas, placement, PROMPT, seed) for seed in range(4)]


def _bare(gen: DiffusersGenerator, reqs: list[ExpandRequest], steps: int):
    """The pipeline alone, at Marquee's generation size, inputs prepared outside the timing."""
    gw, gh = gen.gen_size(reqs[0].canvas)
    small = reqs[0].image.resize((gw, gh))
    mask = Image.new("L", (gw, gh), 255)

    def call(n: int) -> None:
        gens = [torch.Generator(device=gen.device).manual_seed(i) for i in range(n)]
        with torch.inference_mode():
            gen.pipe(prompt=[PROMPT] * n, negative_prompt=[NEGATIVE] * n, image=[small] * n, mask_image=[mask] * n,
                     height=gh, width=gw, num_inference_steps=steps, guidance_scale=gen.guidance, generator=gens,
                     output_type="pil")
    return call


def measure(gen: DiffusersGenerator, canvases: list[tuple[int, int]], steps: int, repeats: int,
            label: str) -> list[dict]:
    """Marquee's expand beside the bare pipeline, batch 1 and 4, per canvas; printed as it goes."""
    rows = []
    for canvas in canvases:
        reqs = _requests(canvas)
        bare = _bare(gen, reqs, steps)
        for what, fn, n in (("marquee expand", lambda: gen.expand_batch(reqs[:1]), 1), ("bare pipeline", lambda: bare(1), 1),
                            ("marquee expand", lambda: gen.expand_batch(reqs), 4), ("bare pipeline", lambda: bare(4), 4)):
            ts = _time(fn, gen.device, repeats)
            med = statistics.median(ts)
            row = {"mode": label, "canvas": f"{canvas[0]}x{canvas[1]}", "what": what, "batch": n,
                   "median_s": round(med, 4), "min_s": round(min(ts), 4), "images_per_s": round(n / med, 3)}
            rows.append(row)
            print(f"{label:<9}{row['canvas']:>10} {what:<16}{n:>6}{med:>11.4f}{min(ts):>9.4f}{n / med:>9.3f}", flush=True)
    return rows


def cpu_side(gen: DiffusersGenerator, canvases: list[tuple[int, int]], repeats: int) -> list[dict]:
    """Milliseconds per image Marquee spends on the CPU around the pipeline call (the upscale
    runs on the device and is left out): init image and mask, then the seam blend."""
    rows = []
    for canvas in canvases:
        req = _requests(canvas)[0]
        placed = np.asarray(placed_art(req))
        size = gen.gen_size(canvas)
        up = np.zeros((canvas[1], canvas[0], 3), np.uint8)
        prep = statistics.median(_time(lambda: generation_inputs(placed, canvas, req.placement, size), "cpu", repeats))
        fin = statistics.median(_time(lambda: finish_canvas(up, placed, req.placement, gen.feather_frac), "cpu",
                                      repeats))
        rows.append({"canvas": f"{canvas[0]}x{canvas[1]}", "prepare_ms": round(prep * 1000, 1),
                     "seam_ms": round(fin * 1000, 1)})
    return rows


def _model_dir(args: argparse.Namespace) -> str:
    if args.model_dir:
        return args.model_dir
    work = Path(tempfile.mkdtemp())
    if args.tiny:
        return str(build_tiny_inpaint_pipeline(work / "tiny-sd"))
    return str(build_sd15_inpaint(work / args.arch, device=args.device or "cuda"))


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir")
    ap.add_argument("--tiny", action="store_true", help="build and use a tiny random model")
    ap.add_argument("--arch", choices=["sd15-inpaint"], help="build this architecture with random weights")
    ap.add_argument("--device", default=None)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--canvases", default="2400x800,1080x1920", help="output canvases (banner, story)")
    ap.add_argument("--compile", action="store_true", help="then compile the UNet as the GPU worker does")
    ap.add_argument("--compile-canvases", help="compile and measure only these canvases (default: all)")
    ap.add_argument("--compile-backend", default="inductor")
    ap.add_argument("--json", help="also write results here")
    args = ap.parse_args(argv)
    if not (args.model_dir or args.tiny or args.arch):
        ap.error("give --model-dir DIR, --arch sd15-inpaint or --tiny")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    canvases = [tuple(int(v) for v in c.split("x")) for c in args.canvases.split(",")]
    t0 = time.perf_counter()
    model_dir = _model_dir(args)
    build_s, t0 = time.perf_counter() - t0, time.perf_counter()
    gen = DiffusersGenerator(model_dir, device=args.device, steps=args.steps, max_batch=4, compile=False)
    info = {"device": gen.device, "dtype": str(gen.dtype).replace("torch.", ""), "pipeline": type(gen.pipe).__name__,
            "unet_params_M": round(sum(p.numel() for p in gen.pipe.unet.parameters()) / 1e6, 1),
            "steps": args.steps, "repeats": args.repeats, "build_s": round(build_s, 1),
            "load_s": round(time.perf_counter() - t0, 1), "torch": torch.__version__,
            "gpu": torch.cuda.get_device_name(0) if gen.device.startswith("cuda") else None,
            "gen_sizes": {f"{c[0]}x{c[1]}": list(gen.gen_size(c)) for c in canvases}}
    print(" ".join(f"{k}={v}" for k, v in info.items()), flush=True)
    result = {"info": info, "cpu_side": cpu_side(gen, canvases, args.repeats)}
    print(f"{'cpu side per image':<20}{'canvas':>10}{'prepare ms':>12}{'seam ms':>9}")
    for r in result["cpu_side"]:
        print(f"{'':<20}{r['canvas']:>10}{r['prepare_ms']:>12.1f}{r['seam_ms']:>9.1f}", flush=True)
    print(f"{'mode':<9}{'canvas':>10} {'what':<16}{'batch':>6}{'median s':>11}{'min s':>9}{'img/s':>9}", flush=True)
    result["rows"] = measure(gen, canvases, args.steps, args.repeats, "eager")
    if args.compile:
        gen._compile_unet(args.compile_backend)
        gen.compiled = True
        compiled = [tuple(int(v) for v in c.split("x")) for c in args.compile_canvases.split(",")] \
            if args.compile_canvases else canvases
        result["compile"] = gen.warm_up(compiled, [1, 4])
        print("compile (one graph per shape):", result["compile"], flush=True)
        result["rows"] += measure(gen, compiled, args.steps, args.repeats, "compiled")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
