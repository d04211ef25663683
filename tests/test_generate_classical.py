"""The classical backend: text drawn onto a real photograph is removed, and Tesseract finds
no text in that area afterwards; expand keeps the placed pixels byte-identical."""
from __future__ import annotations

import re

import numpy as np
import pytest
import pytesseract
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from app.generate import get_generator
from app.generate.classical import ClassicalGenerator
from app.render.analyze import analyze
from app.render.fonts import font_file
from app.render.geometry import Box


def _ocr(img: Image.Image) -> str:
    return pytesseract.image_to_string(img, config="--psm 6").strip()


@pytest.mark.parametrize("photo", ["astronaut", "coffee"])
def test_text_removed_and_tesseract_finds_none(photo):
    from skimage import data

    img = Image.fromarray(getattr(data, photo)()).convert("RGB")
    font = ImageFont.truetype(font_file("Noto Sans:bold").path, 40)
    drawn = img.copy()
    d = ImageDraw.Draw(drawn)
    d.text((30, img.height - 110), "GRAND SALE", font=font, fill=(255, 255, 255), stroke_width=2,
           stroke_fill=(0, 0, 0))
    x0, y0, x1, y1 = d.textbbox((30, img.height - 110), "GRAND SALE", font=font, stroke_width=2)
    area = (x0 - 10, y0 - 10, x1 + 10, y1 + 10)
    assert "GRAND" in _ocr(drawn.crop(area)), "the drawn text must be readable before removal"
    # The mask: the drawn glyph pixels, grown a little (what a detector or reviewer would mark).
    diff = np.any(np.asarray(drawn) != np.asarray(img), axis=2).astype(np.uint8) * 255
    mask = Image.fromarray(diff, "L").filter(ImageFilter.MaxFilter(7))
    out = get_generator(None).remove(drawn, mask, seed=0)
    assert out.provenance["backend"] == "classical" and out.provenance["op"] == "remove"
    outside = np.asarray(mask) == 0
    assert np.array_equal(np.asarray(out.image)[outside], np.asarray(drawn)[outside])
    # The astronaut's suit carries a real name patch that Tesseract turns into stray marks even
    # before anything is drawn, so "no text" means: no word of three or more letters or digits.
    text = _ocr(out.image.crop(area))
    assert not re.findall(r"[A-Za-z0-9]{3,}", text), f"Tesseract still reads {text!r}"


def test_detector_finds_the_text_it_will_remove(astronaut):
    img = astronaut.copy()
    font = ImageFont.truetype(font_file("Noto Sans:bold").path, 40)
    ImageDraw.Draw(img).text((30, 20), "NOW SHOWING", font=font, fill=(255, 255, 255))
    boxes = [b for b in analyze(img).text_boxes if b.intersection(Box(30, 20, 300, 60))]
    assert boxes
    mask = Image.new("L", img.size, 0)
    for b in boxes:
        ImageDraw.Draw(mask).rectangle((b.x, b.y, b.right, b.bottom), fill=255)
    out = ClassicalGenerator().remove(img, mask)
    u = boxes[0]
    for b in boxes[1:]:
        u = u.union(b)
    text = _ocr(out.image.crop((u.x - 5, u.y - 5, u.right + 5, u.bottom + 5)))
    assert "NOW" not in text and "SHOWING" not in text, text


def test_expand_keeps_placed_pixels(astronaut):
    g = ClassicalGenerator()
    src = astronaut.resize((200, 200))
    out = g.expand(src, (600, 200), Box(200, 0, 200, 200))
    assert np.array_equal(np.asarray(out.image)[:, 200:400], np.asarray(src))
    assert (np.asarray(out.mask)[:, :200] == 255).all() and (np.asarray(out.mask)[:, 200:400] == 0).all()
    # The extension continues the edges: the column next to the seam is close to the source edge.
    seam = np.asarray(out.image)[:, 199].astype(int) - np.asarray(src)[:, 0].astype(int)
    assert np.abs(seam).mean() < 12


def test_classical_cannot_restyle(astronaut):
    from app.generate import GeneratorError

    with pytest.raises(GeneratorError, match="cannot restyle"):
        ClassicalGenerator().restyle(astronaut, "noir")


# -- extension styles ------------------------------------------------------------------------

SOFT_STYLES = ["blur_backdrop", "palette"]


def _seam_ratio(img: Image.Image, p: Box) -> float:
    """The largest mean colour step across a seam, over the mean step between neighbouring
    rows (or columns) inside the art: ~1 when the art flows on, far above when pasted on."""
    a = np.asarray(img).astype(np.float32)
    w, h = img.size
    steps, inside = [], []
    if p.y > 0 or p.bottom < h:
        inside.append(np.abs(np.diff(a[p.y:p.bottom, p.x:p.right], axis=0)).mean())
        if p.y > 0:
            steps.append(np.abs(a[p.y, p.x:p.right] - a[p.y - 1, p.x:p.right]).mean())
        if p.bottom < h:
            steps.append(np.abs(a[p.bottom, p.x:p.right] - a[p.bottom - 1, p.x:p.right]).mean())
    if p.x > 0 or p.right < w:
        inside.append(np.abs(np.diff(a[p.y:p.bottom, p.x:p.right], axis=1)).mean())
        if p.x > 0:
            steps.append(np.abs(a[p.y:p.bottom, p.x] - a[p.y:p.bottom, p.x - 1]).mean())
        if p.right < w:
            steps.append(np.abs(a[p.y:p.bottom, p.right] - a[p.y:p.bottom, p.right - 1]).mean())
    return float(max(steps) / min(inside))


def _worst_step_outside(img: Image.Image, p: Box) -> float:
    """The largest mean step between neighbouring generated rows/columns, over the mean step
    inside the art: catches a hard edge anywhere in the feather or the backdrop."""
    a = np.asarray(img).astype(np.float32)
    w, h = img.size
    inside = np.abs(np.diff(a[p.y:p.bottom, p.x:p.right], axis=0 if p.w == w else 1)).mean()
    if p.w == w:   # generated above and below
        rows = [np.abs(a[y + 1] - a[y]).mean() for y in list(range(0, p.y - 1)) + list(range(p.bottom, h - 1))]
    else:
        rows = [np.abs(a[:, x + 1] - a[:, x]).mean() for x in list(range(0, p.x - 1)) + list(range(p.right, w - 1))]
    return float(max(rows) / inside)


@pytest.mark.parametrize("style", SOFT_STYLES + ["mirror"])
@pytest.mark.parametrize("case", ["wide-to-poster", "wide-to-story", "square-to-banner"])
def test_extension_has_no_seam_and_keeps_the_art(style, case):
    from skimage import data

    from app.render.extension_fill import _cover_backdrop
    from app.render.canvas_placement import expand_placement

    art, size = {"wide-to-poster": (data.rocket(), (1200, 1800)), "wide-to-story": (data.coffee(), (1080, 1920)),
                 "square-to-banner": (data.astronaut(), (2400, 800))}[case]
    art = Image.fromarray(art)
    p = expand_placement(Box(0, 0, art.width, art.height), size)
    placed = art.resize((p.w, p.h), Image.Resampling.LANCZOS)
    out = ClassicalGenerator().expand(placed, size, p, style=style)
    assert out.provenance["style"] == style
    assert np.array_equal(np.asarray(out.image)[p.y:p.bottom, p.x:p.right], np.asarray(placed))
    assert _seam_ratio(out.image, p) < 2.0, "a visible step where the art meets the extension"
    if style != "mirror":   # a mirror repeats the art's own edges by design
        assert _worst_step_outside(out.image, p) < 2.0, "a hard edge inside the generated area"
    # The measure does see a seam: the sharp art pasted on the dimmed, blurred cover fails it.
    naive = Image.fromarray(np.clip(_cover_backdrop(placed, size) * 0.45, 0, 255).astype(np.uint8))
    naive.paste(placed, (p.x, p.y))
    assert _seam_ratio(naive, p) > 2.5


def _moonlit_skyline() -> Image.Image:
    """A 3:1 dusk: a bright moon a quarter of the way down on the left, dark buildings at the bottom."""
    from PIL import ImageDraw

    w, h = 1200, 400
    t = np.linspace(0, 1, h)[:, None, None]
    sky = (np.array([20, 30, 80]) * (1 - t) + np.array([200, 120, 90]) * t) * np.ones((1, w, 1))
    art = Image.fromarray(sky.astype(np.uint8))
    d = ImageDraw.Draw(art)
    d.ellipse((160, 60, 240, 140), fill=(255, 250, 235))      # centre (200, 100), r 40
    for x in range(0, w, 100):
        d.rectangle((x + 20, 220 + (x * 7) % 60, x + 70, h), fill=(15, 15, 25))
    return art


@pytest.mark.parametrize("style", SOFT_STYLES)
def test_soft_extension_leaves_no_mirrored_ghost(style):
    """Mirroring puts a reflection of the moon 100 px above the art (as far out as the moon is
    in); the soft styles must not: sky there, as bright as the sky beside it."""
    art = _moonlit_skyline()
    canvas, p = (1200, 1800), Box(0, 700, 1200, 400)
    g = ClassicalGenerator()

    def ghost(img: Image.Image) -> float:
        a = np.asarray(img).astype(np.float32).mean(axis=2)
        y = p.y - 100
        return float(a[y - 20:y + 20, 180:220].mean() - a[y - 20:y + 20, 980:1020].mean())

    assert ghost(g.expand(art, canvas, p, style="mirror").image) > 40   # the measure sees a reflection
    out = g.expand(art, canvas, p, style=style).image
    assert abs(ghost(out)) < 8
    # Far from the art nothing sharp is left: the backdrop is a wash, not a copy of the skyline.
    far = np.asarray(out).astype(np.float32)[:400]
    assert np.abs(np.diff(far, axis=1)).mean() < 1.0 and np.abs(np.diff(far, axis=0)).mean() < 1.0


def test_blur_backdrop_leaves_no_blown_up_subject():
    """The backdrop was the whole art scaled to cover the canvas: for a close-up against the edge
    of a banner that put the subject, blown up 8x and blurred, beside the sharp one (a brown
    blob of Hopper's face next to her). It is made of what surrounds the subject now: a red disc
    filling the middle of a blue photo leaves no red anywhere in the generated canvas."""
    from PIL import ImageDraw

    art = Image.new("RGB", (300, 400), (30, 60, 160))
    ImageDraw.Draw(art).ellipse((60, 80, 240, 320), fill=(200, 40, 30))
    canvas, p = (2400, 800), Box(1800, 0, 600, 800)
    placed = art.resize((p.w, p.h), Image.Resampling.LANCZOS)
    out = np.asarray(ClassicalGenerator().expand(placed, canvas, p, style="blur_backdrop").image).astype(np.float32)
    feather = round(min(canvas) * 0.15)
    generated = out[:, :p.x - feather]
    assert float((generated[..., 0] - generated[..., 2]).max()) < 0, "red (the subject) in the backdrop"
    assert np.array_equal(out[:, p.x:].astype(np.uint8), np.asarray(placed))


def test_blur_backdrop_is_dimmer_than_the_art_and_palette_uses_its_colours():
    from app.render.analyze import dominant_palette

    art = _moonlit_skyline()
    canvas, p = (1200, 1800), Box(0, 700, 1200, 400)
    g = ClassicalGenerator()
    back = np.asarray(g.expand(art, canvas, p, style="blur_backdrop").image).astype(np.float32)
    assert back[:300].mean() < 0.8 * np.asarray(art).astype(np.float32).mean()   # the backdrop recedes
    pal = np.asarray(g.expand(art, canvas, p, style="palette").image).astype(np.float32)
    colours = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c, _ in dominant_palette(art)], np.float32)
    # Away from the seam every pixel lies on a gradient between two of the art's own colours:
    # its hue (normalised RGB) is close to some mix of the palette; check the mean colour is.
    mid = pal[200:500].reshape(-1, 3).mean(axis=0)
    direction = mid / max(np.linalg.norm(mid), 1e-6)
    nearest = max(float(direction @ (c / max(np.linalg.norm(c), 1e-6))) for c in colours)
    assert nearest > 0.97


def test_soft_extension_is_cheaper_than_mirror():
    """The pipeline is performance-sensitive: the default must cost no more than the old mirror."""
    import time

    from skimage import data

    art = Image.fromarray(data.rocket())
    size, p = (2000, 3000), Box(0, 833, 2000, 1334)
    placed = art.resize((p.w, p.h), Image.Resampling.LANCZOS)
    g = ClassicalGenerator()

    def cost(style: str) -> float:
        runs = []
        for _ in range(3):
            t = time.process_time()
            g.expand(placed, size, p, style=style)
            runs.append(time.process_time() - t)
        return min(runs)

    assert cost("blur_backdrop") < 0.6 * cost("mirror")


def test_unknown_extension_style_is_refused(astronaut):
    from app.generate import GeneratorError
    from app.generate.protocol import ExpandRequest

    with pytest.raises(GeneratorError, match="extension style 'smear'"):
        ClassicalGenerator().expand_batch([ExpandRequest(astronaut, (600, 512), Box(44, 0, 512, 512), style="smear")])


def test_art_that_fills_the_canvas_is_returned_as_is(astronaut):
    out = ClassicalGenerator().expand(astronaut, astronaut.size, Box(0, 0, *astronaut.size))
    assert np.array_equal(np.asarray(out.image), np.asarray(astronaut.convert("RGB")))
