"""Compose: scrim under the text zone, logo, and the finished canvas."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image

from .geometry import Box


def gradient_scrim(canvas: Image.Image, zone: Box, color: tuple[int, int, int],
                   max_alpha: float = 0.72, from_edge: str = "bottom") -> None:
    """Darken towards the canvas edge behind the text so it reads on any art (in place)."""
    w, h = canvas.size
    if from_edge in ("bottom", "top"):
        start = max(0, zone.y - zone.h // 2) if from_edge == "bottom" else 0
        end = h if from_edge == "bottom" else min(h, zone.bottom + zone.h // 2)
        n = max(1, end - start)
        ramp = np.linspace(0.0, 1.0, n) if from_edge == "bottom" else np.linspace(1.0, 0.0, n)
        alpha = (np.clip(ramp * 1.6, 0, 1) ** 1.3 * max_alpha)[:, None]
        region = (0, start, w, end)
    else:
        start = 0 if from_edge == "left" else max(0, zone.x - zone.w // 3)
        end = min(w, zone.right + zone.w // 3) if from_edge == "left" else w
        n = max(1, end - start)
        ramp = np.linspace(1.0, 0.0, n) if from_edge == "left" else np.linspace(0.0, 1.0, n)
        alpha = (np.clip(ramp * 1.6, 0, 1) ** 1.3 * max_alpha)[None, :]
        region = (start, 0, end, h)
    patch = np.asarray(canvas.crop(region), dtype=np.float32)
    a = alpha[..., None]
    blended = patch * (1 - a) + np.array(color, dtype=np.float32) * a
    canvas.paste(Image.fromarray(blended.round().astype(np.uint8)), region[:2])


def place_logo(canvas: Image.Image, logo_png: bytes | None, width_frac: float, margin: int,
               corner: str = "top-left") -> Box | None:
    """Paste the kit's logo (with alpha) into a corner; returns where it went."""
    if not logo_png:
        return None
    logo = Image.open(io.BytesIO(logo_png)).convert("RGBA")
    target_w = max(16, round(canvas.width * width_frac))
    target_h = max(1, round(logo.height * target_w / logo.width))
    if target_h > canvas.height * 0.12:
        target_h = round(canvas.height * 0.12)
        target_w = max(1, round(logo.width * target_h / logo.height))
    logo = logo.resize((target_w, target_h), Image.Resampling.LANCZOS)
    x = margin if corner.endswith("left") else canvas.width - margin - target_w
    y = margin if corner.startswith("top") else canvas.height - margin - target_h
    canvas.paste(logo, (x, y), logo)
    return Box(x, y, target_w, target_h)
