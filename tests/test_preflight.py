"""Preflight: a whole 19 x 8 matrix shaped and fitted in milliseconds, problems named; the API."""
from __future__ import annotations

import time

import pytest

from app.render.formats import FORMATS
from app.render.locales import SUPPORTED_LOCALES, get_locale
from app.render.preflight import preflight_matrix
from conftest import seed_campaign
from text_helpers import kit, render, strings

LOCS = [get_locale(t) for t in SUPPORTED_LOCALES]


def _matrix(**title_overrides):
    s = strings()
    titles = {t: title_overrides.get(t, s[t]["title"]) for t in SUPPORTED_LOCALES}
    return preflight_matrix(titles, LOCS, FORMATS.values(), kit(), {t: s[t]["tagline"] for t in s},
                            {t: s[t]["rating"] for t in s})


def test_whole_matrix_in_milliseconds_and_all_clear_for_the_sample():
    _matrix()  # fonts and cmaps load once per process
    t0 = time.perf_counter()
    report = _matrix()
    elapsed_ms = (time.perf_counter() - t0) * 1000
    assert report["checked"] == 152 and report["ok"], report["problems"]
    assert elapsed_ms < 500, f"preflight of 152 variants took {elapsed_ms:.0f} ms"
    assert report["elapsed_ms"] <= elapsed_ms


def test_preflight_names_what_will_not_fit_and_what_lacks_glyphs():
    report = _matrix(**{"de-DE": "Die außerordentlich lange und verschlungene Chronik einer Astronautin, "
                                  "die sich weigerte, jemals wieder nach Hause zurückzukehren",
                        "ko-KR": "궤도 너머 \u0378"})
    assert not report["ok"]
    kinds = {(p["locale"], p["format"], p["kind"]) for p in report["problems"]}
    assert ("de-DE", "story", "does_not_fit") in kinds and ("de-DE", "poster", "does_not_fit") in kinds
    assert all(("ko-KR", f, "missing_glyph") in kinds for f in FORMATS)
    missing = next(p for p in report["problems"] if p["kind"] == "missing_glyph")
    assert missing["codepoints"] == ["U+0378"]
    assert not any(p["locale"] not in ("de-DE", "ko-KR") for p in report["problems"])


@pytest.mark.parametrize("tag,fmt", [("de-DE", "poster"), ("de-DE", "story"), ("en-US", "square")])
def test_what_preflight_says_cannot_fit_is_flagged_by_the_render(tag, fmt):
    """Same measurements, so a cell preflight rejects is rejected by the render too. (The converse
    need not hold: preflight has no image, so it cannot know a face will take a zone away.)"""
    long = ("Die außerordentlich lange und verschlungene Chronik einer Astronautin, die sich weigerte, "
            "jemals wieder nach Hause zurückzukehren")
    report = _matrix(**{tag: long})
    cell = next(c for c in report["variants"] if c["locale"] == tag and c["format"] == fmt)
    assert not cell["ok"]
    assert "text_does_not_fit" in render(tag, fmt, title=long).report["flags"]


def test_preflight_api(client):
    seeded = seed_campaign(client)
    body = {"title_id": seeded["title"]["id"], "brand_kit_id": seeded["kit"]["id"],
            "locales": ["en-US", "ar-SA", "th-TH", "ja-JP"], "formats": list(FORMATS)}
    resp = client.post("/api/v1/preflight", json=body)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    data = resp.get_json()
    assert data["ok"] and data["checked"] == 32 and data["problems"] == []
    cell = next(v for v in data["variants"] if v["locale"] == "ar-SA" and v["format"] == "poster")
    assert cell["fits_in"] and cell["zones"]["bottom"]["title"]["lines"] == ["ما وراء المدار"]
    # nothing was queued or stored by a preflight
    assert client.get("/api/v1/requests/1").status_code == 404


@pytest.mark.parametrize("patch,status,needle", [
    ({"locales": ["xx-YY"]}, 422, "xx-YY"),
    ({"formats": ["billboard"]}, 422, "billboard"),
    ({"locales": []}, 422, "empty"),
    ({"title_id": 999}, 404, "999"),
    ({"brand_kit_id": 999}, 404, "999"),
])
def test_preflight_api_bad_input(client, patch, status, needle):
    seeded = seed_campaign(client)
    body = {"title_id": seeded["title"]["id"], "brand_kit_id": seeded["kit"]["id"],
            "locales": ["en-US"], "formats": ["poster"], **patch}
    resp = client.post("/api/v1/preflight", json=body)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert needle in resp.get_data(as_text=True)


def test_preflight_api_missing_field(client):
    resp = client.post("/api/v1/preflight", json={"locales": ["en-US"]})
    assert resp.status_code == 422
    assert "title_id" in resp.get_data(as_text=True)
