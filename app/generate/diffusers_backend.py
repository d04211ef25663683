"""The diffusers backend: an inpainting pipeline loaded once from a local model directory.

Weights never come from a hub: `local_files_only=True`. On CUDA the pipeline runs in bf16
(fp16 where bf16 is not supported), on CPU in fp32. Expand requests of the same generation
size are batched into one forward pass (one torch.Generator per item, so an item's pixels
depend on its own seed). Generation happens at the model's native resolution; only the new
area is upscaled and blended in, with a feathered seam that lies wholly inside the new area,
so every pixel outside the mask is byte-identical to the input.
"""
from __future__ import annotations

import math
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from ..render.geometry import Box
from .protocol import ExpandRequest, Generated, GeneratorError, composite_exact, placed_art
from .seam import finish_canvas, generation_inputs
from .provenance import record, weights_fingerprint

NEGATIVE = "text, letters, watermark, logo, frame, border, duplicate face, deformed"


def pick_device(device: str | None = None) -> tuple[str, "object"]:
    """(device, dtype): cuda with bf16 (or fp16) when present, else cpu with fp32."""
    import torch  # heavy optional dependency: kept out of start-up

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        return device, (torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
    return device, torch.float32


@dataclass(frozen=True)
class _Prepared:
    req: ExpandRequest
    placed: np.ndarray     # the art at placement size, RGB uint8: its bytes are kept exactly
    init: Image.Image      # generation-size init image (the art, reflected outwards)
    mask: Image.Image      # generation-size mask: 255 = regenerate
    gen_size: tuple[int, int]


class DiffusersGenerator:
    name = "diffusers"

    def __init__(self, model_dir: str, device: str | None = None, steps: int = 30, guidance: float = 7.5,
                 max_batch: int = 4, feather_frac: float = 0.04, compile: bool | None = None,
                 compile_backend: str = "inductor") -> None:
        import torch  # heavy optional dependency: kept out of start-up
        from diffusers import AutoPipelineForInpainting  # heavy optional dependency: kept out of start-up

        self.model_dir = str(model_dir)
        self.device, self.dtype = pick_device(device)
        self.steps, self.guidance, self.max_batch, self.feather_frac = steps, guidance, max_batch, feather_frac
        try:
            pipe = AutoPipelineForInpainting.from_pretrained(self.model_dir, dtype=self.dtype,
                                                             local_files_only=True)
        except (OSError, ValueError) as exc:
            raise GeneratorError(f"cannot load an inpainting pipeline from {self.model_dir}: {exc}") from exc
        pipe.set_progress_bar_config(disable=True)
        self.pipe = pipe.to(self.device)
        self.fingerprint = weights_fingerprint(self.model_dir)
        self.native = int(pipe.unet.config.sample_size) * int(pipe.vae_scale_factor)
        self.multiple = int(pipe.vae_scale_factor) * 2 ** (len(pipe.unet.config.block_out_channels) - 1)
        self._torch = torch
        self.compiled = self.device.startswith("cuda") if compile is None else bool(compile)
        if self.compiled:
            self._compile_unet(compile_backend)

    def _compile_unet(self, backend: str) -> None:
        """torch.compile the UNet (the step that runs 2 x steps times per image) with one static
        graph per (batch, generation size): compiled once per shape, at warm-up or first use."""
        dynamo = self._torch._dynamo.config
        for knob in ("recompile_limit", "cache_size_limit"):  # one graph per shape, many shapes
            if hasattr(dynamo, knob):
                setattr(dynamo, knob, max(64, getattr(dynamo, knob)))
        self.pipe.unet = self._torch.compile(self.pipe.unet, fullgraph=True, dynamic=False, backend=backend)

    def warm_up(self, canvases: list[tuple[int, int]], batches: list[int]) -> list[dict]:
        """Run every (generation size, batch) the worker will meet once, two steps each, so the
        compiled UNet's graphs exist before the first job. Returns what it did and how long."""
        done = []
        for size in sorted({self.gen_size(c) for c in canvases}):
            for n in sorted(set(batches)):
                t0 = time.perf_counter()
                blank = Image.new("RGB", size, (128, 128, 128))
                self._run([""] * n, [blank] * n, [Image.new("L", size, 255)] * n, list(range(n)), size,
                          output_type="pt", steps=2)
                done.append({"gen_size": list(size), "batch": n, "s": round(time.perf_counter() - t0, 2)})
        return done

    def describe(self) -> dict:
        return {"backend": self.name, "model_dir": self.model_dir, "weights_sha256": self.fingerprint,
                "device": self.device, "dtype": str(self.dtype).replace("torch.", ""),
                "pipeline": type(self.pipe).__name__, "scheduler": type(self.pipe.scheduler).__name__,
                "native": self.native, "steps": self.steps, "guidance": self.guidance, "compiled": self.compiled}

    # -- sizes -------------------------------------------------------------------------------
    def gen_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """The canvas scaled to about native x native pixels, each side a multiple the UNet accepts."""
        w, h = size
        s = self.native / math.sqrt(w * h)
        m = self.multiple
        return max(m, round(w * s / m) * m), max(m, round(h * s / m) * m)

    def _run(self, prompts: list[str], images: list[Image.Image], masks: list[Image.Image], seeds: list[int],
             size: tuple[int, int], strength: float = 1.0, output_type: str = "pil",
             steps: int | None = None) -> list:
        torch = self._torch
        gens = [torch.Generator(device=self.device).manual_seed(int(s)) for s in seeds]
        with torch.inference_mode():
            out = self.pipe(prompt=prompts, negative_prompt=[NEGATIVE] * len(prompts), image=images,
                            mask_image=masks, height=size[1], width=size[0], strength=strength,
                            num_inference_steps=steps or self.steps, guidance_scale=self.guidance,
                            generator=gens, output_type=output_type)
        return list(out.images)

    # -- protocol ----------------------------------------------------------------------------
    def expand(self, image: Image.Image, canvas: tuple[int, int], placement: Box, prompt: str = "",
               seed: int = 0) -> Generated:
        return self.expand_batch([ExpandRequest(image, canvas, placement, prompt, seed)])[0]

    def _prepare(self, req: ExpandRequest) -> _Prepared:
        placed = np.asarray(placed_art(req))
        size = self.gen_size(req.canvas)
        init, mask = generation_inputs(placed, req.canvas, req.placement, size)
        return _Prepared(req, placed, Image.fromarray(init, "RGB"), Image.fromarray(mask, "L"), size)

    def _upscale(self, image: "object", canvas: tuple[int, int]) -> np.ndarray:
        """One generated image (3 x h x w in [0, 1], on the device) to canvas size, as uint8 RGB
        on the host: bicubic on the device, so only the final bytes cross the bus."""
        torch = self._torch
        w, h = canvas
        up = torch.nn.functional.interpolate(image[None].float(), size=(h, w), mode="bicubic", align_corners=False)
        return up[0].clamp_(0, 1).mul_(255).round_().to(torch.uint8).permute(1, 2, 0).contiguous().cpu().numpy()

    def _finish(self, p: _Prepared, generated: "object", started: float, batch: int) -> Generated:
        """Upscale, blend the seam, put the art's bytes back; the provenance of the result."""
        image = finish_canvas(self._upscale(generated, p.req.canvas), p.placed, p.req.placement, self.feather_frac)
        mask = Image.new("L", p.req.canvas, 255)
        pl = p.req.placement
        mask.paste(0, (pl.x, pl.y, pl.right, pl.bottom))
        return Generated(Image.fromarray(image, "RGB"), mask, record(
            self.name, "expand", seed=p.req.seed, prompt=p.req.prompt, strength=1.0, steps=self.steps,
            model_dir=self.model_dir, fingerprint=self.fingerprint, device=self.device,
            dtype=str(self.dtype).replace("torch.", ""), started=started, gen_size=list(p.gen_size),
            batch=batch, guidance=self.guidance, pipeline=type(self.pipe).__name__))

    def expand_batch(self, requests: list[ExpandRequest]) -> list[Generated]:
        """Expand many; requests of one generation size share a forward pass (up to max_batch).

        The CPU work runs on a small thread pool (OpenCV and numpy release the GIL): all items
        are prepared at once, and a chunk's seams are blended while the next chunk denoises."""
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=min(4, max(1, len(requests)))) as pool:
            prepared = list(pool.map(self._prepare, requests))
            groups: dict[tuple[int, int], list[int]] = {}
            for i, p in enumerate(prepared):
                groups.setdefault(p.gen_size, []).append(i)
            pending: dict[int, Future] = {}
            for size, idx in groups.items():
                for k in range(0, len(idx), self.max_batch):
                    chunk = idx[k:k + self.max_batch]
                    t1 = time.perf_counter()
                    outs = self._run([prepared[i].req.prompt for i in chunk], [prepared[i].init for i in chunk],
                                     [prepared[i].mask for i in chunk], [prepared[i].req.seed for i in chunk], size,
                                     output_type="pt")
                    for i, gen in zip(chunk, outs):
                        pending[i] = pool.submit(self._finish, prepared[i], gen, t1, len(chunk))
            results = [pending[i].result() for i in range(len(prepared))]
        for r in results:
            r.provenance["batch_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        return results

    def remove(self, image: Image.Image, mask: Image.Image, seed: int = 0, prompt: str = "") -> Generated:
        """Regenerate the masked pixels from a context window around them, at native resolution."""
        t0 = time.perf_counter()
        rgb = image.convert("RGB")
        m = mask.convert("L").point(lambda v: 255 if v else 0)
        if m.size != rgb.size:
            raise GeneratorError(f"mask {m.size} and image {rgb.size} differ in size")
        bbox = m.getbbox()
        if bbox is None:
            return Generated(rgb.copy(), m, record(self.name, "remove", seed=seed, started=t0, method="empty mask"))
        x0, y0, x1, y1 = bbox
        side = max(x1 - x0, y1 - y0)
        pad = max(side // 2, self.multiple * 2)
        win = (max(0, x0 - pad), max(0, y0 - pad), min(rgb.width, x1 + pad), min(rgb.height, y1 + pad))
        crop, crop_mask = rgb.crop(win), m.crop(win)
        size = self.gen_size(crop.size)
        small_mask = crop_mask.resize(size, Image.Resampling.BILINEAR).point(lambda v: 255 if v else 0)
        gen = self._run([prompt or "clean background"], [crop.resize(size, Image.Resampling.LANCZOS)],
                        [small_mask], [seed], size)[0]
        up = Image.new("RGB", rgb.size)
        up.paste(gen.convert("RGB").resize(crop.size, Image.Resampling.LANCZOS), win[:2])
        alpha = self._feather_inside(m)
        result = composite_exact(rgb, up, m, alpha)
        return Generated(result, m, record(
            self.name, "remove", seed=seed, prompt=prompt, strength=1.0, steps=self.steps, model_dir=self.model_dir,
            fingerprint=self.fingerprint, device=self.device, dtype=str(self.dtype).replace("torch.", ""),
            started=t0, window=list(win), gen_size=list(size)))

    def _feather_inside(self, mask: Image.Image) -> Image.Image:
        m = (np.asarray(mask) > 0).astype(np.uint8)
        dist = cv2.distanceTransform(m, cv2.DIST_L2, 3)
        return Image.fromarray((np.clip(dist / 2.0, 0.5, 1) * 255).astype(np.uint8) * m, "L")

    def restyle(self, image: Image.Image, prompt: str, strength: float = 0.5, seed: int = 0) -> Generated:
        """Re-imagine the whole image at `strength` (0 keeps it, 1 ignores it), via the inpainting
        pipeline with a full mask, so inpainting-only checkpoints can restyle too."""
        if not 0.0 < strength <= 1.0:
            raise GeneratorError(f"strength must be in (0, 1], got {strength}")
        t0 = time.perf_counter()
        rgb = image.convert("RGB")
        size = self.gen_size(rgb.size)
        full = Image.new("L", size, 255)
        gen = self._run([prompt], [rgb.resize(size, Image.Resampling.LANCZOS)], [full], [seed], size, strength)[0]
        out = gen.convert("RGB").resize(rgb.size, Image.Resampling.LANCZOS)
        return Generated(out, Image.new("L", rgb.size, 255), record(
            self.name, "restyle", seed=seed, prompt=prompt, strength=strength, steps=self.steps,
            model_dir=self.model_dir, fingerprint=self.fingerprint, device=self.device,
            dtype=str(self.dtype).replace("torch.", ""), started=t0, gen_size=list(size)))
