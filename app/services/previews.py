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


def preview_bytes(image: Image.Image) -> bytes:
    img = image.convert("RGB")
    img.thumbnail(PREVIEW_BOX, Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "WEBP", quality=PREVIEW_QUALITY, method=4)
    return buf.getvalue()


def store_preview(image: Image.Image) -> dict:
    """Encode and store the preview; the dict goes into Variant.report["preview"]."""
    data = preview_bytes(image)
    return {"key": blob_store().put(data), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
            "mime": "image/webp"}
