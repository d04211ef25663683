"""The generator protocol and the plain data it trades in.

Masks are mode "L" images the size of the output: 255 where pixels were generated, 0 where
they are the input's, byte for byte. Every result carries its provenance (backend, model
directory, weights fingerprint, seed, steps, prompt, strength, time) so a variant can say
exactly what made it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
from PIL import Image

from ..render.geometry import Box
from ..render.kit import DEFAULT_EXTENSION, EXTENSION_STYLES

__all__ = ["DEFAULT_EXTENSION", "EXTENSION_STYLES", "ExpandRequest", "Generated", "Generator", "GeneratorError",
           "RemoveRequest", "composite_exact", "placed_canvas"]


class GeneratorError(RuntimeError):
    """A backend cannot do what was asked (no model, unsupported operation, bad input)."""


@dataclass(frozen=True)
class ExpandRequest:
    """Place `image` at `placement` on a `canvas` (w, h) and generate everything around it."""

    image: Image.Image
    canvas: tuple[int, int]
    placement: Box
    prompt: str = ""
    seed: int = 0
    style: str = DEFAULT_EXTENSION   # render.kit.EXTENSION_STYLES; only backends without a model read it


@dataclass(frozen=True)
class RemoveRequest:
    """Regenerate the pixels of `image` where `mask` is non-zero (baked-in text, a marked area)."""

    image: Image.Image
    mask: Image.Image
    seed: int = 0
    prompt: str = ""


@dataclass
class Generated:
    image: Image.Image
    mask: Image.Image
    provenance: dict = field(default_factory=dict)


@runtime_checkable
class Generator(Protocol):
    name: str

    def expand(self, image: Image.Image, canvas: tuple[int, int], placement: Box, prompt: str = "",
               seed: int = 0) -> Generated: ...

    def remove(self, image: Image.Image, mask: Image.Image, seed: int = 0) -> Generated: ...

    def restyle(self, image: Image.Image, prompt: str, strength: float = 0.5, seed: int = 0) -> Generated: ...

    def expand_batch(self, requests: list[ExpandRequest]) -> list[Generated]: ...

    def describe(self) -> dict: ...


def placed_art(req: ExpandRequest) -> Image.Image:
    """The image at placement size, RGB; refused when the placement leaves the canvas.

    The image is resized only when its size differs: callers that want the placed pixels
    byte-identical to their own pass an image already at placement size."""
    w, h = req.canvas
    p = req.placement
    if p.w <= 0 or p.h <= 0 or p.x < 0 or p.y < 0 or p.right > w or p.bottom > h:
        raise GeneratorError(f"placement {p.as_list()} does not lie inside the canvas {w}x{h}")
    img = req.image.convert("RGB")
    return img if img.size == (p.w, p.h) else img.resize((p.w, p.h), Image.Resampling.LANCZOS)


def placed_canvas(req: ExpandRequest) -> tuple[Image.Image, Image.Image, Image.Image]:
    """(canvas with the image pasted, mask of the new area, the image at placement size)."""
    img, p = placed_art(req), req.placement
    canvas = Image.new("RGB", req.canvas, (0, 0, 0))
    canvas.paste(img, (p.x, p.y))
    mask = Image.new("L", req.canvas, 255)
    mask.paste(0, (p.x, p.y, p.right, p.bottom))
    return canvas, mask, img


def composite_exact(original: Image.Image, generated: Image.Image, mask: Image.Image,
                    alpha: Image.Image | None = None) -> Image.Image:
    """Generated pixels where mask > 0 (blended by `alpha` if given), original bytes elsewhere."""
    o = np.asarray(original.convert("RGB"))
    g = np.asarray(generated.convert("RGB").resize(original.size, Image.Resampling.LANCZOS)
                   if generated.size != original.size else generated.convert("RGB"))
    m = np.asarray(mask.convert("L")) > 0
    a = (np.asarray(alpha.convert("L"), dtype=np.float32) / 255.0)[..., None] if alpha is not None else 1.0
    blended = np.clip(o.astype(np.float32) * (1 - a) + g.astype(np.float32) * a + 0.5, 0, 255).astype(np.uint8)
    out = np.where(m[..., None], blended, o)
    return Image.fromarray(out, "RGB")
