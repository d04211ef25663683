"""Decode uploaded key art once into an sRGB working copy, refusing bad input clearly.

Fidelity: 16-bit samples are scaled to 8 bits (x/257), never clipped; ICC-tagged pixels are
converted to sRGB before anything else; alpha is composited over a background colour in sRGB;
EXIF orientation is applied. GIF and MPO (camera JPEG) give their first frame.

Memory: the working copy is only as large as the largest output format needs (and at most
MAX_WORK_PIXELS). JPEG is decoded straight at a reduced DCT scale (Image.draft); other formats
are decoded once at full size and then converted band by band, so no second full-size copy
is ever made (a 100 Mpx image costs one Pillow buffer plus a working copy).

Completeness: a JPEG is entropy-decoded once more by libjpeg-turbo in strict mode, because
Pillow decodes corrupt Huffman data silently into garbage; every other decoder must consume
its data to the end (Pillow's LOAD_TRUNCATED_IMAGES stays False).
"""
from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

import numpy as np
import simplejpeg
from PIL import Image, ImageCms, ImageFile, JpegImagePlugin, UnidentifiedImageError

from .formats import FORMATS, upscale_factor

# Explicit decompression-bomb limit (Pillow's default warns at 89 Mpx and only errors at
# twice that). 100 Mpx covers any real key art (a 8000x12000 master is 96 Mpx).
MAX_PIXELS = 100_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False

#: The working copy never holds more pixels than this (16.8 Mpx, 64 MiB as Pillow RGB).
MAX_WORK_PIXELS = 4096 * 4096
#: Behind transparent pixels when no brand kit says otherwise: a neutral dark grey, not black,
#: so a logo-on-transparency upload stays visible and is not mistaken for a black frame.
DEFAULT_BACKGROUND: tuple[int, int, int] = (32, 32, 32)
#: Rows converted at a time: bounds the temporary copies to about this many pixels.
_BAND_PIXELS = 1_000_000

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff",
                    "GIF": "image/gif", "MPO": "image/jpeg"}
_FORMAT_NAMES = "JPEG, PNG, WebP, TIFF or GIF"

# EXIF orientation -> the transpose that makes the pixels upright (as ImageOps.exif_transpose).
_ORIENT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
           5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")


class DecodeError(ValueError):
    """The bytes are not an image Marquee accepts; the message says why, `code` names the rule."""

    def __init__(self, message: str, code: str = "key_art_undecodable") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Probe:
    """What the header says, before any pixel is decoded (sizes are upright: EXIF applied)."""

    format: str
    mime: str
    width: int
    height: int
    orientation: int


@dataclass(frozen=True)
class Decoded:
    image: Image.Image        # RGB, sRGB, EXIF orientation applied, alpha flattened
    format: str               # "JPEG", "PNG", ...
    mime: str
    width: int                # of the working copy (after orientation and reduction)
    height: int
    icc_profile: str | None   # description of the embedded profile, None if untagged
    source_width: int = 0     # of the upload, upright
    source_height: int = 0


def working_scale(width: int, height: int) -> float:
    """The factor (<= 1) that keeps the working copy no larger than the largest output needs.

    At this scale every format's crop window is still at least the format's size (the
    most-demanding format is filled 1:1), unless MAX_WORK_PIXELS caps it first."""
    need = max(upscale_factor(width, height, f) for f in FORMATS.values())
    return min(1.0, need, math.sqrt(MAX_WORK_PIXELS / (width * height)))


def _profile_name(icc: bytes) -> str:
    try:
        return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip()
    except (ImageCms.PyCMSError, OSError):
        return "unreadable ICC profile"


def _open(data: bytes) -> Image.Image:
    """Open lazily; an MPO is opened as the plain JPEG its first frame is (so draft() works)."""
    img = Image.open(io.BytesIO(data))
    if img.format == "MPO":
        img = JpegImagePlugin.JpegImageFile(io.BytesIO(data))
        img.format = "MPO"
    return img


def _orientation(img: Image.Image, loaded: bool) -> int:
    """EXIF orientation without decoding pixels: a PNG's getexif() would load the whole image to
    look for an eXIf chunk after the pixel data, so before load() only chunks ahead of it count."""
    if img.format == "PNG" and "exif" not in img.info and not loaded:
        return 1
    try:
        value = int(img.getexif().get(0x0112, 1))
    except Exception:  # a broken EXIF block is not worth refusing the picture for
        return 1
    return value if value in _ORIENT else 1


def _check_jpeg_entropy(data: bytes) -> None:
    """Decode the JPEG at 1/8 scale with libjpeg-turbo, failing on any warning: every Huffman
    code is still read, so corrupt scan data is found (Pillow fills it with garbage silently)."""
    try:
        colourspace = simplejpeg.decode_jpeg_header(data)[2]
        target = {"Gray": "GRAY", "CMYK": "CMYK", "YCCK": "CMYK"}.get(colourspace, "RGB")
        simplejpeg.decode_jpeg(data, colorspace=target, min_height=1, min_width=1, strict=True)
    except ValueError as exc:
        raise DecodeError(f"the image is damaged or truncated: {exc}") from None


def _eight_bit(band: Image.Image) -> Image.Image:
    """The band as L, LA, RGB, RGBA or CMYK: 16-bit grey scaled by x/257 (rounded, as a 16-bit-aware
    viewer shows it; Pillow's convert("L") clips it to white), palette or tRNS transparency as a
    real alpha channel. (16-bit RGB(A) PNGs already arrive as 8-bit: Pillow keeps the high byte.)"""
    if band.mode in _SIXTEEN_BIT:
        wide = np.clip(np.asarray(band).astype(np.int32), 0, 65535)  # "I": a 16-bit PNG in old Pillow
        return Image.fromarray(((wide + 128) // 257).astype(np.uint8), "L")
    if band.mode == "F":  # Pillow's own convention for float samples: 0..255
        return band.convert("L")
    if band.mode in ("P", "PA", "RGB", "L", "1") and ("transparency" in band.info or band.mode == "PA"):
        return band.convert("RGBA")  # a palette or tRNS transparency becomes a real alpha channel
    if band.mode in ("RGB", "RGBA", "L", "LA", "CMYK"):
        return band
    if band.mode in ("RGBa", "La"):
        return band.convert("RGBA")
    return band.convert("L" if band.mode == "1" else "RGB")


class _Converter:
    """Turns bands of the decoded image into sRGB RGB over the background, one transform reused."""

    def __init__(self, icc: bytes | None, background: tuple[int, int, int]) -> None:
        self.icc = icc
        self.background = background
        self._transforms: dict[str, ImageCms.ImageCmsTransform | None] = {}

    def _transform(self, mode: str) -> ImageCms.ImageCmsTransform | None:
        if mode not in self._transforms:
            self._transforms[mode] = None
            if self.icc:
                out = "RGBA" if mode == "RGBA" else "RGB"
                try:
                    src = ImageCms.ImageCmsProfile(io.BytesIO(self.icc))
                    self._transforms[mode] = ImageCms.buildTransform(
                        src, ImageCms.createProfile("sRGB"), mode, out,
                        renderingIntent=ImageCms.Intent.PERCEPTUAL)
                except (ImageCms.PyCMSError, OSError, ValueError):
                    pass  # a broken or mismatched profile: treat the pixels as sRGB
        return self._transforms[mode]

    def __call__(self, band: Image.Image) -> Image.Image:
        band = _eight_bit(band)  # now L, LA, RGB, RGBA or CMYK
        alpha = band.getchannel("A") if band.mode in ("LA", "RGBA") else None
        colour = band.getchannel("L") if band.mode == "LA" else band
        transform = self._transform(colour.mode)
        if transform is not None:
            try:
                colour = ImageCms.applyTransform(colour, transform)
            except (ImageCms.PyCMSError, OSError, ValueError):
                pass
        rgb = colour if colour.mode == "RGB" else colour.convert("RGB")
        if alpha is None:
            return rgb
        flat = Image.new("RGB", rgb.size, self.background)
        flat.paste(rgb, mask=alpha)
        return flat


def _reduced(img: Image.Image, size: tuple[int, int], convert: _Converter) -> Image.Image:
    """sRGB RGB, box-reduced by the largest integer factor that stays >= size (the caller
    resamples the rest once the full-size image is freed). Images that need converting at
    full resolution first (alpha, palette, 16-bit) go band by band, so no full-size temporary
    exists besides the decoded image itself."""
    w, h = img.size
    k = max(1, min(w // size[0], h // size[1]))
    if img.mode in ("RGB", "L", "CMYK") and "transparency" not in img.info:
        return convert(img.reduce(k) if k > 1 else img)  # opaque 8-bit: reduce, then convert
    rows = max(k, (_BAND_PIXELS // max(1, w)) // k * k)
    out = Image.new("RGB", (math.ceil(w / k), math.ceil(h / k)))
    for y in range(0, h, rows):
        band = convert(img.crop((0, y, w, min(h, y + rows))))
        out.paste(band.reduce(k) if k > 1 else band, (0, y // k))
    return out


def probe(data: bytes) -> Probe:
    """Read the header only: format, upright size, orientation. Refuses unknown formats and
    images over MAX_PIXELS before a single pixel is decoded."""
    if not data:
        raise DecodeError("the file is empty", "key_art_format")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            fmt = img.format or ""
            if fmt not in ACCEPTED_FORMATS:
                raise DecodeError(f"unsupported image format {fmt or 'unknown'}; send {_FORMAT_NAMES}",
                                  "key_art_format")
            w, h = img.size
            orientation = _orientation(img, loaded=False)
    except DecodeError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DecodeError(f"image rejected as a decompression bomb: {exc}", "key_art_too_large") from None
    except UnidentifiedImageError:
        raise DecodeError(f"the file is not an image Marquee can read ({_FORMAT_NAMES})", "key_art_format") from None
    except MemoryError:
        raise
    except Exception as exc:  # any parser failure on untrusted bytes means a damaged file
        raise DecodeError(f"the image is damaged or truncated: {exc}") from None
    if w * h > MAX_PIXELS:
        raise DecodeError(f"image is {w}x{h} = {w * h} pixels, over the limit of {MAX_PIXELS}", "key_art_too_large")
    if orientation in (5, 6, 7, 8):
        w, h = h, w
    return Probe(fmt, ACCEPTED_FORMATS[fmt], w, h, orientation)


def decode(data: bytes, background: tuple[int, int, int] | None = None) -> Decoded:
    """Decode completely, apply EXIF orientation, convert to sRGB over `background`
    (DEFAULT_BACKGROUND when None) and reduce to the working size (working_scale)."""
    info = probe(data)
    if info.format in ("JPEG", "MPO"):
        _check_jpeg_entropy(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.open(io.BytesIO(data)).verify()  # PNG: chunk CRCs and structure, before decoding
            img = _open(data)
            stored = img.size  # before orientation and draft
            scale = working_scale(info.width, info.height)
            if scale < 1 and info.format in ("JPEG", "MPO"):  # EXIF is in the header: the scale is final
                img.draft(img.mode, (max(1, round(stored[0] * scale)), max(1, round(stored[1] * scale))))
            img.load()  # raises on truncated or corrupt data
            orientation = _orientation(img, loaded=True)  # a PNG's eXIf chunk may follow its pixels
            upright = stored[::-1] if orientation in (5, 6, 7, 8) else stored
            scale = working_scale(*upright)
            size = (max(1, round(stored[0] * scale)), max(1, round(stored[1] * scale)))
            icc = img.info.get("icc_profile")
            working = _reduced(img, size, _Converter(icc, background or DEFAULT_BACKGROUND))
    except DecodeError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DecodeError(f"image rejected as a decompression bomb: {exc}", "key_art_too_large") from None
    except MemoryError:
        raise
    except Exception as exc:  # IndexError from a PNG without IDAT, OSError from truncation, ...
        raise DecodeError(f"the image is damaged or truncated: {exc}") from None
    del img  # the full-size buffer goes before the final resample (working may be img itself)
    if working.size != size:
        working = working.resize(size, Image.Resampling.LANCZOS)
    if orientation in _ORIENT:
        working = working.transpose(_ORIENT[orientation])
    return Decoded(working, info.format, info.mime, working.width, working.height,
                   _profile_name(icc) if icc else None, *upright)
