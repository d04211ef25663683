"""The format catalog and locale validation that everything else relies on."""
from __future__ import annotations

import pytest

from app.render.formats import FORMATS, get_format
from app.render.locales import SUPPORTED_LOCALES, UnsupportedLocale, get_locale


def test_formats_catalog_sizes_and_ratios():
    expected = {"poster": (2000, 3000), "thumbnail": (1920, 1080), "thumbnail-small": (640, 360),
                "square": (1080, 1080), "portrait": (1080, 1350), "story": (1080, 1920),
                "banner": (2400, 800), "link-card": (1200, 630)}
    assert {k: (f.width, f.height) for k, f in FORMATS.items()} == expected
    story = get_format("story")
    assert story.safe.top >= 0.1 and story.safe.bottom >= 0.15  # platform UI zones
    with pytest.raises(KeyError, match="unknown format 'cinema'"):
        get_format("cinema")


def test_all_19_locales_parse_with_babel():
    assert len(SUPPORTED_LOCALES) == 19
    for tag in SUPPORTED_LOCALES:
        info = get_locale(tag)
        assert info.tag == tag and info.region == tag.split("-")[1]
    assert get_locale("ar-SA").rtl and get_locale("he-IL").rtl and not get_locale("ja-JP").rtl
    assert get_locale("zh-TW").script == "Hant" and get_locale("zh-CN").script == "Hans"
    assert get_locale("pt-br").tag == "pt-BR"  # case-insensitive, canonicalised


@pytest.mark.parametrize("tag,msg", [("en-GB", "not supported"), ("klingon", "not a valid locale"),
                                     ("", "non-empty")])
def test_bad_locales(tag, msg):
    with pytest.raises(UnsupportedLocale, match=msg):
        get_locale(tag)
