"""The review UI in real headless Chromium (Debian's /usr/bin/chromium through Playwright),
against a real server on loopback and a real RQ worker: a Japanese reviewer flags a variant
with a rectangle and two categories, marketing re-renders, the reviewer approves the new
revision; the Arabic UI is laid out right to left. Screenshots go to test-artifacts/."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from conftest import seed_campaign, wait_for
from review_helpers import PASSWORD, create_request, make_people, offset_ids

pytestmark = [pytest.mark.browser, pytest.mark.service]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def server(sqlite_stack):
    srv = make_server("127.0.0.1", 0, sqlite_stack.app, threaded=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _login(browser, base, user, lang="en-US"):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale=lang)
    page = ctx.new_page()
    page.goto(f"{base}/ui/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"review-{name}.png"), full_page=True)


def test_review_flow_in_chromium(sqlite_stack, server, browser):
    app = sqlite_stack.app
    admin = app.test_client()
    make_people(admin)
    seeded = seed_campaign(admin)
    offset_ids(app, seeded)
    req = create_request(admin, seeded, ["ja-JP", "pt-BR", "ar-SA"], ["thumbnail-small", "square"])
    sqlite_stack.start_worker("render")

    def rendered():
        m = admin.get(f"/api/v1/review/requests/{req['id']}").get_json()
        return m["counts"].get("rendered") == 6
    try:
        wait_for(rendered, timeout=240, what="six variants rendered")
    except AssertionError:
        m = admin.get(f"/api/v1/review/requests/{req['id']}").get_json()
        raise AssertionError(f"{m}\n{sqlite_stack.worker_logs()[-3000:]}")

    # --- the Japanese reviewer: Japanese UI, only ja-JP in the queue and the matrix
    jp = _login(browser, server, "reviewer_jp")
    assert jp.url.endswith("/ui/queue")
    assert jp.get_attribute("html", "lang") == "ja" and jp.get_attribute("html", "dir") == "ltr"
    assert "レビュー待ち" in jp.inner_text("h1")
    locales = jp.locator("#queue tr[data-locale]").evaluate_all("rows => rows.map(r => r.dataset.locale)")
    assert locales == ["ja-JP", "ja-JP"], locales
    _shot(jp, "1-queue-ja")
    jp.goto(f"{server}/ui/campaigns/{req['id']}")
    jp.wait_for_selector("#progress-text:not(:empty)")
    cells = jp.locator("#matrix a[data-locale]").evaluate_all("as => as.map(a => a.dataset.locale)")
    assert set(cells) == {"ja-JP"} and len(cells) == 2
    _shot(jp, "2-matrix-ja")
    br_variant = next(v for v in req["variants"] if v["locale"] == "pt-BR")
    resp = jp.goto(f"{server}/ui/variants/{br_variant['id']}")
    assert resp.status == 404  # same answer as for a variant that does not exist

    # --- flag the first ja-JP variant with a rectangle and two categories
    jp.goto(f"{server}/ui/queue")
    jp.click("#queue a >> nth=0")
    jp.wait_for_selector("#variant-img")
    vid = int(jp.url.rsplit("/", 1)[1])
    img = jp.locator("#variant-img").bounding_box()
    x0, y0 = img["x"] + img["width"] * 0.2, img["y"] + img["height"] * 0.3
    jp.mouse.move(x0, y0)
    jp.mouse.down()
    jp.mouse.move(x0 + img["width"] * 0.25, y0 + img["height"] * 0.35, steps=8)
    jp.mouse.up()
    assert float(jp.input_value("#rect_w")) == pytest.approx(0.25, abs=0.02)
    jp.check("input[name=categories][value=gesture]")
    jp.check("input[name=categories][value=politics]")
    jp.fill("#comment", "手のしぐさが失礼に見える。地図の境界線も問題。")
    _shot(jp, "3-marking-ja")
    jp.click("#flag-submit")
    jp.wait_for_load_state("networkidle")
    assert jp.inner_text("#state") == "修正依頼"
    assert jp.locator(".rect.old").count() == 1
    flags = admin.get(f"/api/v1/variants/{vid}/flags").get_json()
    assert flags[0]["categories"] == ["gesture", "politics"]
    assert flags[0]["rect"]["w"] == pytest.approx(0.25, abs=0.02) and flags[0]["author"] == "reviewer_jp"
    _shot(jp, "4-flagged-ja")

    # --- marketing finds the flagged cell with the state filter of the campaign page
    mk = _login(browser, server, "marketing")
    mk.goto(f"{server}/ui/campaigns/{req['id']}")
    mk.wait_for_selector("#progress-text:not(:empty)")
    assert mk.inner_text("#state-counts .count-filter[data-status=changes_requested] .n") == "1"
    mk.click("#state-counts .count-filter[data-status=changes_requested]")
    lit = mk.locator("#matrix a[data-variant]:visible").evaluate_all("as => as.map(a => +a.dataset.variant)")
    assert lit == [vid], lit  # the other cells are hidden, not dimmed
    assert mk.locator("#matrix td.off").count() == 5 and mk.locator("#matrix tr.off").count() == 2
    _shot(mk, "4b-filtered-matrix-en")
    mk.click("#state-counts .count-filter[data-status='']")
    assert mk.locator("#matrix td.off").count() == 0 and mk.locator("#matrix a[data-variant]:visible").count() == 6

    # --- marketing re-renders with overrides; the page follows the render live
    mk.goto(f"{server}/ui/variants/{vid}")
    assert "gesture" not in mk.inner_text("#flags")  # labels, not codes
    assert "Gesture or body language" in mk.inner_text("#flags")
    mk.fill("input[name=tagline]", "故郷は、すぐそこ。")
    mk.select_option("select[name=text_zone]", "top")
    mk.click("#rerender")
    # not wait_for_function: Playwright evaluates its string with eval(), which the CSP refuses
    expect(mk.locator("#state")).to_have_text("Rendered", timeout=180_000)
    assert mk.get_attribute("#revision", "data-revision") == "2"
    _shot(mk, "5-rerendered-en")

    # --- the reviewer approves the new revision with the keyboard shortcut
    jp.goto(f"{server}/ui/variants/{vid}")
    assert jp.get_attribute("#revision", "data-revision") == "2"
    assert jp.inner_text("#state") == "レビュー中"
    jp.keyboard.press("a")
    jp.wait_for_load_state("networkidle")
    state = admin.get(f"/api/v1/variants/{vid}/review").get_json()
    assert state["status"] == "approved" and state["revision"] == 2 and state["approved_by"] == "reviewer_jp"
    jp.goto(f"{server}/ui/variants/{vid}")
    assert jp.inner_text("#state") == "承認済み"
    _shot(jp, "6-approved-ja")

    # --- Arabic reviewer: right-to-left layout
    ar = _login(browser, server, "reviewer_sa")
    assert ar.get_attribute("html", "dir") == "rtl" and ar.get_attribute("html", "lang") == "ar"
    brand = ar.locator("header.top .brand").bounding_box()
    logout = ar.locator("header.top button").bounding_box()
    assert brand["x"] > 700 and logout["x"] < brand["x"], (brand, logout)  # starts at the right
    first_th = ar.locator("#queue th >> nth=0").bounding_box()
    last_th = ar.locator("#queue th >> nth=-1").bounding_box()
    assert first_th["x"] > last_th["x"]  # table columns run right to left
    assert "قائمة مراجعتي" in ar.inner_text("h1")
    _shot(ar, "7-queue-ar-rtl")
    ar.click("#queue a >> nth=0")
    ar.wait_for_selector("#variant-img")
    assert ar.locator(".main").bounding_box()["x"] > ar.locator(".side").bounding_box()["x"]
    _shot(ar, "8-variant-ar-rtl")
