"""The classical backend: OpenCV inpainting and an edge-aware canvas extension.

Used when no model (or no GPU worth waiting for) is configured. Expand mirrors the source
across each seam, so edges and lines continue into the new area, then blurs more the
further a pixel lies from the source, fading into a soft wash of the art's own colours.
Remove uses Telea inpainting. Neither can follow a prompt, so restyle is not offered.
"""
from __future__ import annotations

import time

import cv2
import numpy as np
from PIL import Image

from ..render.geometry import Box
from .protocol import ExpandRequest, Generated, GeneratorError, composite_exact, placed_canvas
from .provenance import record


def mirror_extend(image: np.ndarray, canvas: tuple[int, int], placement: Box) -> np.ndarray:
    """The placed image reflected outwards to fill the canvas (numpy 'symmetric' padding)."""
    w, h = canvas
    p = placement
    pad = ((p.y, h - p.bottom), (p.x, w - p.right), (0, 0))
    return np.pad(image, pad, mode="symmetric")


def _blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur; large sigmas run on a downscaled copy (same look, a fraction of the time)."""
    h, w = img.shape[:2]
    f = max(1, int(sigma // 3))
    if f == 1:
        return cv2.GaussianBlur(img, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REFLECT).astype(np.float32)
    small = cv2.resize(img, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigmaX=sigma / f, borderType=cv2.BORDER_REFLECT)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)


def graded_blur(filled: np.ndarray, new_area: np.ndarray) -> np.ndarray:
    """Blur each new pixel by how far it is from the source: crisp at the seam, soft far away."""
    h, w = new_area.shape
    dist = cv2.distanceTransform(new_area.astype(np.uint8), cv2.DIST_L2, 5)
    unit = max(4.0, min(w, h) / 40.0)
    sigmas = [0.0, unit * 0.5, unit * 1.5, unit * 4.0, unit * 10.0]
    reach = [0.0, unit * 1.0, unit * 4.0, unit * 10.0, unit * 24.0]
    layers = [filled.astype(np.float32)]
    for s in sigmas[1:]:
        layers.append(_blur(filled, s))
    out = layers[0].copy()
    for i in range(1, len(layers)):
        t = np.clip((dist - reach[i - 1]) / max(reach[i] - reach[i - 1], 1e-6), 0.0, 1.0)[..., None]
        out = out * (1 - t) + layers[i] * t
    # Far from the source, darken gently so the generated wash never outshines the art.
    fade = np.clip(dist / (unit * 30.0), 0.0, 1.0)[..., None] * 0.25
    out = out * (1 - fade)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


class ClassicalGenerator:
    name = "classical"

    def describe(self) -> dict:
        return {"backend": self.name, "model_dir": None, "weights_sha256": None, "device": "cpu",
                "opencv": cv2.__version__}

    def expand(self, image: Image.Image, canvas: tuple[int, int], placement: Box, prompt: str = "",
               seed: int = 0) -> Generated:
        return self.expand_batch([ExpandRequest(image, canvas, placement, prompt, seed)])[0]

    def expand_batch(self, requests: list[ExpandRequest]) -> list[Generated]:
        out = []
        for req in requests:
            t0 = time.perf_counter()
            base, mask, placed = placed_canvas(req)
            filled = mirror_extend(np.asarray(placed), req.canvas, req.placement)
            soft = graded_blur(filled, np.asarray(mask) > 0)
            result = composite_exact(base, Image.fromarray(soft, "RGB"), mask)
            out.append(Generated(result, mask, record(self.name, "expand", seed=req.seed, prompt=req.prompt,
                                                      started=t0, method="mirror+graded-blur")))
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
