"""Marketing copy: every supported locale has a complete, non-fuzzy catalog with the right plural
forms; dates, digits and plurals come out as the locale writes them."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from app.render import localized_copy as mc
from app.render.locales import SUPPORTED_LOCALES

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def load(tag: str):
    po = mc.LOCALES_DIR / mc.catalog_dir(tag) / "LC_MESSAGES" / "marketing.po"
    assert po.is_file(), f"no marketing catalog for {tag}"
    with po.open("rb") as f:
        return read_po(f, locale=mc.catalog_dir(tag), domain="marketing")


def template_ids() -> set:
    with (mc.LOCALES_DIR / "marketing.pot").open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


@pytest.mark.parametrize("tag", SUPPORTED_LOCALES)
def test_catalog_is_complete_not_fuzzy_and_has_cldr_plural_forms(tag):
    cat = load(tag)
    assert not cat.fuzzy, f"{tag}: catalog header is fuzzy"
    assert cat.num_plurals == get_plural(mc.catalog_dir(tag)).num_plurals
    ids = set()
    for m in cat:
        if not m.id:
            continue
        ids.add(m.id if isinstance(m.id, str) else m.id[0])
        assert not m.fuzzy, f"{tag}: fuzzy entry {m.id!r}"
        strs = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(s.strip() for s in strs), f"{tag}: untranslated {m.id!r}"
        allowed = set(PLACEHOLDER.findall(m.id if isinstance(m.id, str) else m.id[1]))
        for s in strs:
            used = set(PLACEHOLDER.findall(s))
            assert used <= allowed, f"{tag}: {s!r} invents {used - allowed}"
        if isinstance(m.id, str):
            assert set(PLACEHOLDER.findall(m.string)) == allowed, f"{tag}: {m.string!r} drops a placeholder"
        else:
            assert len(strs) == cat.num_plurals
            assert any("{count}" in s for s in strs), f"{tag}: plural forms never show the count"
    assert ids == template_ids() == set(mc.PHRASES) | {mc.EPISODES[0]}


def test_every_phrase_renders_in_every_locale():
    for tag in SUPPORTED_LOCALES:
        got = [mc.now_streaming(tag), mc.new_season(tag), mc.watch_now(tag), mc.coming(dt.date(2027, 3, 5), tag),
               mc.season(2, tag), mc.episodes(8, tag)]
        assert all(g and "{" not in g for g in got), (tag, got)
        if not tag.startswith("en"):
            assert mc.now_streaming(tag) != "Now streaming", tag


@pytest.mark.parametrize("tag,counts", [
    ("ru-RU", {1: "1 серия", 2: "2 серии", 5: "5 серий", 21: "21 серия", 22: "22 серии", 11: "11 серий"}),
    ("pl-PL", {1: "1 odcinek", 3: "3 odcinki", 5: "5 odcinków", 22: "22 odcinki", 12: "12 odcinków"}),
    ("ar-SA", {1: "حلقة واحدة", 2: "حلقتان", 3: "٣ حلقات", 11: "١١ حلقة", 100: "١٠٠ حلقة"}),
    ("fr-FR", {0: "0 épisode", 1: "1 épisode", 2: "2 épisodes"}),
    ("en-US", {1: "1 episode", 2: "2 episodes"}),
    ("ja-JP", {1: "全1話", 12: "全12話"}),
    ("he-IL", {1: "פרק אחד", 8: "8 פרקים"}),
])
def test_real_plural_forms(tag, counts):
    for n, expected in counts.items():
        assert mc.episodes(n, tag) == expected


def test_dates_are_localized_in_the_regions_time_zone():
    late_utc = dt.datetime(2027, 3, 5, 23, 30, tzinfo=dt.timezone.utc)
    assert mc.coming(late_utc, "en-US") == "Coming March 5"        # still the 5th in New York
    assert mc.coming(late_utc, "ja-JP") == "3月6日配信開始"           # already the 6th in Tokyo
    assert mc.coming(late_utc, "de-DE") == "Ab 6. März"
    assert mc.coming(late_utc, "ru-RU") == "С 6 марта"             # genitive month, as Russian writes it
    assert mc.coming(dt.date(2027, 3, 5), "fr-FR") == "Dès le 5 mars"


def test_digits_follow_cldr_default_numbering_system():
    assert mc.season(2, "ar-SA") == "الموسم ٢"                        # arab digits in Saudi Arabia
    assert mc.coming(dt.date(2027, 3, 6), "ar-SA") == "يُعرض في ٦ مارس"
    assert mc.season(2, "hi-IN") == "सीज़न 2"                          # latn is CLDR's default for hi
    assert mc.episodes(1200, "de-DE") == "1.200 Folgen"


def test_kicker_switches_from_coming_to_now_streaming_on_release_day():
    release = dt.date(2027, 3, 6)
    assert mc.kicker(release, "ko-KR", today=dt.date(2027, 3, 1)) == "3월 6일 공개"
    assert mc.kicker(release, "ko-KR", today=dt.date(2027, 3, 6)) == "지금 스트리밍 중"
    assert mc.kicker(None, "ko-KR") is None


def test_rating_badge_is_the_regions_mark():
    assert mc.rating_badge(" FSK 12 ") == "FSK 12"
    assert mc.rating_badge(None) is None and mc.rating_badge("") is None


def test_stale_or_missing_compiled_catalog_is_rebuilt(tmp_path, monkeypatch):
    import shutil

    src = mc.LOCALES_DIR / "pl_PL"
    shutil.copytree(src, tmp_path / "pl_PL")
    (tmp_path / "pl_PL" / "LC_MESSAGES" / "marketing.mo").unlink()
    monkeypatch.setattr(mc, "LOCALES_DIR", tmp_path)
    mc.translations.cache_clear()
    try:
        assert mc.episodes(5, "pl-PL") == "5 odcinków"
        assert (tmp_path / "pl_PL" / "LC_MESSAGES" / "marketing.mo").is_file()
    finally:
        mc.translations.cache_clear()


def test_unknown_phrase_is_refused():
    with pytest.raises(KeyError, match="unknown phrase"):
        mc.phrase("Buy now", "en-US")
