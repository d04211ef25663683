"""Attacker-side checks of the web edge, through the real app, real Redis and real databases:
open redirects after login, cookie flags, CSP and nosniff on pages, API answers and blobs, login
and bad-token throttling, equal timing for unknown and known names, the campaigns list's scope."""
from __future__ import annotations

import re
import statistics
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from redis import Redis

from conftest import REDIS_URL, make_stack, seed_campaign
from review_helpers import (PASSWORD, client_for, create_request, csrf_of, drop_jobs, logged_in, make_people,
                            offset_ids, render_inline)

pytestmark = pytest.mark.service
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _post_login(app, username: str, password: str = PASSWORD, *, next_: str | None = None,
                addr: str = "127.0.0.1", csrf: bool = True):
    c = client_for(app, None)
    env = {"REMOTE_ADDR": addr}
    page = c.get("/ui/login", environ_base=env)
    data = {"username": username, "password": password}
    if csrf:
        data["csrf_token"] = csrf_of(page.get_data(as_text=True))
    return c.post("/ui/login", query_string={"next": next_} if next_ is not None else None, data=data,
                  environ_base=env)


# --- open redirect ----------------------------------------------------------------------------

def test_safe_next_accepts_only_same_site_paths():
    from app.auth import safe_next

    for good in ("/ui/queue", "/ui/variants/3?x=1", "/ui/exports?target=a%20b", "/ui/"):
        assert safe_next(good) == good, good
    for bad in ("/\t/evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example",
                "https://evil.example/", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "http:/evil.example",
                "/\n/evil.example", "/\r\n//evil.example", " //evil.example", "/\x00/evil.example",
                "/%2F/evil.example", "/%5Cevil.example", "/%09/evil.example", "/\u200b/evil.example",
                "/\u3000/evil.example", "evil.example", "", None, "ui/queue"):
        assert safe_next(bad) is None, repr(bad)


def test_login_never_redirects_off_site(sqlite_stack):
    app = sqlite_stack.app
    make_people(app.test_client())
    accounts = ["marketing", "admin2", "reviewer_jp", "reviewer_br", "reviewer_sa", "reviewer_jp2"]
    evil = ["/\t/evil.example", "//evil", "/\\evil", "https://evil", "javascript:alert(1)", "/%2F/evil.example"]
    for i, target in enumerate(evil):
        r = _post_login(app, accounts[i % len(accounts)], next_=target)
        where = urlsplit(r.headers.get("Location", ""))
        assert r.status_code == 302 and where.netloc in ("", "localhost") and where.path == "/ui/", (target, where)
        assert "evil" not in r.headers["Location"] and "javascript" not in r.headers["Location"]
    # exactly the attacker's request: the tab percent-encoded in the raw query string
    c = client_for(app, None)
    page = c.get("/ui/login")
    r = c.post("/ui/login?next=/%09/evil.example", data={"username": "admin2", "password": PASSWORD,
                                                         "csrf_token": csrf_of(page.get_data(as_text=True))})
    assert r.status_code == 302 and r.headers["Location"] == "/ui/", r.headers["Location"]
    # a local page is kept
    r = _post_login(app, "marketing", next_="/ui/queue?x=1")
    assert r.status_code == 302 and r.headers["Location"] == "/ui/queue?x=1"


# --- cookies and headers ----------------------------------------------------------------------

def test_session_cookie_is_httponly_samesite_lax_and_not_secure_on_http(sqlite_stack):
    app = sqlite_stack.app
    make_people(app.test_client())
    r = _post_login(app, "marketing")
    cookie = r.headers["Set-Cookie"]
    assert r.status_code == 302 and cookie.startswith("session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Strict-Transport-Security" not in r.headers  # plain http: no HSTS, no redirect


def test_https_configuration_sets_secure_cookie_hsts_and_redirect(tmp_path):
    stack = make_stack(tmp_path, f"sqlite:///{tmp_path / 'var' / 'marquee.db'}", MARQUEE_HTTPS="1")
    app = stack.app
    c = client_for(app, None)
    r = c.get("/ui/login", base_url="http://localhost")
    assert r.status_code == 302 and r.headers["Location"].startswith("https://localhost/ui/login")
    s = client_for(app, None)
    r = s.get("/ui/login", base_url="https://localhost")
    assert r.status_code == 200 and r.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = r.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def _csp(resp) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: (part.strip().split(" ", 1) + [""])[1]
            for part in resp.headers["Content-Security-Policy"].split(";") if part.strip()}


def test_ui_pages_have_a_nonce_csp_that_denies_framing(sqlite_stack):
    app = sqlite_stack.app
    make_people(app.test_client())
    anon = client_for(app, None)
    pages = [anon.get("/ui/login")]
    c, _t = logged_in(app, "marketing")
    pages += [c.get("/ui/campaigns"), c.get("/ui/queue"), c.get("/ui/no-such-page")]
    for r in pages:
        csp = _csp(r)
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY" and csp["frame-ancestors"] == "'none'"
        assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
        assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'"
        nonce = re.search(r"'nonce-([^']+)'", csp["script-src"]).group(1)
        assert f"'nonce-{nonce}'" in csp["style-src-elem"]
        html = r.get_data(as_text=True)
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
            assert f'nonce="{nonce}"' in tag, tag
    first, second = (_csp(client_for(app, None).get("/ui/login"))["script-src"] for _ in range(2))
    assert first != second  # a fresh nonce per response


def test_templates_have_no_inline_handlers_and_every_script_carries_the_nonce():
    """Scripts added later must carry the nonce (or the CSP blocks them in the browser)."""
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", text):
            assert 'nonce="{{ csp_nonce() }}"' in tag, f"{path.name}: {tag}"
        handlers = re.findall(r"<[^>]*\son[a-z]+\s*=", text)
        assert not handlers, f"{path.name}: inline event handler {handlers[:1]} (use addEventListener)"
        assert "javascript:" not in text.lower(), path.name


def test_api_answers_are_nosniff_and_unframeable(sqlite_stack):
    app = sqlite_stack.app
    admin = app.test_client()
    for r in (admin.get("/api/v1/me"), client_for(app, None).get("/api/v1/titles"),
              admin.get("/api/v1/key-art/999999"), client_for(app, None).get("/api/v1/openapi.json")):
        assert r.mimetype == "application/json"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        csp = _csp(r)
        assert csp["default-src"] == "'none'" and csp["frame-ancestors"] == "'none'"


def test_blobs_are_nosniff_sandboxed_and_originals_are_downloads(sqlite_stack):
    """A JPEG with an HTML tail is served byte-exact as image/jpeg that no browser will run."""
    from app.sample import sample_key_art_jpeg

    app = sqlite_stack.app
    admin = app.test_client()
    make_people(admin)
    polyglot = sample_key_art_jpeg(400, 600) + b"<html><script>alert(document.cookie)</script></html>"
    seeded = seed_campaign(admin, key_art=polyglot)
    art_id = seeded["art"]["id"]
    r = admin.get(f"/api/v1/key-art/{art_id}/original")
    assert r.status_code == 200 and r.data == polyglot and r.mimetype == "image/jpeg"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    csp = _csp(r)
    assert csp["default-src"] == "'none'" and "sandbox" in csp and csp["frame-ancestors"] == "'none'"
    assert re.fullmatch(r'attachment; filename="key-art-\d+-original\.jpg"', r.headers["Content-Disposition"])

    offset_ids(app, seeded)
    req = create_request(admin, seeded, ["ja-JP"], ["thumbnail-small"])
    render_inline(app, [v["id"] for v in req["variants"]])
    drop_jobs(app, [v["id"] for v in req["variants"]])
    vid = req["variants"][0]["id"]
    ui, _t = logged_in(app, "marketing")
    for resp in (admin.get(f"/api/v1/variants/{vid}/image.jpeg"), ui.get(f"/ui/variants/{vid}/image.jpg"),
                 ui.get(f"/ui/variants/{vid}/source.jpg")):
        assert resp.status_code == 200 and resp.mimetype == "image/jpeg", resp.status
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert _csp(resp)["default-src"] == "'none'" and "sandbox" in _csp(resp)
        assert re.fullmatch(r'inline; filename="[A-Za-z0-9._-]+\.jpe?g"', resp.headers["Content-Disposition"])


# --- throttling -------------------------------------------------------------------------------

def _limit_keys(stack) -> list[bytes]:
    return list(Redis.from_url(REDIS_URL).scan_iter(f"*{stack.env['MARQUEE_QUEUE_PREFIX']}marquee*"))


def test_login_is_throttled_per_user_name(sqlite_stack):
    app = sqlite_stack.app
    make_people(app.test_client())
    for i in range(10):  # ten wrong passwords, each from another address
        r = _post_login(app, "marketing", "wrong password", addr=f"10.1.0.{i + 1}")
        assert r.status_code == 401, (i, r.status_code)
    r = _post_login(app, "marketing", addr="10.1.1.1")  # the right password, from a fresh address
    body = r.get_data(as_text=True)
    assert r.status_code == 429 and "per user name" in body and "10/minute" in body
    assert int(r.headers["Retry-After"]) > 0
    c = client_for(app, None)
    env = {"REMOTE_ADDR": "10.1.1.3"}
    data = {"username": "marketing", "password": PASSWORD,
            "csrf_token": csrf_of(c.get("/ui/login", environ_base=env).get_data(as_text=True))}
    assert c.post("/ui/login", data=data, environ_base=env).status_code == 429
    assert c.get("/ui/campaigns", environ_base=env).status_code == 302  # no session was opened
    r = _post_login(app, " MARKETING ", "wrong password", addr="10.1.1.2")  # same name, other spelling
    assert r.status_code == 429
    # another person is not affected
    assert _post_login(app, "admin2", addr="10.1.1.1").status_code == 302
    assert _limit_keys(sqlite_stack), "the counters live in the app's Redis"


def test_login_is_throttled_per_address(sqlite_stack):
    app = sqlite_stack.app
    make_people(app.test_client())
    for i in range(30):  # every POST counts, even one refused for its CSRF token
        assert _post_login(app, f"nobody{i}", "x", addr="10.2.0.9", csrf=False).status_code == 400
    r = _post_login(app, "marketing", addr="10.2.0.9")
    body = r.get_data(as_text=True)
    assert r.status_code == 429 and "per address" in body and "30/minute" in body
    # no proxy is trusted by default: a forged X-Forwarded-For does not make a new address
    c = client_for(app, None)
    env, forged = {"REMOTE_ADDR": "10.2.0.9"}, {"X-Forwarded-For": "198.51.100.7"}
    data = {"username": "marketing", "password": PASSWORD,
            "csrf_token": csrf_of(c.get("/ui/login", environ_base=env).get_data(as_text=True))}
    assert c.post("/ui/login", data=data, environ_base=env, headers=forged).status_code == 429
    assert _post_login(app, "marketing", addr="10.2.0.10").status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(tmp_path):
    stack = make_stack(tmp_path, f"sqlite:///{tmp_path / 'var' / 'marquee.db'}", MARQUEE_TRUSTED_PROXIES="1")
    app = stack.app
    make_people(app.test_client())

    def attempt(client_addr: str, username: str = "marketing", csrf: bool = True):
        c = client_for(app, None)
        env, fwd = {"REMOTE_ADDR": "10.9.9.9"}, {"X-Forwarded-For": client_addr}  # every request via the proxy
        data = {"username": username, "password": PASSWORD}
        page = c.get("/ui/login", environ_base=env, headers=fwd)
        if csrf:
            data["csrf_token"] = csrf_of(page.get_data(as_text=True))
        return c.post("/ui/login", data=data, environ_base=env, headers=fwd).status_code

    assert [attempt("203.0.113.5", f"nobody{i}", csrf=False) for i in range(30)] == [400] * 30
    assert attempt("203.0.113.5") == 429
    assert attempt("203.0.113.6") == 302  # another client behind the same proxy


def test_bad_bearer_tokens_are_throttled_per_address(sqlite_stack):
    app = sqlite_stack.app
    token = app.config["TEST_ADMIN_TOKEN"]
    guesser = client_for(app, None)
    for i in range(30):
        r = guesser.get("/api/v1/me", headers={"Authorization": f"Bearer mq_guess{i}"},
                        environ_base={"REMOTE_ADDR": "10.3.0.1"})
        assert r.status_code == 401, (i, r.status_code)
    r = guesser.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}, environ_base={"REMOTE_ADDR": "10.3.0.1"})
    err = r.get_json()
    assert r.status_code == 429 and err["code"] == "too_many_requests" and "30/minute" in err["message"]
    assert int(r.headers["Retry-After"]) > 0
    # valid tokens are never counted, and other addresses are not affected
    for _ in range(40):
        assert guesser.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"},
                           environ_base={"REMOTE_ADDR": "10.3.0.2"}).status_code == 200


def test_unknown_and_known_names_take_the_same_time(sqlite_stack):
    app = sqlite_stack.app
    make_people(app.test_client())

    def median_ms(username: str, base: int) -> float:
        times = []
        for i in range(5):
            c = client_for(app, None)
            env = {"REMOTE_ADDR": f"10.4.{base}.{i + 1}"}
            data = {"username": username, "password": "wrong password",
                    "csrf_token": csrf_of(c.get("/ui/login", environ_base=env).get_data(as_text=True))}
            t0 = time.perf_counter()
            r = c.post("/ui/login", data=data, environ_base=env)
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 401
        return statistics.median(times)

    known, unknown = median_ms("marketing", 1), median_ms("no-such-person", 2)
    print(f"login medians: known {known:.1f} ms, unknown {unknown:.1f} ms")
    assert abs(known - unknown) / max(known, unknown) < 0.5, (known, unknown)


# --- scope ------------------------------------------------------------------------------------

def test_campaigns_list_shows_only_the_readers_locales(sqlite_stack):
    app = sqlite_stack.app
    admin = app.test_client()
    make_people(admin)
    seeded = seed_campaign(admin)
    req = create_request(admin, seeded, ["ja-JP", "pt-BR", "de-DE"], ["square"])
    drop_jobs(app, [v["id"] for v in req["variants"]])

    def locales_cell(username: str) -> str:
        c, _t = logged_in(app, username)
        html = c.get("/ui/campaigns").get_data(as_text=True)
        row = re.search(rf'<tr><td><a href="/ui/campaigns/{req["id"]}">.*?</tr>', html, re.S).group(0)
        return re.findall(r"<td>([^<]*)</td>", row)[0]

    assert locales_cell("reviewer_jp") == "ja-JP"
    assert locales_cell("reviewer_br") == "pt-BR"
    assert locales_cell("marketing") == "ja-JP, pt-BR, de-DE"
