"""Pixel work of review and its pages: a marked area edited by a generator (remove or restyle),
stored images decoded, and the key art downscaled for display next to a variant.

Pure: bytes and Pillow images in and out. The generator is whatever the caller holds (the
process's resident backend); this module only needs its remove and restyle."""
from __future__ import annotations

import io
from typing import Protocol

from PIL import Image, ImageDraw

EDIT_OPS = ("remove", "restyle")


class _Result(Protocol):
    image: Image.Image


class AreaGenerator(Protocol):
    """The two operations of app.generate's Generator an area edit uses."""

    def remove(self, image: Image.Image, mask: Image.Image, seed: int = 0) -> _Result: ...

    def restyle(self, image: Image.Image, prompt: str, strength: float = 0.5, seed: int = 0) -> _Result: ...


def pixel_box(box: dict[str, float], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """A rectangle in fractions of the image (x, y, w, h) as pixel corners (left, top, right, bottom)."""
    w, h = size
    return (round(box["x"] * w), round(box["y"] * h), round((box["x"] + box["w"]) * w),
            round((box["y"] + box["h"]) * h))


def edit_area(image: Image.Image, op: str, box: dict[str, float], prompt: str, gen: AreaGenerator) -> Image.Image:
    """"remove": the generator fills the marked area from its surroundings; "restyle": the
    marked area is restyled with `prompt` and pasted back at its place and size."""
    rect = pixel_box(box, image.size)
    if op == "remove":
        mask = Image.new("L", image.size, 0)
        ImageDraw.Draw(mask).rectangle(rect, fill=255)
        return gen.remove(image, mask).image
    if op != "restyle":
        raise ValueError(f"op must be one of {', '.join(EDIT_OPS)}, not {op!r}")
    region = image.crop(rect)
    styled = gen.restyle(region, prompt).image.resize(region.size)
    out = image.copy()
    out.paste(styled, rect[:2])
    return out


def open_image(data: bytes) -> Image.Image:
    """A stored image (PNG, JPEG, WebP), opened lazily as Pillow does."""
    return Image.open(io.BytesIO(data))


def open_rgb(data: bytes) -> Image.Image:
    return open_image(data).convert("RGB")


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "PNG")
    return buf.getvalue()


def display_jpeg(data: bytes, box: tuple[int, int] = (900, 900), quality: int = 85) -> bytes:
    """A JPEG of the image fitted inside `box`, downscaled before the RGB conversion (so no
    full-size copy is made, and a JPEG is decoded at a reduced scale via draft())."""
    img = open_image(data)
    img.thumbnail(box)
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()
