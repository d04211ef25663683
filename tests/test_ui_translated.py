"""Every word translated: every page and every form error of the UI, in each UI language, shows
no catalog string (msgid) in English and no raw code (a role, a state, a fix kind).

The crawl goes through the real app with logged-in sessions: the pages of each role, the 403 and
404 pages, a flag without a category, refused export targets, a wrong password and the 429 login
throttle. Text is read as the browser shows it (text nodes, plus alt, title and aria-label)."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from review_helpers import PASSWORD, csrf_of, logged_in, make_people, seeded_campaign

pytestmark = pytest.mark.service
LOCALES = Path(__file__).resolve().parent.parent / "locales"
#: codes stored in the database that must reach a reader only through a label
RAW_CODES = re.compile(r"(?<![\w/.-])(reviewer|rerender|restyle|submitted|changes_requested|"
                       r"in_review|thumbnail-small|link-card|[a-z]+_[a-z]+_[a-z_]+)(?![\w/.-])")


class Visible(HTMLParser):
    """Text nodes and the attributes a person or a screen reader meets."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for k, v in attrs:
            if k in ("alt", "title", "aria-label") and v:
                self.texts.append(v)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


def visible_texts(html: str) -> list[str]:
    p = Visible()
    p.feed(html)
    return [" ".join(t.split()) for t in p.texts]


def english_msgids(code: str) -> list[str]:
    """Catalog strings whose translation differs from the English, longest first; placeholders
    cut the msgid into its fixed parts."""
    from babel.messages.pofile import read_po

    cat = read_po(open(LOCALES / code / "LC_MESSAGES" / "messages.po", "rb"))
    out: set[str] = set()
    translations = {" ".join(m.string.split()) for m in cat if isinstance(m.string, str) and m.string}
    for m in cat:
        if not m.id or not isinstance(m.id, str) or m.string == m.id:
            continue
        for part in re.split(r"%\(\w+\)s|<[^>]+>", m.id):
            part = part.strip(" .:·,()")
            if len(part) >= 4 and re.search(r"[A-Za-z]{3}", part) and (len(part.split()) >= 2 or part == m.id):
                out.add(part)
    # a word that is also a translation here ("Filter" in German) proves nothing
    return sorted(out - translations, key=len, reverse=True)


def untranslated(html: str, msgids: list[str]) -> list[str]:
    found = []
    for text in visible_texts(html):
        for mid in msgids:
            # a one-word msgid counts only as a whole text node ("Approved"), a phrase anywhere
            if text == mid or (" " in mid and re.search(rf"(?<!\w){re.escape(mid)}(?!\w)", text)):
                found.append(f"{mid!r} in {text[:80]!r}")
                break
        else:
            m = RAW_CODES.search(text)
            if m:
                found.append(f"code {m.group(1)!r} in {text[:80]!r}")
    return found


def test_no_english_left_on_any_page_or_form_error(sqlite_stack):
    app = sqlite_stack.app
    app.config.update(EXPORT_ALLOW_PRIVATE=False, LOGIN_LIMIT_ACCOUNT="3/minute", LOGIN_LIMIT_ADDRESS="1000/minute")
    admin = app.test_client()
    make_people(admin)
    _seeded, req = seeded_campaign(app, locales=("ja-JP", "ar-SA"), formats=("thumbnail-small", "square"))
    ids = [v["id"] for v in req["variants"]]
    with app.app_context():  # a finished re-render in the fix list ("rerender · r1→r2 · submitted")
        from app.extensions import db
        from app.models import FixRequest
        db.session.add(FixRequest(variant_id=ids[3], kind="rerender", from_revision=1, to_revision=2,
                                  status="submitted", actor="marketing", overrides={"tagline": "x"}))
        db.session.commit()
    assert admin.post(f"/api/v1/variants/{ids[2]}/approve", json={"revision": 1}).status_code == 200
    r = admin.post("/api/v1/export-targets", json={"name": "cdn", "kind": "http-put",
                                                   "url": "https://93.184.216.34/cdn/", "enabled": False})
    assert r.status_code == 201, r.get_data(as_text=True)
    target = r.get_json()["id"]
    from app.web import UI_LANGUAGES

    problems: list[str] = []
    checked = 0
    sessions = {user: logged_in(app, user) for user in ("admin2", "marketing", "reviewer_jp2")}
    for code in UI_LANGUAGES:
        if code == "en":
            continue
        msgids = english_msgids(code)
        accept = {"Accept-Language": code.replace("_", "-")}

        def check(what: str, html: str, status: int | None = None, expect: int | None = None) -> None:
            nonlocal checked
            checked += 1
            if expect is not None:
                assert status == expect, (code, what, status)
            problems.extend(f"{code} {what}: {p}" for p in untranslated(html, msgids))

        anon = app.test_client()
        r = anon.get("/ui/login", headers=accept)
        check("login", r.get_data(as_text=True))
        r = anon.post("/ui/login", headers=accept, data={"username": f"nobody-{code}", "password": "wrong",
                                                         "csrf_token": csrf_of(r.get_data(as_text=True))})
        check("wrong password", r.get_data(as_text=True), r.status_code, 401)
        for _ in range(4):  # the per-name limit (3/minute) answers 429
            page = anon.get("/ui/login", headers=accept).get_data(as_text=True)
            r = anon.post("/ui/login", headers=accept, data={"username": f"throttled-{code}", "password": "x",
                                                             "csrf_token": csrf_of(page)})
        check("429 login throttle", r.get_data(as_text=True), r.status_code, 429)

        for user, (c, token) in sessions.items():
            c.post("/ui/profile", data={"csrf_token": token, "ui_locale": code})
            pages = ["/ui/campaigns", f"/ui/campaigns/{req['id']}", "/ui/queue", "/ui/no-such-page",
                     *(f"/ui/variants/{v}" for v in ids)]
            if user != "reviewer_jp2":
                pages += ["/ui/audit", "/ui/exports"]
            if user == "admin2":
                pages += ["/ui/export-targets", f"/ui/export-targets/{target}/edit"]
            else:
                pages += ["/ui/export-targets"]  # 403
            for path in pages:
                r = c.get(path)
                assert r.status_code in (200, 403, 404), (code, user, path, r.status_code)
                html = r.get_data(as_text=True)
                if r.status_code in (403, 404):
                    assert 'id="error-page"' in html and 'href="/ui/campaigns"' in html, (code, path)  # navigation
                check(f"{user} {path}", html)
            if user == "admin2":
                r = c.post(f"/ui/variants/{ids[0]}/flag", data={"csrf_token": token, "revision": 1, "comment": "x"},
                           follow_redirects=True)
                check("flag without a category", r.get_data(as_text=True))
                assert 'class="flash error"' in r.get_data(as_text=True)
                for body in ({"name": "m", "kind": "http-put", "url": "http://169.254.169.254/latest/"},
                             {"name": "l", "kind": "http-put", "url": "http://127.0.0.1:8080/hook"},
                             {"name": "s", "kind": "http-put", "url": "gopher://example.com/"},
                             {"kind": "http-put", "url": "https://93.184.216.34/x"},
                             {"name": "u", "kind": "http-put"}, {"name": "b", "kind": "s3"},
                             {"name": "w", "kind": "webhook", "url": "https://93.184.216.34/x"},
                             {"name": "e", "kind": "webhook", "url": "https://93.184.216.34/x", "webhook_secret_env": "lower"},
                             {"name": "h", "kind": "http-put", "url": "https://93.184.216.34/x", "put_headers": "no colon"},
                             {"name": "r", "kind": "http-put", "url": "https://93.184.216.34/x", "regions": "USA"},
                             {"name": "cdn", "kind": "http-put", "url": "https://93.184.216.34/x"}):
                    r = c.post("/ui/export-targets", data={"csrf_token": token, "enabled": "1", **body})
                    html = r.get_data(as_text=True)
                    assert 'id="target-error"' in html and "The server refused this" not in html, (code, body)
                    check(f"target error {body}", html, r.status_code, 409 if body.get("name") == "cdn" else 422)
                r = c.post(f"/ui/variants/{ids[2]}/approve", data={"csrf_token": token, "revision": 1})
                check("approve twice (409)", r.get_data(as_text=True))
    print(f"checked {checked} pages and form errors in {len(UI_LANGUAGES) - 1} languages")
    assert checked > 150
    assert not problems, "\n".join(problems[:80])


def test_the_check_catches_english():
    """The detector itself: an English msgid or a raw role code on a Japanese page is found."""
    msgids = english_msgids("ja")
    assert untranslated("<p>Approved</p><span>Flag a problem <kbd>f</kbd></span>", msgids) == [
        "'Approved' in 'Approved'", "'Flag a problem' in 'Flag a problem'"]
    assert untranslated('<span id="whoami">reviewer_jp · reviewer (JP)</span>', msgids) == [
        "code 'reviewer' in 'reviewer_jp · reviewer (JP)'"]
    assert untranslated("<span>baked_text_covered</span>", msgids) == ["code 'baked_text_covered' in 'baked_text_covered'"]
    assert untranslated("<p>承認済み</p><script>var x = 'Approved';</script>", msgids) == []
