"""Small previews for the campaign matrix: a WebP of a few KB per variant, made when the variant
is rendered and kept in the blob store next to its full-size files (not an export encoding:
Variant.assets stays what goes to the CDN; the preview is referenced from the report)."""
from __future__ import annotations

import hashlib
import io

from PIL import Image

from . import blob_store

#: Twice the matrix cell (120x90 CSS px) for high-density screens.
PREVIEW_BOX = (240, 180)
PREVIEW_QUALITY = 72


def preview_size(size: tuple[int, int], box: tuple[int, int] = PREVIEW_BOX) -> tuple[int, int]:
    """The largest size of the same aspect inside `box` (never larger than `size`)."""
    s = min(1.0, box[0] / size[0], box[1] / size[1])
    return max(1, round(size[0] * s)), max(1, round(size[1] * s))


def preview_bytes(image: Image.Image) -> bytes:
    """Resized straight from the canvas (a box reduce first, then LANCZOS: Image.thumbnail's
    way, without the full-size copy that thumbnail, working in place, would need)."""
    size = preview_size(image.size)
    image.draft("RGB", (size[0] * 2, size[1] * 2))  # a JPEG not yet decoded decodes at a reduced scale
    img = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    img = img if img.mode == "RGB" else img.convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "WEBP", quality=PREVIEW_QUALITY, method=4)
    return buf.getvalue()


def store_preview(image: Image.Image) -> dict:
    """Encode and store the preview; the dict goes into Variant.report["preview"]."""
    data = preview_bytes(image)
    return {"key": blob_store().put(data), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
            "mime": "image/webp"}
