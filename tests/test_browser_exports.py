"""The export pages in real headless Chromium against a real server on loopback: an admin sees the
export targets (secrets only by variable name), a refused URL, the exports with a real failure from
a loopback origin, retries one, and the campaign's manifest link; the Arabic pages run right to
left. Screenshots go to test-artifacts/exports-*.png."""
from __future__ import annotations

import time

import pytest

from review_helpers import seeded_campaign, make_people
from test_browser_review import ARTIFACTS, _login, browser, server  # noqa: F401  (fixtures)
from tests.export_servers import PutOrigin

pytestmark = [pytest.mark.browser, pytest.mark.service]
SECRET = "browser-secret-value-5150"


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"exports-{name}.png"), full_page=True)


def _run_pending(app) -> None:
    """Run every pending export in this process, try after try, until none is pending."""
    from app.extensions import db
    from app.models import Export
    from app.services.exports.running import run_export

    for _ in range(60):
        with app.app_context():
            pending = db.session.scalars(db.select(Export.id).where(Export.status == "pending")).all()
            for eid in pending:
                run_export(eid)
        if not pending:
            return
        time.sleep(0.05)
    raise AssertionError("exports still pending")


def _setup(app, monkeypatch, good: PutOrigin, flaky: PutOrigin) -> dict:
    app.config.update(EXPORT_ALLOW_PRIVATE=True, EXPORT_MAX_TRIES=2, EXPORT_BACKOFF_S=0.01,
                      EXPORT_BACKOFF_MAX_S=0.02)
    monkeypatch.setenv("MARQUEE_CDN_TOKEN", SECRET)
    admin = app.test_client()
    make_people(admin)
    _seeded, req = seeded_campaign(app, locales=("ja-JP", "ar-SA"), formats=("thumbnail-small", "square"))
    for body in ({"name": "cdn-origin", "kind": "http-put", "url": good.url + "/cdn"},
                 {"name": "flaky-origin", "kind": "http-put", "url": flaky.url + "/cdn", "formats": ["square"],
                  "secret_refs": {"headers": {"Authorization": "MARQUEE_CDN_TOKEN"}}},
                 {"name": "mena-hook", "kind": "webhook", "url": good.url + "/hook", "regions": ["SA"],
                  "formats": ["square"], "secret_refs": {"secret": "MARQUEE_MENA_WHSEC"}},
                 {"name": "assets-bucket", "kind": "s3", "url": "http://127.0.0.1:9", "enabled": False,
                  "options": {"bucket": "marquee-assets", "prefix": "posters", "region": "eu-west-1"},
                  "secret_refs": {"access_key_id": "MARQUEE_S3_KEY", "secret_access_key": "MARQUEE_S3_SECRET"}}):
        r = admin.post("/api/v1/export-targets", json=body)
        assert r.status_code == 201, r.get_data(as_text=True)
    for v in req["variants"]:
        r = admin.post(f"/api/v1/variants/{v['id']}/approve", json={"revision": 1})
        assert r.status_code == 200, r.get_data(as_text=True)
    _run_pending(app)
    return req


def test_export_pages_in_chromium(sqlite_stack, server, browser, monkeypatch):
    app = sqlite_stack.app
    good, flaky = PutOrigin().start(), PutOrigin(fail_puts=10**6, retry_after="0").start()
    try:
        req = _setup(app, monkeypatch, good, flaky)

        # --- targets: secrets by variable name only; a refused URL is shown with the form kept
        page = _login(browser, server, "admin2")
        page.click("header.top >> text=Export targets")
        page.wait_for_selector("#targets")
        assert page.locator("#targets tr[data-target]").count() == 4
        assert "MARQUEE_CDN_TOKEN" in page.inner_text("#targets") and SECRET not in page.content()
        assert page.is_visible("fieldset[data-kind=http-put]") and not page.is_visible("fieldset[data-kind=s3]")
        page.select_option("#kind", "s3")
        assert page.is_visible("fieldset[data-kind=s3]") and not page.is_visible("fieldset[data-kind=http-put]")
        page.select_option("#kind", "http-put")
        _shot(page, "1-targets-en")
        page.fill("input[name=name]", "metadata")
        page.fill("input[name=url]", "http://169.254.169.254/latest/meta-data/")
        with page.expect_navigation() as nav:
            page.click("#create-target")
        assert nav.value.status == 422
        assert "cloud metadata service" in page.inner_text("#target-error")  # in words, not the rule's code
        assert page.input_value("input[name=name]") == "metadata"
        page.locator("#new-target").scroll_into_view_if_needed()
        _shot(page, "2-target-refused-en")

        # --- editing: the form comes filled from the row, kind fixed; the change is listed
        row = page.locator("#targets tr[data-target]", has_text="flaky-origin")
        row.locator("a.edit").click()
        page.wait_for_selector("#edit-target")
        assert page.input_value("input[name=name]") == "flaky-origin"
        assert page.input_value("input[name=url]") == flaky.url + "/cdn"
        assert page.is_visible("fieldset[data-kind=http-put]") and not page.is_visible("fieldset[data-kind=s3]")
        assert not page.is_visible("select#kind")
        page.fill("input[name=regions]", "JP, KR")
        avif = page.locator("input[name=encodings][value=avif]")
        assert page.locator("input[name=encodings]:checked").evaluate_all("es => es.map(e => e.value)") == [
            "jpeg", "webp"]                             # a target that names none delivers JPEG and WebP
        page.locator("input[name=encodings][value=webp]").focus()
        page.keyboard.press("Tab")                      # the next stop is AVIF, ticked from the keyboard
        assert avif.evaluate("e => e === document.activeElement")
        page.keyboard.press("Space")
        assert avif.is_checked()
        _shot(page, "2b-target-edit-en")
        with page.expect_navigation():
            page.click("#save-target")
        assert "Export target flaky-origin saved." in page.inner_text(".flash.ok")
        edited = page.locator("#targets tr[data-target]", has_text="flaky-origin").inner_text()
        assert "JP, KR" in edited and "MARQUEE_CDN_TOKEN" in edited and "square" in edited  # the rest kept
        assert "JPEG, WebP, AVIF" in edited

        # --- exports: the failure and its error, retried from the page
        page.click("header.top >> text=Exports")
        page.wait_for_selector("#exports")
        statuses = page.locator("#exports tr[data-export]").evaluate_all("rs => rs.map(r => r.dataset.status)")
        assert sorted(statuses) == ["done"] * 4 + ["failed"] * 2 + ["waiting"], statuses
        failed_row = page.locator("#exports tr[data-status=failed] >> nth=0")
        assert "HTTP 500" in failed_row.inner_text() and "flaky-origin" in failed_row.inner_text()
        assert failed_row.locator("td.failures").inner_text().strip() == "2"     # EXPORT_MAX_TRIES
        assert failed_row.locator("td.files-sent").inner_text().strip() == "0"
        done_row = page.locator("#exports tr[data-status=done] >> nth=0")
        assert done_row.locator("td.files-sent").inner_text().strip() == "2"     # JPEG and WebP
        assert done_row.locator("td.failures").inner_text().strip() == ""
        _shot(page, "3-exports-en")
        failed_row.locator("button.retry").click()
        page.wait_for_load_state("networkidle")
        assert "The export is queued again." in page.inner_text(".flash.ok")
        assert page.locator("#exports tr[data-status=failed]").count() == 1
        assert page.locator("#exports tr[data-status=pending]").count() == 1
        _shot(page, "4-retried-en")
        page.select_option("select[name=status]", "failed")
        page.click("#export-filters button")
        page.wait_for_load_state("networkidle")
        assert page.locator("#exports tr[data-export]").count() == 1
        _shot(page, "5-filtered-en")

        # --- the campaign page: the export button and the published manifest
        page.goto(f"{server}/ui/campaigns/{req['id']}")
        page.wait_for_selector("#export-box")
        assert good.url in page.inner_text("#manifest-links")
        page.click("#export-approved")
        page.wait_for_load_state("networkidle")
        assert "Export started" in page.inner_text(".flash.ok")
        _shot(page, "6-campaign-en")

        # --- Arabic: right to left
        ar = _login(browser, server, "admin2", lang="ar")
        ar.goto(f"{server}/ui/export-targets")
        assert ar.get_attribute("html", "dir") == "rtl" and ar.get_attribute("html", "lang") == "ar"
        assert "وجهات التصدير" in ar.inner_text("h1")
        first = ar.locator("#targets th >> nth=0").bounding_box()
        last = ar.locator("#targets th >> nth=-1").bounding_box()
        assert first["x"] > last["x"]   # columns run right to left
        brand = ar.locator("header.top .brand").bounding_box()
        assert brand["x"] > 700
        _shot(ar, "7-targets-ar-rtl")
        ar.goto(f"{server}/ui/exports")
        first = ar.locator("#exports th >> nth=0").bounding_box()
        last = ar.locator("#exports th >> nth=-1").bounding_box()
        assert first["x"] > last["x"]
        assert "إعادة المحاولة" in ar.inner_text("#exports")
        _shot(ar, "8-exports-ar-rtl")

        # --- Japanese: the form's encodings in words, the file formats by their names
        ja = _login(browser, server, "admin2", lang="ja")
        ja.goto(f"{server}/ui/export-targets")
        assert ja.get_attribute("html", "lang") == "ja"
        group = ja.locator("#target-form [role=group][aria-labelledby=encodings-label]")
        assert "エンコード" in ja.inner_text("#encodings-label") and "AVIF" in group.inner_text()
        assert "JPEG, WebP, AVIF" in ja.locator("#targets tr[data-target]", has_text="flaky-origin").inner_text()
        _shot(ja, "9-targets-ja")
    finally:
        good.stop()
        flaky.stop()
