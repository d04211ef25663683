"""Accessibility in real headless Chromium: axe-core (vendored as tests/axe.min.js, from the npm
package axe-core 4.14.1, MPL-2.0) runs on every page of the UI in English, Japanese and Arabic
(right to left) and finds 0 critical and 0 serious violations. The results of every page are
printed (run with -s to see them), so a regression names the rule, the page and the nodes."""
from __future__ import annotations

from pathlib import Path

import pytest

from review_helpers import make_people, seeded_campaign
from test_browser_review import ARGS, CHROMIUM, _login, server  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.service]
AXE = (Path(__file__).resolve().parent / "axe.min.js").read_text(encoding="utf-8")
LANGS = {"en": "en-US", "ja": "ja-JP", "ar": "ar-SA"}


def axe(page) -> list[dict]:
    """Run axe on the loaded page. page.evaluate goes through the DevTools protocol, which the
    page's CSP does not govern, so axe needs no nonce and the policy stays as served."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE + "\n;undefined")
    return page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
                                      count: v.nodes.length}));
    }""")


def report(lang: str, path: str, violations: list[dict]) -> list[str]:
    """Print one page's result; return its critical and serious violations, readably."""
    bad = [v for v in violations if v["impact"] in ("critical", "serious")]
    line = ", ".join(f"{v['id']}[{v['impact']}]x{v['count']}" for v in violations) or "no violations"
    print(f"axe {lang:2} {path:40} {line}")
    return [f"{lang} {path}: {v['id']} ({v['impact']}, {v['count']} nodes: {v['nodes']}) {v['help']}" for v in bad]


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def test_every_page_has_no_critical_or_serious_axe_violation(sqlite_stack, server, chromium):  # noqa: F811
    app = sqlite_stack.app
    admin = app.test_client()
    make_people(admin)
    _seeded, req = seeded_campaign(app, locales=("ja-JP", "ar-SA"), formats=("thumbnail-small", "square"))
    app.config.update(EXPORT_ALLOW_PRIVATE=True)
    r = admin.post("/api/v1/export-targets", json={"name": "cdn", "kind": "http-put", "url": "http://127.0.0.1:9/up",
                                                   "enabled": False})
    assert r.status_code == 201, r.get_data(as_text=True)
    target = r.get_json()["id"]
    ids = [v["id"] for v in req["variants"]]  # ja-JP x2, then ar-SA x2
    fresh, flagged, approved = ids[0], ids[2], ids[3]
    r = admin.post(f"/api/v1/variants/{flagged}/flags", json={
        "revision": 1, "categories": ["gesture"], "comment": "hand", "rect": {"x": .1, "y": .1, "w": .3, "h": .3}})
    assert r.status_code in (200, 201), r.get_data(as_text=True)
    assert admin.post(f"/api/v1/variants/{approved}/approve", json={"revision": 1}).status_code == 200
    pages = ["/ui/campaigns", f"/ui/campaigns/{req['id']}", "/ui/queue", f"/ui/variants/{flagged}",
             f"/ui/variants/{approved}", f"/ui/variants/{fresh}", "/ui/audit", "/ui/exports",
             "/ui/export-targets", f"/ui/export-targets/{target}/edit", "/ui/no-such-page"]
    failures: list[str] = []
    for lang, accept in LANGS.items():
        anon = chromium.new_context(locale=accept).new_page()
        anon.goto(f"{server}/ui/login")
        failures += report(lang, "/ui/login", axe(anon))
        anon.context.close()
        page = _login(chromium, server, "admin2", lang=accept)
        for path in pages:
            page.goto(f"{server}{path}")
            page.wait_for_load_state("networkidle")
            assert page.get_attribute("html", "lang") == lang.replace("_", "-"), (lang, path)
            failures += report(lang, path, axe(page))
        # the matrix with a state filter on (cells hide, none is dimmed to illegibility)
        page.goto(f"{server}/ui/campaigns/{req['id']}")
        page.wait_for_selector("#progress-text:not(:empty)")
        page.click("#state-counts .count-filter[data-status=approved]")
        assert page.locator("#matrix a[data-variant]:visible").count() == 1
        failures += report(lang, "/ui/campaigns/<id> (filtered)", axe(page))
        if lang == "en":  # the check can fail: an unnamed image link is caught
            page.evaluate("""() => { const a = document.createElement('a'); a.href = '#x';
                                     a.appendChild(document.createElement('img')); document.body.appendChild(a); }""")
            assert {v["id"] for v in axe(page) if v["impact"] in ("critical", "serious")} >= {"link-name", "image-alt"}
        page.context.close()
        # a reviewer's own pages, and a page their role may not open (403)
        rev = _login(chromium, server, "reviewer_jp2", lang=accept)
        for path in ("/ui/queue", f"/ui/variants/{fresh}", "/ui/audit"):
            rev.goto(f"{server}{path}")
            rev.wait_for_load_state("networkidle")
            failures += report(lang, f"{path} (reviewer)", axe(rev))
        rev.context.close()
    assert not failures, "\n".join(failures)
