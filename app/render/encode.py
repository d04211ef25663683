"""Encode a finished canvas into delivery formats."""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image

MIME = {"jpeg": "image/jpeg", "webp": "image/webp"}
EXT = {"jpeg": "jpg", "webp": "webp"}


@dataclass(frozen=True)
class Encoded:
    kind: str      # "jpeg" | "webp"
    data: bytes
    sha256: str
    width: int
    height: int

    @property
    def mime(self) -> str:
        return MIME[self.kind]

    @property
    def ext(self) -> str:
        return EXT[self.kind]


def encode(image: Image.Image, kind: str, quality: int = 86) -> Encoded:
    buf = io.BytesIO()
    rgb = image.convert("RGB")
    if kind == "jpeg":
        rgb.save(buf, "JPEG", quality=quality, optimize=True, progressive=True, subsampling="4:2:0")
    elif kind == "webp":
        rgb.save(buf, "WEBP", quality=quality, method=4)
    else:
        raise ValueError(f"unknown encoding {kind!r}")
    data = buf.getvalue()
    return Encoded(kind, data, hashlib.sha256(data).hexdigest(), rgb.width, rgb.height)


def encode_all(image: Image.Image, kinds: tuple[str, ...] = ("jpeg", "webp")) -> dict[str, Encoded]:
    return {k: encode(image, k) for k in kinds}
