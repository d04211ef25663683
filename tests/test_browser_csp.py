"""The UI under its Content-Security-Policy in real headless Chromium: no page triggers a CSP
violation, the nonce'd <style> and scripts run (the language menu, the campaign page's polling,
the variant page's marker), and another site cannot frame a page."""
from __future__ import annotations

import pytest

from review_helpers import make_people, seeded_campaign
from test_browser_review import _login, browser, server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.service]


def test_ui_runs_under_the_csp_without_violations(sqlite_stack, server, browser):  # noqa: F811
    app = sqlite_stack.app
    make_people(app.test_client())
    _, req = seeded_campaign(app, ["ja-JP"], ["thumbnail-small"])
    vid = req["variants"][0]["id"]

    page = _login(browser, server, "admin2")
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: violations.append(str(e)))

    # the <style> element applies (it carries the nonce)
    assert page.eval_on_selector("header.top", "h => getComputedStyle(h).backgroundColor") == "rgb(20, 26, 38)"
    for path in ("/ui/campaigns", "/ui/queue", "/ui/exports", "/ui/export-targets", "/ui/audit"):
        assert page.goto(f"{server}{path}").status == 200, path
    page.goto(f"{server}/ui/campaigns/{req['id']}")
    page.wait_for_selector("#progress-text:not(:empty)")  # the polling script ran and fetched
    page.goto(f"{server}/ui/variants/{vid}")
    page.wait_for_selector("#variant-img")
    img = page.locator("#variant-img").bounding_box()
    page.mouse.move(img["x"] + 10, img["y"] + 10)
    page.mouse.down()
    page.mouse.move(img["x"] + img["width"] / 2, img["y"] + img["height"] / 2, steps=5)
    page.mouse.up()
    assert float(page.input_value("#rect_w")) > 0.1  # the marker script ran
    assert page.evaluate("() => document.getElementById('variant-img').naturalWidth") > 0

    # the language menu (its handler moved from onchange= to a nonce'd script) still switches
    with page.expect_navigation():
        page.select_option("#ui-locale", "de")
    assert page.get_attribute("html", "lang") == "de"

    # an inline script without the nonce is refused: the policy is really enforced
    page.goto(f"{server}/ui/campaigns")
    violations_before = len(violations)
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__injected = 1'; document.body.appendChild(s); }""")
    assert page.evaluate("() => window.__injected") is None
    assert len(violations) > violations_before
    del violations[violations_before:]

    # a page framed by another origin stays empty
    framer = browser.new_context().new_page()
    framer.set_content(f'<iframe id="f" src="{server}/ui/login"></iframe>')
    framer.wait_for_timeout(1500)
    frame = framer.frame_locator("#f")
    assert frame.locator("input[name=username]").count() == 0

    assert violations == [], violations
