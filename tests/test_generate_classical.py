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
