"""Tesseract reads the rendered title back from the poster and the thumbnail (normalized
similarity >= 0.8 to the intended string), for ten locales in eight scripts."""
from __future__ import annotations

import numpy as np
import pytest
import pytesseract
from PIL import Image, ImageDraw, ImageOps

from text_helpers import render, similarity, strings

TESS_LANG = {"en-US": "eng", "fr-FR": "fra", "de-DE": "deu", "ru-RU": "rus", "ja-JP": "jpn", "ko-KR": "kor",
             "zh-TW": "chi_tra", "ar-SA": "ara", "th-TH": "tha", "hi-IN": "hin"}


def title_crop_for_ocr(result) -> Image.Image:
    """The title's box, light text isolated by a threshold, scaled to ~90 px a line, dark on white.
    The logo is blanked first: its lettering may lie within the crop's padding above the title."""
    el = result.report["text"]["elements"][0]
    assert el["role"] == "title"
    x, y, w, h = el["box"]
    pad = max(8, h // 6)
    grey = result.image.convert("L")
    if result.report["logo"]:
        lx, ly, lw, lh = result.report["logo"]
        ImageDraw.Draw(grey).rectangle((lx, ly, lx + lw - 1, ly + lh - 1), fill=0)
    crop = grey.crop((max(0, x - pad), max(0, y - pad),
                                           min(result.image.width, x + w + pad), min(result.image.height, y + h + pad)))
    bw = Image.fromarray(np.where(np.asarray(crop) > 200, 0, 255).astype(np.uint8))
    target = 90 * len(el["lines"])
    if bw.height > target * 1.5:
        bw = bw.resize((round(bw.width * target / bw.height), target), Image.Resampling.LANCZOS)
    return ImageOps.expand(bw, 30, fill=255)


@pytest.mark.parametrize("tag", list(TESS_LANG))
@pytest.mark.parametrize("fmt", ["poster", "thumbnail"])
def test_tesseract_reads_the_title_back(tag, fmt):
    assert TESS_LANG[tag] in pytesseract.get_languages(config="")
    result = render(tag, fmt)
    read = pytesseract.image_to_string(title_crop_for_ocr(result), lang=TESS_LANG[tag], config="--psm 6")
    intended = strings()[tag]["title"]
    score = similarity(read, intended)
    assert score >= 0.8, f"{tag} {fmt}: read {read!r} for {intended!r} ({score:.2f})"
