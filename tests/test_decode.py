"""Every kind of key art decodes to what a by-hand reference conversion (numpy, OpenCV) says.

References are computed independently of app.render.decode: 16-bit scaled by 1/257, alpha
composited with the over operator, palettes looked up, CMYK by the multiplicative model,
EXIF orientations as numpy rotations, Adobe RGB through its published matrices."""
from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from app.render.decode import DEFAULT_BACKGROUND, MAX_WORK_PIXELS, DecodeError, decode, working_scale
from app.render.formats import FORMATS, upscale_factor

ADOBE_RGB = "/usr/share/color/icc/compatibleWithAdobeRGB1998.icc"  # Debian's icc-profiles-free


def _png(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **kw)
    return buf.getvalue()


def _px(decoded) -> np.ndarray:
    assert decoded.image.mode == "RGB"
    return np.asarray(decoded.image, dtype=np.int32)


def _gradient16(w: int = 1200, h: int = 400) -> np.ndarray:
    return np.tile(np.linspace(0, 65535, w).round().astype(np.uint16), (h, 1))


def test_16_bit_grey_png_is_scaled_not_clipped():
    g = _gradient16()
    d = decode(_png(Image.fromarray(g)))
    got = _px(d)
    expected = np.round(g / 257.0)
    assert np.abs(got - expected[..., None]).max() <= 1
    assert (got >= 250).mean() < 0.03, "the gradient was blown out to white"
    # a mid grey stays mid grey
    assert abs(got[0, 600, 0] - 128) <= 1


def test_16_bit_grey_tiff_is_scaled_not_clipped():
    g = _gradient16(800, 300)
    buf = io.BytesIO()
    Image.fromarray(g).save(buf, "TIFF")
    got = _px(decode(buf.getvalue()))
    assert np.abs(got - np.round(g / 257.0)[..., None]).max() <= 1


def test_16_bit_rgb_png_within_one_level():
    g = _gradient16(900, 300)
    rgb16 = np.stack([g, g // 2, 65535 - g], axis=-1)
    ok, enc = cv2.imencode(".png", rgb16[..., ::-1])  # OpenCV writes 16-bit PNG from BGR
    assert ok
    got = _px(decode(enc.tobytes()))
    assert np.abs(got - np.round(rgb16 / 257.0)).max() <= 1


def _over(fg: np.ndarray, alpha: np.ndarray, bg) -> np.ndarray:
    a = alpha[..., None].astype(np.float64) / 255.0
    return np.round(fg * a + np.asarray(bg, np.float64) * (1 - a))


@pytest.mark.parametrize("background", [None, (250, 240, 10)])
def test_rgba_composited_over_background(background):
    rng = np.random.default_rng(7)
    fg = rng.integers(0, 256, (320, 480, 3), dtype=np.uint8)
    alpha = np.tile(np.linspace(0, 255, 480).round().astype(np.uint8), (320, 1))
    data = _png(Image.fromarray(np.dstack([fg, alpha]), "RGBA"))
    got = _px(decode(data, background))
    bg = background or DEFAULT_BACKGROUND
    assert np.abs(got - _over(fg, alpha, bg)).max() <= 1
    assert tuple(got[0, 0]) == tuple(bg)  # fully transparent: exactly the background
    assert DEFAULT_BACKGROUND != (0, 0, 0)


def test_grey_alpha_png_composited():
    grey = np.tile(np.linspace(0, 255, 400).round().astype(np.uint8), (300, 1))
    alpha = np.full((300, 400), 100, np.uint8)
    got = _px(decode(_png(Image.fromarray(np.dstack([grey, alpha]), "LA")), (0, 0, 255)))
    expected = _over(np.repeat(grey[..., None], 3, axis=2), alpha, (0, 0, 255))
    assert np.abs(got - expected).max() <= 1


def test_gif_palette_and_transparency():
    rng = np.random.default_rng(3)
    palette = rng.integers(0, 256, (256, 3), dtype=np.uint8)
    index = rng.integers(0, 256, (300, 400), dtype=np.uint8)
    img = Image.fromarray(index, "P")
    img.putpalette(palette.tobytes())
    buf = io.BytesIO()
    img.save(buf, "GIF", transparency=5)
    d = decode(buf.getvalue(), (1, 2, 3))
    assert d.format == "GIF" and d.mime == "image/gif"
    expected = palette[index].astype(np.int32)
    expected[index == 5] = (1, 2, 3)
    assert np.array_equal(_px(d), expected)


def test_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (320, 320), c) for c in ((200, 30, 30), (30, 200, 30))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100)
    got = _px(decode(buf.getvalue()))
    assert np.abs(got - np.array([200, 30, 30])).max() <= 2  # palette quantisation only


def test_mpo_gives_frame_zero():
    rng = np.random.default_rng(5)
    first = Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8))
    second = Image.new("RGB", (400, 300), (0, 255, 0))
    buf = io.BytesIO()
    first.save(buf, "MPO", save_all=True, append_images=[second], quality=95)
    data = buf.getvalue()
    assert Image.open(io.BytesIO(data)).format == "MPO"
    d = decode(data)
    assert d.format == "MPO" and d.mime == "image/jpeg"
    reference = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]  # first JPEG in the file
    assert np.abs(_px(d) - reference).max() <= 2


def test_cmyk_jpeg_by_the_multiplicative_model():
    cmyk = np.zeros((320, 320, 4), np.uint8)
    cmyk[:, :160] = (10, 200, 30, 40)
    cmyk[:, 160:] = (180, 20, 90, 0)
    buf = io.BytesIO()
    Image.fromarray(cmyk, "CMYK").save(buf, "JPEG", quality=95)
    got = _px(decode(buf.getvalue()))
    c = cmyk.astype(np.float64)
    expected = np.round((255 - c[..., :3]) * (255 - c[..., 3:]) / 255)
    inner = (slice(8, -8), np.r_[8:150, 170:312])  # away from the JPEG ringing at the edge
    assert np.abs(got[inner] - expected[inner]).max() <= 3


# EXIF orientation -> numpy transform from stored to upright pixels (EXIF 2.3, Orientation tag)
ORIENTATIONS = {
    1: lambda a: a, 2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
    5: lambda a: np.swapaxes(a, 0, 1), 6: lambda a: np.rot90(a, -1), 7: lambda a: np.swapaxes(a[::-1, ::-1], 0, 1),
    8: lambda a: np.rot90(a, 1),
}


@pytest.mark.parametrize("orientation", sorted(ORIENTATIONS))
def test_exif_orientation(orientation):
    rng = np.random.default_rng(orientation)
    stored = np.kron(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8), np.ones((16, 16, 1), np.uint8))  # 320x480
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    Image.fromarray(stored).save(buf, "JPEG", quality=95, exif=exif.tobytes())
    data = buf.getvalue()
    plain = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)[..., ::-1]
    expected = ORIENTATIONS[orientation](plain)
    d = decode(data)
    assert (d.width, d.height) == (expected.shape[1], expected.shape[0])
    assert np.abs(_px(d) - expected).max() <= 2


def _adobe_to_srgb(rgb: np.ndarray) -> np.ndarray:
    """Adobe RGB (1998) -> sRGB by the published matrices (D65), gamma 563/256 in, sRGB curve out."""
    lin = (rgb / 255.0) ** (563 / 256)
    adobe_to_xyz = np.array([[0.5767309, 0.1855540, 0.1881852], [0.2973769, 0.6273491, 0.0752741],
                             [0.0270343, 0.0706872, 0.9911085]])
    xyz_to_srgb = np.array([[3.2404542, -1.5371385, -0.4985314], [-0.9692660, 1.8760108, 0.0415560],
                            [0.0556434, -0.2040259, 1.0572252]])
    s = np.clip(lin @ adobe_to_xyz.T @ xyz_to_srgb.T, 0, 1)
    return np.round(255 * np.where(s <= 0.0031308, 12.92 * s, 1.055 * s ** (1 / 2.4) - 0.055))


COLOURS = np.array([[120, 160, 90], [200, 80, 60], [60, 90, 180], [128, 128, 128], [230, 210, 170]])


def test_icc_tagged_png_converted_to_srgb():
    icc = open(ADOBE_RGB, "rb").read()
    stripes = np.repeat(np.repeat(COLOURS.astype(np.uint8)[None], 300, axis=0), 80, axis=1)  # 300x400
    got = _px(decode(_png(Image.fromarray(stripes), icc_profile=icc)))
    sampled = got[150, 40::80]
    assert np.abs(sampled - _adobe_to_srgb(COLOURS)).max() <= 3, sampled
    assert np.abs(sampled - COLOURS).max() > 10  # converted, not passed through


def test_icc_tagged_rgba_converted_before_compositing():
    """The profile applies to the colours; the background is already sRGB and stays exact."""
    icc = open(ADOBE_RGB, "rb").read()
    rgba = np.zeros((300, 400, 4), np.uint8)
    rgba[:, :200] = (*COLOURS[0], 255)
    rgba[:, 200:] = (*COLOURS[1], 0)
    got = _px(decode(_png(Image.fromarray(rgba, "RGBA"), icc_profile=icc), (10, 20, 30)))
    assert np.abs(got[150, 100] - _adobe_to_srgb(COLOURS[:1])[0]).max() <= 3
    assert tuple(got[150, 300]) == (10, 20, 30)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_png_without_idat_is_a_decode_error():
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 400, 400, 8, 2, 0, 0, 0)) + _chunk(b"IEND", b"")
    with pytest.raises(DecodeError) as err:
        decode(data)
    assert err.value.code == "key_art_undecodable"


def corrupt_jpeg() -> bytes:
    """A JPEG whose entropy-coded data is overwritten in the middle: Pillow decodes it silently."""
    rng = np.random.default_rng(1)
    img = Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).resize((600, 600))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    data = bytearray(buf.getvalue())
    start = data.index(b"\xff\xda") + 200
    data[start:start + 400] = rng.integers(0, 255, 400, dtype=np.uint8).tobytes()  # no 0xFF: no markers
    return bytes(data)


def test_corrupt_huffman_data_is_a_decode_error():
    data = corrupt_jpeg()
    Image.open(io.BytesIO(data)).load()  # the reason for the strict check: Pillow does not notice
    with pytest.raises(DecodeError) as err:
        decode(data)
    assert err.value.code == "key_art_undecodable"


def test_truncated_png_is_a_decode_error():
    rng = np.random.default_rng(2)
    data = _png(Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)))
    with pytest.raises(DecodeError):
        decode(data[: len(data) * 2 // 3])


def test_working_scale_keeps_every_format_filled():
    for w, h in ((12000, 8000), (8000, 12000), (9000, 9000), (30000, 3100)):
        s = working_scale(w, h)
        assert s < 1
        ws, hs = round(w * s), round(h * s)
        worst = max(upscale_factor(ws, hs, f) for f in FORMATS.values())
        assert ws * hs <= MAX_WORK_PIXELS * 1.001
        if ws * hs < MAX_WORK_PIXELS * 0.99:  # not capped by memory: the most demanding format at ~1:1
            assert 0.99 <= worst <= 1.01, (w, h, worst)
    assert working_scale(2000, 2000) == 1.0  # smaller than needed: never reduced


def test_large_jpeg_reduced_like_a_full_decode_would_be():
    """A 6400x6400 JPEG is decoded at 1/2 DCT scale, then resampled to the 3000x3000 working size:
    it matches a full decode area-averaged to that size."""
    y, x = np.mgrid[0:6400, 0:6400].astype(np.float32)
    smooth = np.dstack([x / 6400 * 255, y / 6400 * 255, 128 + 100 * np.sin((x + y) / 700)]).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(smooth).save(buf, "JPEG", quality=92)
    del smooth, x, y
    data = buf.getvalue()
    d = decode(data)
    assert (d.width, d.height) == (3000, 3000) and (d.source_width, d.source_height) == (6400, 6400)
    full = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
    reference = cv2.resize(full, (3000, 3000), interpolation=cv2.INTER_AREA).astype(np.int32)
    diff = np.abs(_px(d) - reference)
    assert diff.mean() < 1.0 and np.percentile(diff, 99.9) <= 4


def test_large_rgba_png_reduced_band_by_band_like_a_whole_image():
    """Alpha images are converted in bands before reducing; the seams must not show."""
    h, w = 4100, 3400  # working size 3000 on the short side: reduced, bands of ~290 rows
    y, x = np.mgrid[0:h, 0:w]
    rgba = np.dstack([(x * 255 // w), (y * 255 // h), np.full_like(x, 90), (x + y) * 255 // (w + h)]).astype(np.uint8)
    data = _png(Image.fromarray(rgba, "RGBA"), compress_level=1)
    d = decode(data, (0, 0, 0))
    s = working_scale(w, h)
    assert (d.width, d.height) == (round(w * s), round(h * s))
    flat = _over(rgba[..., :3].astype(np.float64), rgba[..., 3], (0, 0, 0)).astype(np.float32)
    reference = cv2.resize(flat, (d.width, d.height), interpolation=cv2.INTER_AREA)
    diff = np.abs(_px(d) - reference)
    assert diff.mean() < 1.0 and diff.max() <= 3
