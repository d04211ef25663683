"""Encode a finished canvas into delivery formats.

JPEG is the master: the only encoding made at render time. WebP is derived from the stored
JPEG when the API, the UI or an export first asks for it (see app.services.encodings), because
a WebP encode costs 8-20x a JPEG one (2000x3000: ~580 ms against ~50 ms on one core) and most
variants are never fetched as WebP.

JPEG settings, measured on one core (Pillow, quality 86, 4:2:0, a 2000x3000 poster / 1080x1920 /
1200x628): baseline 28.6 / 5.4 / 2.0 ms, 462 / 215 / 102 KiB; optimize 52 / 15 / 3.9 ms, -2 %;
progressive (with or without optimize) 77 / 27-36 / 17-22 ms, -3.7 %. Optimized Huffman tables
are worth their cost; progressive scans buy another 1.8 % for 1.5-5x the time, so masters are
baseline optimized.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image

MIME = {"jpeg": "image/jpeg", "webp": "image/webp"}
#: The encoding every render stores; the others are derived from it on demand.
MASTER = "jpeg"
#: Encodings made from the stored master when first asked for.
DERIVED = ("webp",)
#: Bumped when an encoder setting changes, so cached derivations are made again.
DERIVE_VERSION = 1
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
    rgb = image if image.mode == "RGB" else image.convert("RGB")  # convert() of RGB is a full copy
    if kind == "jpeg":
        rgb.save(buf, "JPEG", quality=quality, optimize=True, progressive=False, subsampling="4:2:0")
    elif kind == "webp":
        rgb.save(buf, "WEBP", quality=quality, method=4)
    else:
        raise ValueError(f"unknown encoding {kind!r}")
    data = buf.getvalue()
    return Encoded(kind, data, hashlib.sha256(data).hexdigest(), rgb.width, rgb.height)


def encode_all(image: Image.Image, kinds: tuple[str, ...] = (MASTER,)) -> dict[str, Encoded]:
    return {k: encode(image, k) for k in kinds}


def derive(master: bytes, kind: str) -> Encoded:
    """Another encoding of a stored master: decode it once and encode again (same pixels as
    the master a client sees, so WebP and JPEG of one revision can never disagree)."""
    if kind not in DERIVED:
        raise ValueError(f"{kind!r} is not derived from the master; derived: {', '.join(DERIVED)}")
    with Image.open(io.BytesIO(master)) as img:
        return encode(img, kind)
