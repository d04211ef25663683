"""Decode uploaded key art once into an sRGB working copy, refusing bad input clearly."""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# Explicit decompression-bomb limit (Pillow's default warns at 89 Mpx and only errors at
# twice that). 100 Mpx covers any real key art (a 8000x12000 master is 96 Mpx).
MAX_PIXELS = 100_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff"}


class DecodeError(ValueError):
    """The bytes are not an image Marquee accepts; the message says why."""


@dataclass(frozen=True)
class Decoded:
    image: Image.Image        # RGB, sRGB, EXIF orientation applied
    format: str               # "JPEG", "PNG", ...
    mime: str
    width: int                # of the working copy (after orientation)
    height: int
    icc_profile: str | None   # description of the embedded profile, None if untagged


def _profile_name(icc: bytes) -> str:
    try:
        return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip()
    except (ImageCms.PyCMSError, OSError):
        return "unreadable ICC profile"


def _to_srgb(img: Image.Image, icc: bytes | None) -> Image.Image:
    if img.mode not in ("RGB", "RGBA", "CMYK", "L", "LA", "P", "I;16", "I", "F"):
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "P"):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (0, 0, 0))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img = flat
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            dst = ImageCms.createProfile("sRGB")
            out_mode = "RGB"
            if img.mode not in ("RGB", "CMYK", "L"):
                img = img.convert("RGB")
            return ImageCms.profileToProfile(img, src, dst, outputMode=out_mode,
                                             renderingIntent=ImageCms.Intent.PERCEPTUAL)
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: fall back to treating pixels as sRGB
    return img.convert("RGB")


def decode(data: bytes) -> Decoded:
    """Decode, verify completeness, apply EXIF orientation and convert to sRGB."""
    if not data:
        raise DecodeError("the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            fmt = probe.format or ""
            if fmt not in ACCEPTED_FORMATS:
                raise DecodeError(f"unsupported image format {fmt or 'unknown'}; send JPEG, PNG, WebP or TIFF")
            if probe.width * probe.height > MAX_PIXELS:
                raise DecodeError(
                    f"image is {probe.width}x{probe.height} = {probe.width * probe.height} pixels, "
                    f"over the limit of {MAX_PIXELS}")
            probe.verify()
            img = Image.open(io.BytesIO(data))
            img.load()  # raises on truncated data
    except DecodeError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DecodeError(f"image rejected as a decompression bomb: {exc}") from None
    except UnidentifiedImageError:
        raise DecodeError("the file is not an image Marquee can read (JPEG, PNG, WebP or TIFF)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise DecodeError(f"the image is damaged or truncated: {exc}") from None
    icc = img.info.get("icc_profile")
    img = ImageOps.exif_transpose(img)
    rgb = _to_srgb(img, icc)
    return Decoded(rgb, fmt, ACCEPTED_FORMATS[fmt], rgb.width, rgb.height,
                   _profile_name(icc) if icc else None)
