"""The campaign matrix at full size (19 locales x 8 formats = 152 cells) in real headless Chromium:
every cell loads a small WebP preview made at render time (not the full-size JPEG), served with
long caching; the whole page, every preview loaded, weighs under 2 MB as the browser counts it.
Rows carry language names, cells one state and a plain verdict."""
from __future__ import annotations

import pytest

from conftest import seed_campaign
from review_helpers import create_request, drop_jobs, make_people, offset_ids, render_inline
from test_browser_review import _login, _shot, browser, server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.service]
LOCALES = ["ja-JP", "pt-BR", "ar-SA", "de-DE", "fr-FR", "ko-KR", "hi-IN", "es-MX", "it-IT", "zh-CN", "zh-TW",
           "ru-RU", "tr-TR", "th-TH", "vi-VN", "id-ID", "pl-PL", "he-IL", "en-US"]
FORMATS = ["poster", "thumbnail", "thumbnail-small", "square", "portrait", "story", "banner", "link-card"]


def test_matrix_19x8_weighs_under_2mb(sqlite_stack, server, browser):  # noqa: F811
    app = sqlite_stack.app
    admin = app.test_client()
    make_people(admin)
    seeded = seed_campaign(admin)
    offset_ids(app, seeded)
    req = create_request(admin, seeded, LOCALES, FORMATS)
    ids = [v["id"] for v in req["variants"]]
    drop_jobs(app, ids)
    first = [v["id"] for v in req["variants"] if v["locale"] == "ja-JP"]
    render_inline(app, first)  # one real render per format ...
    with app.app_context():  # ... whose files the other 18 locales' cells share (each its own URL)
        from app.extensions import db
        from app.models import Variant

        made = {v.format: v for v in (db.session.get(Variant, i) for i in first)}
        assert all((v.report or {}).get("preview") for v in made.values())  # made at render time
        for i in ids:
            v = db.session.get(Variant, i)
            if v.locale != "ja-JP":
                src = made[v.format]
                v.status, v.assets, v.report, v.width, v.height = "rendered", src.assets, src.report, src.width, src.height
        db.session.get(Variant, ids[-1]).status = "approved"
        db.session.commit()
        sizes = sorted(v.report["preview"]["bytes"] for v in made.values())
        full = sorted(v.assets["jpeg"]["bytes"] for v in made.values())
    print(f"preview WebP bytes per format: {sizes}; full JPEG: {full}")
    assert max(sizes) < 25_000

    page = _login(browser, server, "admin2", lang="ja-JP")
    got: list[tuple[str, int, str, str]] = []

    def finished(request):
        resp = request.response()
        s = request.sizes()
        got.append((request.url, s["responseBodySize"] + s["responseHeadersSize"],
                    (resp.headers.get("content-type") if resp else ""), (resp.headers.get("cache-control") if resp else "")))
    page.on("requestfinished", finished)
    page.goto(f"{server}/ui/campaigns/{req['id']}")
    page.wait_for_selector("#progress-text:not(:empty)")
    for _ in range(40):  # scroll through: lazy images all load, as a reviewer scanning the matrix would
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(50)
    page.wait_for_load_state("networkidle")
    images = [g for g in got if "/preview.webp" in g[0]]
    total = sum(n for _u, n, _t, _c in got)
    print(f"matrix 19x8: {len(got)} requests, {len(images)} previews, {total / 1e6:.2f} MB in all "
          f"(previews {sum(n for _u, n, _t, _c in images) / 1e6:.2f} MB)")
    assert len({u for u, *_ in images}) == 152
    assert all(t == "image/webp" and "immutable" in c for _u, _n, t, c in images)
    assert not [u for u, *_ in got if "/image.jpg" in u]  # no full-size image on the matrix
    assert total < 2_000_000, total

    # language names on rows, one state for rendered/in review, a verdict in words
    assert page.inner_text("#matrix tr[data-row='pt-BR'] th .name") == "ポルトガル語 (ブラジル)"
    states = set(page.locator("#matrix a[data-variant]").evaluate_all("as => as.map(a => a.dataset.state)"))
    assert states == {"to_review", "approved"}, states
    assert page.locator("#state-counts .count-filter[data-status=to_review] .n").inner_text() == "151"
    verdicts = set(page.locator("#matrix .verdict").all_inner_texts())
    assert "承認済み" in verdicts and verdicts & {"問題なし", "警告 1 件", "警告 2 件"}, verdicts
    page.click("#state-counts .count-filter[data-status=approved]")
    assert page.locator("#matrix a[data-variant]:visible").count() == 1
    assert page.locator("#matrix tr[data-row]:visible").count() == 1
    _shot(page, "matrix-19x8-filtered-ja")
