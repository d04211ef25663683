"""Safe decisions in real headless Chromium: after `a` the next page offers Undo for the undo
window (a countdown, then the bar goes), Undo puts the variant back in review, and an approved
variant is reopened from its page with a reason. Screenshots go to test-artifacts/."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from review_helpers import make_people, seeded_campaign
from test_browser_review import _login, _shot, browser, server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.service]


def _state(admin, vid):
    return admin.get(f"/api/v1/variants/{vid}/review").get_json()["status"]


def test_approve_undo_and_reopen_in_chromium(sqlite_stack, server, browser):  # noqa: F811
    app = sqlite_stack.app
    app.config.update(UNDO_WINDOW_S=10, EXPORT_GRACE_S=120)
    admin = app.test_client()
    make_people(admin)
    _seeded, req = seeded_campaign(app, locales=("ja-JP",), formats=("thumbnail-small", "square"))
    first, second = (v["id"] for v in req["variants"])

    jp = _login(browser, server, "reviewer_jp")  # Japanese UI
    jp.goto(f"{server}/ui/variants/{first}")
    jp.keyboard.press("a")
    jp.wait_for_load_state("networkidle")
    assert jp.url.endswith(f"/ui/variants/{second}")  # on to the next item ...
    assert _state(admin, first) == "approved"
    expect(jp.locator("#undo-bar")).to_be_visible()  # ... with the undo bar
    assert "取り消す" in jp.inner_text("#undo")
    left = int(jp.inner_text("#undo-left"))
    assert 5 <= left <= 10, left
    _shot(jp, "undo-bar-ja")
    jp.click("#undo")
    jp.wait_for_load_state("networkidle")
    assert jp.url.endswith(f"/ui/variants/{first}")
    assert _state(admin, first) == "in_review"
    assert jp.locator("#undo-bar").count() == 0 and jp.locator("#approve").count() == 1

    # with a short window the bar counts down and leaves by itself
    app.config["UNDO_WINDOW_S"] = 2
    jp.keyboard.press("a")
    jp.wait_for_load_state("networkidle")
    expect(jp.locator("#undo-bar")).to_be_visible()
    expect(jp.locator("#undo-bar")).to_have_count(0, timeout=5000)
    jp.reload()
    assert jp.locator("#undo-bar").count() == 0  # the server agrees: nothing to undo any more

    # reopen the approved variant from its page, with a reason
    jp.goto(f"{server}/ui/variants/{first}")
    assert jp.locator("#approve").count() == 0 and jp.locator("#reopen").count() == 1
    jp.fill("#reopen-comment", "レーティング表記が古い")
    _shot(jp, "reopen-ja")
    jp.click("#reopen")
    jp.wait_for_load_state("networkidle")
    assert _state(admin, first) == "in_review"
    assert jp.locator("#approve").count() == 1 and jp.locator("#reopen").count() == 0
    history = admin.get(f"/api/v1/variants/{first}/review").get_json()["history"]
    assert [h["action"] for h in history][:4] == ["review.reopen", "review.approve", "review.undo", "review.approve"]

    # Arabic: the bar reads right to left too
    ar = _login(browser, server, "reviewer_sa")
    assert ar.get_attribute("html", "dir") == "rtl"


def test_inboxes_by_role_in_chromium(sqlite_stack, server, browser):  # noqa: F811
    from review_helpers import client_for, drop_jobs, render_inline

    app = sqlite_stack.app
    admin = app.test_client()
    people = make_people(admin)
    _seeded, req = seeded_campaign(app, locales=("ja-JP",), formats=("thumbnail-small", "square"))
    flagged, fresh = (v["id"] for v in req["variants"])
    jp_api = client_for(app, people.tokens["reviewer_jp"])
    r = jp_api.post(f"/api/v1/variants/{flagged}/flags", json={"revision": 1, "categories": ["translation"],
                                                               "comment": "コピーが直訳"})
    assert r.status_code == 201, r.get_data(as_text=True)

    # marketing: "Needs my fix" lists the flagged variant with the reason, not the 2 it cannot decide
    mk = _login(browser, server, "marketing")
    mk.goto(f"{server}/ui/queue")
    assert mk.inner_text("h1") == "Needs my fix"
    rows = mk.locator("#queue tr[data-variant]").evaluate_all("rs => rs.map(r => +r.dataset.variant)")
    assert rows[0] == flagged and fresh not in rows, rows
    assert mk.inner_text(f"#queue tr[data-variant='{flagged}'] .reason") == "Flagged by a reviewer"
    _shot(mk, "inbox-marketing-en")
    mk.click(f"#queue tr[data-variant='{flagged}'] td:nth-child(2) a")
    mk.wait_for_selector("#rerender-form")

    # the fix: a new revision, rendered
    r = client_for(app, people.tokens["marketing"]).post(
        f"/api/v1/variants/{flagged}/rerender", json={"revision": 1, "overrides": {"tagline": "ただいま。"}})
    assert r.status_code in (200, 202), r.get_data(as_text=True)
    render_inline(app, [flagged])
    drop_jobs(app, [flagged])

    # the reviewer: what came back after their flag first, marked, then new work; Next walks it
    jp = _login(browser, server, "reviewer_jp")
    assert jp.url.endswith("/ui/queue")
    first = jp.locator("#queue tr[data-variant] >> nth=0")
    assert int(first.get_attribute("data-variant")) == flagged
    assert jp.locator("#resubmitted tr[data-variant]").count() == 1
    assert "再提出" in first.inner_text()
    assert jp.locator("#new-work tr[data-variant]").count() == 1
    _shot(jp, "inbox-reviewer-ja")
    jp.keyboard.press("n")
    jp.wait_for_selector("#variant-img")
    assert jp.url.endswith(f"/ui/variants/{flagged}")
    assert jp.get_attribute("#next", "href").endswith(f"/ui/variants/{fresh}")
    jp.keyboard.press("n")
    jp.wait_for_load_state("networkidle")
    assert jp.url.endswith(f"/ui/variants/{fresh}")
    assert jp.locator("#next").get_attribute("href").endswith(f"/ui/variants/{flagged}")

    ar = _login(browser, server, "reviewer_sa")
    assert ar.inner_text("h1") == "قائمة مراجعتي"
    _shot(ar, "inbox-reviewer-ar")


def test_viewer_zoom_safe_zones_compare_pins_touch_and_keyboard(sqlite_stack, server, browser):  # noqa: F811
    from review_helpers import client_for, drop_jobs, render_inline

    app = sqlite_stack.app
    admin = app.test_client()
    people = make_people(admin)
    _seeded, req = seeded_campaign(app, locales=("ja-JP",), formats=("square", "banner"))
    square, banner = (v["id"] for v in req["variants"])
    jp_api = client_for(app, people.tokens["reviewer_jp"])
    assert jp_api.post(f"/api/v1/variants/{square}/flags", json={
        "revision": 1, "categories": ["gesture"], "comment": "手", "rect": {"x": .2, "y": .3, "w": .2, "h": .2}}
    ).status_code == 201
    r = client_for(app, people.tokens["marketing"]).post(f"/api/v1/variants/{square}/rerender",
                                                          json={"revision": 1, "overrides": {"text_zone": "bottom"}})
    assert r.status_code in (200, 202), r.get_data(as_text=True)
    render_inline(app, [square])
    drop_jobs(app, [square])

    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="ja-JP", has_touch=True)
    page = ctx.new_page()
    page.goto(f"{server}/ui/login")
    page.fill("input[name=username]", "reviewer_jp")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.goto(f"{server}/ui/variants/{banner}")
    page.wait_for_selector("#variant-img")
    fit = page.locator("#variant-img").bounding_box()
    assert fit["width"] > 800, fit  # a 2400x800 banner fills the column (was 529 px wide)
    assert page.locator("#source").get_attribute("open") is None  # source key art collapsed
    assert not page.locator("#source img").is_visible()
    page.keyboard.press("z")  # actual size: one image pixel per CSS pixel, pannable
    assert page.locator("#variant-img").bounding_box()["width"] == pytest.approx(2400, abs=2)
    assert page.evaluate("() => { const v = document.getElementById('viewer'); return v.scrollWidth > v.clientWidth; }")
    page.keyboard.press("z")
    page.keyboard.press("s")  # the format's safe zones
    assert page.locator("#safe").is_visible() and page.get_attribute("#safe-toggle", "aria-pressed") == "true"
    _shot(page, "viewer-safe-zones-ja")

    # keyboard marking: Enter, arrows move, Shift+arrows resize
    page.keyboard.press("s")
    page.focus("#marker")
    page.keyboard.press("Enter")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    for _ in range(5):
        page.keyboard.press("Shift+ArrowDown")
    assert float(page.input_value("#rect_x")) == pytest.approx(0.5, abs=0.001)
    assert float(page.input_value("#rect_h")) == pytest.approx(0.3, abs=0.001)
    page.keyboard.press("Escape")
    assert page.input_value("#rect_w") == ""

    # touch: a finger drag marks an area (pointer events)
    box = page.locator("#variant-img").bounding_box()
    cdp = ctx.new_cdp_session(page)
    x0, y0 = box["x"] + box["width"] * .1, box["y"] + box["height"] * .2
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]})
    for i in range(1, 6):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [
            {"x": x0 + box["width"] * .05 * i, "y": y0 + box["height"] * .1 * i}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    assert float(page.input_value("#rect_w")) == pytest.approx(0.25, abs=0.02)
    assert float(page.input_value("#rect_h")) == pytest.approx(0.5, abs=0.03)

    # revision 2 of the square: the r1 flag is pin 1 (dashed, earlier), tied to its comment; compare r1/r2
    page.goto(f"{server}/ui/variants/{square}")
    page.wait_for_selector("#variant-img")
    assert page.locator("a.pin#pin-" + str(jp_api.get(f"/api/v1/variants/{square}/flags").get_json()[0]["id"])
                        ).inner_text() == "1"
    assert page.locator(".rect.old.earlier").count() == 1
    page.click("a.pin >> nth=0")
    assert page.url.endswith("#flag-" + page.locator("#flags li >> nth=0").get_attribute("id")[5:])
    page.keyboard.press("c")
    assert page.locator("#prev-img").is_visible()
    assert page.evaluate("() => document.getElementById('prev-img').naturalWidth") == 1080
    page.locator("#compare-slider").fill("30")
    assert "70%" in page.evaluate("() => document.getElementById('prev-img').style.clipPath")
    _shot(page, "viewer-compare-ja")
    ctx.close()


def test_flag_thread_reply_and_resolve_in_chromium(sqlite_stack, server, browser):  # noqa: F811
    from review_helpers import client_for

    app = sqlite_stack.app
    admin = app.test_client()
    people = make_people(admin)
    _seeded, req = seeded_campaign(app, locales=("ja-JP",), formats=("square",))
    vid = req["variants"][0]["id"]
    jp_api = client_for(app, people.tokens["reviewer_jp"])
    flag = jp_api.post(f"/api/v1/variants/{vid}/flags", json={"revision": 1, "categories": ["translation"],
                                                               "comment": "キャッチコピーが直訳です"}).get_json()

    mk = _login(browser, server, "marketing")  # English UI
    mk.goto(f"{server}/ui/variants/{vid}")
    mk.fill(f"#reply-{flag['id']}", "Which word? The brief says 'home'.")
    mk.click(f"#flag-{flag['id']} .reply-send")
    mk.wait_for_load_state("networkidle")
    assert mk.url.endswith(f"#flag-{flag['id']}")
    assert mk.locator(f"#flag-{flag['id']} .reply").count() == 1
    assert mk.locator(f"#flag-{flag['id']} .resolve").count() == 0  # marketing replies, reviewers resolve

    jp = _login(browser, server, "reviewer_jp")  # Japanese UI: the English reply is marked as such
    jp.goto(f"{server}/ui/variants/{vid}")
    reply = jp.locator(f"#flag-{flag['id']} .reply >> nth=0")
    assert "Which word?" in reply.inner_text() and "原文: English" in reply.inner_text()
    assert reply.locator("bdi >> nth=0").get_attribute("lang") == "en"
    jp.fill(f"#reply-{flag['id']}", "「ふるさと」がいいです。")
    jp.click(f"#flag-{flag['id']} .reply-send")
    jp.wait_for_load_state("networkidle")
    _shot(jp, "thread-ja")
    jp.click(f"#flag-{flag['id']} .resolve")
    jp.wait_for_load_state("networkidle")
    assert "解決済み" in jp.inner_text(f"#flag-{flag['id']}")
    thread = jp_api.get(f"/api/v1/flags/{flag['id']}/comments").get_json()
    assert [(c["author"], c["lang"]) for c in thread] == [("marketing", "en"), ("reviewer_jp", "ja")]
    assert jp_api.post(f"/api/v1/flags/{flag['id']}/resolve").status_code == 409  # already resolved
    br = client_for(app, people.tokens["reviewer_br"])
    assert br.post(f"/api/v1/flags/{flag['id']}/comments", json={"body": "x"}).status_code == 404  # not theirs
    actions = [h["action"] for h in jp_api.get(f"/api/v1/variants/{vid}/review").get_json()["history"]]
    assert actions[:3] == ["review.flag_resolved", "review.flag_reply", "review.flag_reply"], actions


def test_locale_wide_fix_one_action_one_audit_entry_n_revisions(sqlite_stack, server, browser):  # noqa: F811
    from review_helpers import client_for, drop_jobs

    app = sqlite_stack.app
    admin = app.test_client()
    people = make_people(admin)
    _seeded, req = seeded_campaign(app, locales=("ja-JP", "pt-BR"), formats=("thumbnail-small", "square"))
    ja = [v["id"] for v in req["variants"] if v["locale"] == "ja-JP"]
    br = [v["id"] for v in req["variants"] if v["locale"] == "pt-BR"]
    jp_api = client_for(app, people.tokens["reviewer_jp"])
    assert jp_api.post(f"/api/v1/variants/{ja[0]}/flags", json={"revision": 1, "categories": ["translation"],
                                                                "comment": "直訳"}).status_code == 201
    with app.app_context():
        from app.extensions import db
        from app.models import Variant

        current = db.session.get(Variant, ja[0]).request.title.localized("ja-JP").tagline
    assert current

    mk = _login(browser, server, "marketing")
    mk.goto(f"{server}/ui/variants/{ja[0]}")
    assert mk.input_value("#tagline") == current  # pre-filled: edit, do not retype
    # the fix form comes after the flag it answers
    assert mk.locator("#flags").bounding_box()["y"] < mk.locator("#fix").bounding_box()["y"]
    mk.fill("#tagline", "ふるさとは、すぐそこ。")
    mk.check("#fix-level input[value=locale]")
    _shot(mk, "fix-level-en")
    mk.click("#rerender")
    mk.wait_for_load_state("networkidle")
    drop_jobs(app, ja)
    states = {v: admin.get(f"/api/v1/variants/{v}/review").get_json() for v in ja + br}
    for v in ja:
        assert states[v]["revision"] == 2 and states[v]["status"] == "queued", states[v]
    for v in br:
        assert states[v]["revision"] == 1, states[v]  # another locale: untouched
    with app.app_context():
        from app.extensions import db
        from app.models import AuditEvent, FixRequest, Variant

        assert [db.session.get(Variant, v).overrides for v in ja] == [{"tagline": "ふるさとは、すぐそこ。"}] * 2
        events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "review.rerender")).all()
        assert len(events) == 1 and events[0].detail["level"] == "locale" and events[0].detail["also"] == [ja[1]]
        assert db.session.scalar(db.select(db.func.count()).select_from(FixRequest)) == 2

    # the whole request through the API; an unchanged pre-filled tagline is not copied to other locales
    r = client_for(app, people.tokens["marketing"]).post(
        f"/api/v1/variants/{br[0]}/rerender", json={"revision": 1, "overrides": {"text_zone": "bottom"},
                                                    "level": "request"})
    assert r.status_code == 202, r.get_data(as_text=True)
    drop_jobs(app, ja + br)
    with app.app_context():
        from app.extensions import db
        from app.models import Variant

        db.session.expire_all()
        got = {v: db.session.get(Variant, v) for v in ja + br}
        assert all(got[v].revision == 2 for v in br)  # pt-BR re-rendered; ja-JP still queued: skipped
        assert all(got[v].revision == 2 for v in ja)
        assert got[br[1]].overrides == {"text_zone": "bottom"}
        from app.models import AuditEvent

        last = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "review.rerender")
                                  .order_by(AuditEvent.id.desc())).first()
        assert last.detail["level"] == "request" and last.detail["also"] == [br[1]] and last.detail["skipped"] == ja
    bad = client_for(app, people.tokens["marketing"]).post(
        f"/api/v1/variants/{br[0]}/rerender", json={"revision": 2, "level": "planet"})
    assert bad.status_code == 422
