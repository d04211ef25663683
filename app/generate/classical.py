"""The classical backend: the render's model-free canvas extension and OpenCV inpainting, as a Generator.

Used when no model (or no GPU worth waiting for) is configured. Expand fills the new area in
the brand kit's extension style (app.render.extension_fill: blur_backdrop, palette, mirror);
placed pixels stay byte-identical. Remove uses Telea inpainting. Neither can follow a prompt,
so restyle is not offered.
"""
from __future__ import annotations

import time

import cv2
import numpy as np
from PIL import Image

from ..render.extension import CLASSICAL, extend_canvas
from ..render.geometry import Box
from ..render.kit import DEFAULT_EXTENSION, EXTENSION_STYLES
from ..render.provenance import record
from .protocol import ExpandRequest, Generated, GeneratorError, composite_exact, placed_canvas


class ClassicalGenerator:
    name = CLASSICAL

    def describe(self) -> dict:
        return {"backend": self.name, "model_dir": None, "weights_sha256": None, "device": "cpu",
                "opencv": cv2.__version__, "extension_styles": list(EXTENSION_STYLES)}

    def expand(self, image: Image.Image, canvas: tuple[int, int], placement: Box, prompt: str = "",
               seed: int = 0, style: str = DEFAULT_EXTENSION) -> Generated:
        return self.expand_batch([ExpandRequest(image, canvas, placement, prompt, seed, style)])[0]

    def expand_batch(self, requests: list[ExpandRequest]) -> list[Generated]:
        out = []
        for req in requests:
            if req.style not in EXTENSION_STYLES:
                raise GeneratorError(f"extension style {req.style!r} is not one of {', '.join(EXTENSION_STYLES)}")
            t0 = time.perf_counter()
            _, mask, placed = placed_canvas(req)   # GeneratorError for a placement off the canvas
            result, method = extend_canvas(placed, req.canvas, req.placement, req.style, req.seed)
            out.append(Generated(result, mask, record(self.name, "expand", seed=req.seed, prompt=req.prompt,
                                                      started=t0, method=method, style=req.style)))
        return out

    def remove(self, image: Image.Image, mask: Image.Image, seed: int = 0) -> Generated:
        t0 = time.perf_counter()
        rgb = image.convert("RGB")
        m = np.asarray(mask.convert("L").resize(rgb.size) if mask.size != rgb.size else mask.convert("L"))
        m = (m > 0).astype(np.uint8) * 255
        if not m.any():
            return Generated(rgb.copy(), Image.fromarray(m, "L"),
                             record(self.name, "remove", seed=seed, started=t0, method="none (empty mask)"))
        radius = max(3, round(min(rgb.size) / 150))
        bgr = cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2BGR)
        filled = cv2.cvtColor(cv2.inpaint(bgr, m, radius, cv2.INPAINT_TELEA), cv2.COLOR_BGR2RGB)
        mask_img = Image.fromarray(m, "L")
        result = composite_exact(rgb, Image.fromarray(filled, "RGB"), mask_img)
        return Generated(result, mask_img, record(self.name, "remove", seed=seed, started=t0,
                                                  method=f"cv2.inpaint TELEA r={radius}"))

    def restyle(self, image: Image.Image, prompt: str, strength: float = 0.5, seed: int = 0) -> Generated:
        raise GeneratorError("the classical backend cannot restyle; configure MARQUEE_MODEL_DIR")
