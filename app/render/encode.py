"""Encode a finished canvas into delivery formats.

JPEG is the master: the only encoding made at render time. WebP and AVIF are derived from the
stored JPEG when the API, the UI or an export first asks for them (see app.services.encodings),
because they cost 15-100x a JPEG encode and most variants are never fetched in them. Measured on
one core, a 2000x3000 poster with text: JPEG 41 ms / 471 KiB, WebP 0.7 s / 200 KiB, AVIF
(quality 60, speed 6) 3.7-4.5 s / 125 KiB at the WebP's PSNR (43.7 dB against the canvas);
AVIF speed 8 takes 1.4 s but 145 KiB. A derived file is made once per revision and then served
from the blob store to every client and CDN, so AVIF takes the smaller file.

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

MIME = {"jpeg": "image/jpeg", "webp": "image/webp", "avif": "image/avif"}
#: The encoding every render stores; the others are derived from it on demand.
MASTER = "jpeg"
#: Encodings made from the stored master when first asked for.
DERIVED = ("webp", "avif")
#: Every encoding a client or an export target may ask for.
ENCODINGS = (MASTER, *DERIVED)
#: Bumped when an encoder setting changes, so cached derivations are made again.
DERIVE_VERSION = 1
EXT = {"jpeg": "jpg", "webp": "webp", "avif": "avif"}
#: AVIF settings (libavif through Pillow, 4:2:0): see the module docstring.
AVIF_QUALITY, AVIF_SPEED = 60, 6


@dataclass(frozen=True)
class Encoded:
    kind: str      # "jpeg" | "webp" | "avif"
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
    elif kind == "avif":
        rgb.save(buf, "AVIF", quality=AVIF_QUALITY, speed=AVIF_SPEED)
    else:
        raise ValueError(f"unknown encoding {kind!r}")
    data = buf.getvalue()
    return Encoded(kind, data, hashlib.sha256(data).hexdigest(), rgb.width, rgb.height)


def encode_all(image: Image.Image, kinds: tuple[str, ...] = (MASTER,)) -> dict[str, Encoded]:
    return {k: encode(image, k) for k in kinds}


def derive(master: bytes, kind: str) -> Encoded:
    """Another encoding of a stored master: decode it once and encode again (same pixels as
    the master a client sees, so the encodings of one revision can never disagree)."""
    if kind not in DERIVED:
        raise ValueError(f"{kind!r} is not derived from the master; derived: {', '.join(DERIVED)}")
    with Image.open(io.BytesIO(master)) as img:
        return encode(img, kind)
