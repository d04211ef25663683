"""People, passwords, sessions, CSRF and API tokens, through the real app."""
from __future__ import annotations


from review_helpers import PASSWORD, client_for, csrf_of as _csrf, login as _login, make_people


def test_passwords_and_tokens_are_stored_hashed_and_tokens_shown_once(sqlite_stack):
    app = sqlite_stack.app
    admin = app.test_client()
    people = make_people(admin)
    with app.app_context():
        from app.extensions import db
        from app.models import ApiToken, User

        u = db.session.scalar(db.select(User).where(User.username == "marketing"))
        assert PASSWORD not in (u.password_hash or "") and u.password_hash.startswith(("scrypt:", "pbkdf2:"))
        stored = [t.token_hash for t in db.session.scalars(db.select(ApiToken))]
        assert not any(raw in stored for raw in people.tokens.values())
    listed = admin.get(f"/api/v1/users/{people.ids['marketing']}/tokens").get_json()
    assert listed and all("token" not in t for t in listed)
    assert client_for(app, people.tokens["marketing"]).get("/api/v1/me").get_json()["role"] == "marketing"


def test_revoked_or_unknown_token_gets_401(sqlite_stack):
    app = sqlite_stack.app
    admin = app.test_client()
    people = make_people(admin)
    mk = client_for(app, people.tokens["marketing"])
    assert mk.get("/api/v1/titles").status_code == 200
    tok_id = admin.get(f"/api/v1/users/{people.ids['marketing']}/tokens").get_json()[0]["id"]
    assert admin.delete(f"/api/v1/tokens/{tok_id}").status_code == 204
    r = mk.get("/api/v1/titles")
    assert r.status_code == 401 and "revoked" in r.get_json()["message"]
    assert client_for(app, "mq_not-a-token").get("/api/v1/titles").status_code == 401
    anon = client_for(app, None).get("/api/v1/titles")
    assert anon.status_code == 401 and anon.headers["WWW-Authenticate"].startswith("Bearer")
    assert client_for(app, None).get("/api/v1/openapi.json").status_code == 200


def test_login_session_csrf_and_logout(sqlite_stack):
    app = sqlite_stack.app
    make_people(app.test_client())
    c, r = _login(app, "reviewer_jp", "wrong password")
    # not logged in: the browser language (English), which also tells nothing about the account
    assert r.status_code == 401 and "Wrong user name or password" in r.get_data(as_text=True)
    c, r = _login(app, "integration", "anything-at-all")
    assert r.status_code == 401  # integrations have tokens, not sessions
    for evil in ("//evil.example/x", "/\\evil.example/x", "https://evil.example/"):
        c = client_for(app, None)
        page = c.get("/ui/login")
        r = c.post(f"/ui/login?next={evil}", data={"username": "marketing", "password": PASSWORD,
                                                   "csrf_token": _csrf(page.get_data(as_text=True))})
        assert r.status_code == 302 and r.headers["Location"].endswith("/ui/"), evil  # no open redirect
    c, r = _login(app, "marketing")
    assert r.status_code == 302 and r.headers["Location"].endswith("/ui/")
    page = c.get("/ui/campaigns")
    assert page.status_code == 200
    token = _csrf(page.get_data(as_text=True))
    # a form post without the CSRF token is refused, with it accepted
    assert c.post("/ui/profile", data={"ui_locale": "de"}).status_code == 400
    assert c.post("/ui/profile", data={"ui_locale": "de", "csrf_token": token}).status_code == 302
    assert 'lang="de"' in c.get("/ui/campaigns").get_data(as_text=True)
    # the API with a session cookie also needs the CSRF header for writes
    assert c.post("/api/v1/titles", json={}).status_code == 403
    assert c.post("/api/v1/titles", json={}, headers={"X-CSRF-Token": token}).status_code == 422
    c.post("/ui/logout", data={"csrf_token": token})
    r = c.get("/ui/campaigns")
    assert r.status_code == 302 and "/ui/login" in r.headers["Location"]


def test_ui_language_from_profile_else_accept_language(sqlite_stack):
    app = sqlite_stack.app
    make_people(app.test_client())
    c, _ = _login(app, "reviewer_sa")
    html = c.get("/ui/queue").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html and "قائمة مراجعتي" in html
    assert "<kbd>a</kbd>" in html and "&lt;kbd" not in html  # shortcut hint is markup, not text
    c, _ = _login(app, "marketing", headers={"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"})
    html = c.get("/ui/campaigns", headers={"Accept-Language": "pt-BR,pt;q=0.9"}).get_data(as_text=True)
    assert 'lang="pt-BR"' in html and "Campanhas" in html
    for accept, word in (("ko-KR", "캠페인"), ("hi-IN", "अभियान"), ("fr-FR", "Campagnes"), ("ja", "キャンペーン")):
        assert word in c.get("/ui/campaigns", headers={"Accept-Language": accept}).get_data(as_text=True), accept


def ui_msgids() -> set[str]:
    """Every string the UI code marks for translation (app/web, templates/web), as pybabel extract
    finds them with locales/babel-messages.cfg's mapping."""
    from pathlib import Path

    from babel.messages.extract import extract_from_dir

    root = Path(__file__).resolve().parent.parent
    found = extract_from_dir(str(root), method_map=[("app/web/**.py", "python"),
                                                    ("templates/web/**.html", "jinja2")])
    ids = set()
    for _file, _line, msg, _comments, _ctx in found:
        ids.update([msg] if isinstance(msg, str) else [m for m in msg if m])
    return ids


def test_every_ui_catalog_is_complete():
    from pathlib import Path

    from babel.messages.pofile import read_po

    from app.web import UI_LANGUAGES

    root = Path(__file__).resolve().parent.parent / "locales"
    wanted = ui_msgids()
    assert len(wanted) > 100 and "Log in" in wanted and "Export targets" in wanted  # the extraction works
    for code in UI_LANGUAGES:
        cat = read_po(open(root / code / "LC_MESSAGES" / "messages.po", "rb"))
        absent = sorted(m for m in wanted if m not in cat)
        assert not absent, (code, "strings used in the UI but missing from the catalog", absent)
        if code != "en":   # English may keep msgstr "" (the msgid is shown)
            untranslated = sorted(m.id for m in cat if m.id and not m.string)
            assert not untranslated, (code, untranslated)
        assert (root / code / "LC_MESSAGES" / "messages.mo").stat().st_mtime >= \
            (root / code / "LC_MESSAGES" / "messages.po").stat().st_mtime - 5, code


def test_cli_creates_the_first_admin_with_a_token(sqlite_stack):
    app = sqlite_stack.app
    runner = app.test_cli_runner()
    out = runner.invoke(args=["create-user", "root", "--role", "admin", "--token", "bootstrap"],
                        env={"MARQUEE_NEW_PASSWORD": "correct horse battery"})
    assert out.exit_code == 0, out.output
    token = out.output.split("API token (shown once, keep it safe): ")[1].strip()
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["role"] == "admin"
    _c, login = _login(app, "root", "correct horse battery")
    assert login.status_code == 302 and "/ui/login" not in login.headers["Location"]
    again = runner.invoke(args=["create-user", "root", "--role", "admin", "--password", "another password"])
    assert again.exit_code != 0 and "already exists" in again.output
    scopeless = runner.invoke(args=["create-user", "rev", "--role", "reviewer", "--password", "long enough"])
    assert scopeless.exit_code != 0 and "locale or region" in scopeless.output
    bad = runner.invoke(args=["create-user", "x y", "--role", "marketing", "--password", "long enough"])
    assert bad.exit_code != 0 and "username" in bad.output
