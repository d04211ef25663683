"""Export pages of the web UI through the real app: logged-in sessions with CSRF, the real export
services, a real HTTP PUT origin on loopback for a real failure and a real retry."""
from __future__ import annotations


import pytest

from review_helpers import logged_in as _login, make_people, seeded_campaign
from tests.export_servers import PutOrigin

pytestmark = pytest.mark.service

SECRET_VALUE = "s3cr3t-value-never-shown-7731"
HEADER_VALUE = "plain-header-value-4412"
#: a public address that needs no DNS (this sandbox may have none); never connected to
PUBLIC_URL = "https://93.184.216.34/cdn/"


def _target_rows(app) -> list:
    with app.app_context():
        from app.extensions import db
        from app.models import ExportTarget

        db.session.expire_all()
        return [(t.name, t.kind, t.enabled, t.options, t.secret_refs, t.regions, t.formats)
                for t in db.session.scalars(db.select(ExportTarget).order_by(ExportTarget.id))]


def _encodings(app) -> list:
    with app.app_context():
        from app.extensions import db
        from app.models import ExportTarget

        db.session.expire_all()
        return [t.encodings for t in db.session.scalars(db.select(ExportTarget).order_by(ExportTarget.id))]


@pytest.fixture
def ui(sqlite_stack, monkeypatch):
    app = sqlite_stack.app
    app.config["EXPORT_ALLOW_PRIVATE"] = True   # the test origin is on loopback
    monkeypatch.setenv("MARQUEE_UI_CDN_TOKEN", SECRET_VALUE)
    make_people(app.test_client())
    return app


def test_admin_creates_lists_toggles_and_deletes_targets(ui):
    app = ui
    c, token = _login(app, "admin2")
    page = c.get("/ui/export-targets")
    assert page.status_code == 200 and 'id="target-form"' in page.get_data(as_text=True)
    form = {"csrf_token": token, "name": "origin", "kind": "http-put", "url": "http://127.0.0.1:9/cdn",
            "public_base_url": "https://cdn.example.com/", "put_mode": "move",
            "put_headers": f"X-Team: {HEADER_VALUE}", "put_secret_headers": "Authorization: MARQUEE_UI_CDN_TOKEN",
            "regions": "jp, br", "formats": ["square", "poster"], "enabled": "1"}
    assert c.post("/ui/export-targets", data={**form, "csrf_token": ""}).status_code == 400  # CSRF
    r = c.post("/ui/export-targets", data=form, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Export target origin created." in html
    assert "MARQUEE_UI_CDN_TOKEN" in html and "X-Team" in html       # names only ...
    assert SECRET_VALUE not in html and HEADER_VALUE not in html      # ... never values
    for body in ({"name": "bucket", "kind": "s3", "url": "", "s3_bucket": "cdn-assets", "s3_prefix": "marquee",
                  "s3_access_key_id_env": "MARQUEE_UI_KEY", "s3_secret_access_key_env": "MARQUEE_UI_SECRET"},
                 {"name": "hook", "kind": "webhook", "url": "http://127.0.0.1:9/hook",
                  "webhook_secret_env": "MARQUEE_UI_WHSEC", "put_headers": "ignored for a webhook: x"}):
        r = c.post("/ui/export-targets", data={"csrf_token": token, **body})
        assert r.status_code == 302, r.get_data(as_text=True)
    html = c.get("/ui/export-targets").get_data(as_text=True)
    for name in ("MARQUEE_UI_KEY", "MARQUEE_UI_SECRET", "MARQUEE_UI_WHSEC", "cdn-assets/marquee"):
        assert name in html, name
    assert _target_rows(app) == [
        ("origin", "http-put", True, {"public_base_url": "https://cdn.example.com/", "mode": "move",
                                      "headers": {"X-Team": HEADER_VALUE}},
         {"headers": {"Authorization": "MARQUEE_UI_CDN_TOKEN"}}, ["JP", "BR"], ["square", "poster"]),
        ("bucket", "s3", False, {"bucket": "cdn-assets", "prefix": "marquee"},
         {"access_key_id": "MARQUEE_UI_KEY", "secret_access_key": "MARQUEE_UI_SECRET"}, None, None),
        ("hook", "webhook", False, {}, {"secret": "MARQUEE_UI_WHSEC"}, None, None)]
    # the API says the same, without even the variable names
    api = app.test_client().get("/api/v1/export-targets").get_json()
    assert api[0]["secrets_configured"] == ["headers.Authorization"] and "secret_refs" not in api[0]
    ids = [t["id"] for t in api]
    r = c.post(f"/ui/export-targets/{ids[1]}/enabled", data={"csrf_token": token, "enabled": "1"},
               follow_redirects=True)
    assert "Target enabled." in r.get_data(as_text=True) and _target_rows(app)[1][2] is True
    r = c.post(f"/ui/export-targets/{ids[2]}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "Target deleted." in r.get_data(as_text=True) and [t[0] for t in _target_rows(app)] == ["origin", "bucket"]
    r = c.post("/ui/export-targets/9999/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "does not exist" in r.get_data(as_text=True)
    with app.app_context():
        from app.extensions import db
        from app.models import AuditEvent

        actions = [(e.actor, e.action) for e in db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.entity_type == "export_target").order_by(AuditEvent.id))]
    assert actions == [("admin2", "export_target.created")] * 3 + [
        ("admin2", "export_target.updated"), ("admin2", "export_target.deleted")]


def test_bad_target_shows_the_service_message_with_4xx(ui, no_connections):
    app = ui
    app.config["EXPORT_ALLOW_PRIVATE"] = False
    c, token = _login(app, "admin2")
    cases = [
        ({"name": "meta", "kind": "http-put", "url": "http://169.254.169.254/latest/meta-data/"}, 422, "169.254.169.254"),
        ({"name": "loop", "kind": "webhook", "url": "http://127.0.0.1:8080/hook",
          "webhook_secret_env": "MARQUEE_UI_WHSEC"}, 422, "private or internal address"),
        ({"name": "ftp", "kind": "http-put", "url": "gopher://example.com/"}, 422, "must start with https:// or http://"),
        ({"kind": "http-put", "url": PUBLIC_URL}, 422, "Give the target a name"),
        ({"name": "nourl", "kind": "http-put"}, 422, "needs a URL"),
        ({"name": "nobucket", "kind": "s3"}, 422, "bucket"),
        ({"name": "nosecret", "kind": "webhook", "url": PUBLIC_URL}, 422, "secret"),
        ({"name": "lower", "kind": "webhook", "url": PUBLIC_URL, "webhook_secret_env": "lower"},
         422, "Environment variable names"),
        ({"name": "hdr", "kind": "http-put", "url": PUBLIC_URL, "put_headers": "no colon"}, 422,
         "Name: value"),
        ({"name": "reg", "kind": "http-put", "url": PUBLIC_URL, "regions": "USA"}, 422, "two-letter codes"),
        ({"name": "kind", "kind": "ftp", "url": PUBLIC_URL}, 422, "kind of target"),
    ]
    for body, status, words in cases:
        r = c.post("/ui/export-targets", data={"csrf_token": token, "enabled": "1", **body})
        html = r.get_data(as_text=True)
        assert r.status_code == status, (body, r.status_code)
        assert 'id="target-error"' in html and words in html, (body, words)
        assert f'value="{body.get("name", "")}"' in html   # the form keeps what was typed
    assert _target_rows(app) == []
    ok = {"csrf_token": token, "name": "cdn", "kind": "http-put", "url": PUBLIC_URL}
    assert c.post("/ui/export-targets", data=ok).status_code == 302
    again = c.post("/ui/export-targets", data=ok)
    assert again.status_code == 409 and "exists" in again.get_data(as_text=True)
    assert no_connections == []


def test_who_sees_the_export_pages(ui):
    app = ui
    admin, admin_token = _login(app, "admin2")
    mk, mk_token = _login(app, "marketing")
    rv, rv_token = _login(app, "reviewer_jp")
    nav = admin.get("/ui/campaigns").get_data(as_text=True)
    assert 'href="/ui/export-targets"' in nav and 'href="/ui/exports"' in nav
    nav = mk.get("/ui/campaigns").get_data(as_text=True)
    assert 'href="/ui/export-targets"' not in nav and 'href="/ui/exports"' in nav
    nav = rv.get("/ui/campaigns").get_data(as_text=True)
    assert 'href="/ui/export-targets"' not in nav and 'href="/ui/exports"' not in nav
    body = {"csrf_token": mk_token, "name": "x", "kind": "http-put", "url": "https://cdn.example.com/"}
    assert mk.get("/ui/export-targets").status_code == 403
    assert mk.post("/ui/export-targets", data=body).status_code == 403
    assert mk.post("/ui/export-targets/1/enabled", data={"csrf_token": mk_token, "enabled": "0"}).status_code == 403
    assert mk.post("/ui/export-targets/1/delete", data={"csrf_token": mk_token}).status_code == 403
    assert _target_rows(app) == []
    assert mk.get("/ui/exports").status_code == 200
    assert rv.get("/ui/exports").status_code == 403
    assert rv.get("/ui/export-targets").status_code == 403
    assert rv.post("/ui/exports/1/retry", data={"csrf_token": rv_token}).status_code == 403
    assert admin.get("/ui/exports?status=bogus&request_id=x").status_code == 200   # bad filters: ignored


def _export_rows(app) -> list:
    with app.app_context():
        from app.extensions import db
        from app.models import Export

        db.session.expire_all()
        rows = db.session.scalars(db.select(Export).order_by(Export.id)).all()
        return [(e.id, e.status, e.tries, e.error) for e in rows]


def _run_until(app, export_id: int, outcome: str) -> None:
    """Run the export in this process, try after try (a failing try may only schedule the next one),
    until it ends with `outcome`."""
    import time

    from app.services.exports.running import run_export

    seen = []
    for _ in range(40):
        with app.app_context():
            seen.append(run_export(export_id))
        if seen[-1] in ("done", "failed", "superseded"):
            break
        time.sleep(0.05)
    assert seen[-1] == outcome, (seen, _export_rows(app))


def _export_queue(app):
    from app.queueing import EXPORT, get_queue

    return get_queue(EXPORT)


def _clear_export_queue(app) -> None:
    with app.app_context():
        _export_queue(app).empty()


def _queued_export_jobs(app) -> list[tuple]:
    with app.app_context():
        return [tuple(j.args) for j in _export_queue(app).get_jobs()]


def test_failed_export_shows_its_error_and_retry_requeues_it(ui):
    app = ui
    app.config.update(EXPORT_MAX_TRIES=2, EXPORT_BACKOFF_S=0.01, EXPORT_BACKOFF_MAX_S=0.02)
    origin = PutOrigin(fail_puts=1000, retry_after="0").start()
    try:
        _seeded, req = seeded_campaign(app, locales=("ja-JP",), formats=("thumbnail-small",))
        vid = req["variants"][0]["id"]
        admin_api = app.test_client()
        mk, token = _login(app, "marketing")
        campaign = mk.get(f"/ui/campaigns/{req['id']}").get_data(as_text=True)
        assert 'id="export-approved"' in campaign
        # nothing approved yet: the service's refusal is shown, nothing is scheduled
        r = mk.post(f"/ui/campaigns/{req['id']}/export", data={"csrf_token": token}, follow_redirects=True)
        assert "no approved variants" in r.get_data(as_text=True) and _export_rows(app) == []
        t = admin_api.post("/api/v1/export-targets", json={
            "name": "flaky-origin", "kind": "http-put", "url": origin.url + "/cdn",
            "secret_refs": {"headers": {"Authorization": "MARQUEE_UI_CDN_TOKEN"}}})
        assert t.status_code == 201, t.get_data(as_text=True)
        assert admin_api.post(f"/api/v1/variants/{vid}/approve", json={"revision": 1}).status_code == 200
        [(eid, status, _tries, _err)] = _export_rows(app)
        assert status == "pending"
        _run_until(app, eid, "failed")
        _clear_export_queue(app)   # so that the job seen after Retry is the retry's

        page = mk.get("/ui/exports?status=failed")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and f'data-export="{eid}" data-status="failed"' in html
        assert "HTTP 500" in html and "flaky-origin" in html and 'class="primary retry"' in html
        assert SECRET_VALUE not in html
        assert "ja-JP" in html and "thumbnail-small" in html and "r1" in html
        r = mk.post(f"/ui/exports/{eid}/retry", data={"csrf_token": token, "next": "/ui/exports?status=failed"})
        assert r.status_code == 302 and r.headers["Location"].endswith("/ui/exports?status=failed")
        assert _export_rows(app)[0][1] == "pending"
        assert "The export is queued again." in mk.get("/ui/exports").get_data(as_text=True)
        with app.app_context():
            from app.extensions import db
            from app.models import AuditEvent

            ev = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "export.retried")).one()
            assert (ev.actor, ev.entity_id, ev.state_before, ev.state_after) == ("marketing", eid, "failed", "pending")
            assert "HTTP 500" in ev.detail["error"]
        assert (eid,) in _queued_export_jobs(app)
        # retrying what is not failed: the service's 409 message, back where the button was
        r = mk.post(f"/ui/exports/{eid}/retry", data={"csrf_token": token, "next": "//evil.example/"},
                    follow_redirects=True)
        assert r.request.path == "/ui/exports" and "Only failed exports can be retried." in r.get_data(as_text=True)

        # the origin recovers; the retried export runs and the manifest link shows on the campaign page
        origin.fail_puts = 0
        _run_until(app, eid, "done")
        campaign = mk.get(f"/ui/campaigns/{req['id']}").get_data(as_text=True)
        assert 'id="manifest-links"' in campaign and f"{origin.url}/cdn/" in campaign and "manifest" in campaign
        r = mk.post(f"/ui/campaigns/{req['id']}/export", data={"csrf_token": token}, follow_redirects=True)
        assert "Export started. Exports of this campaign: 1." in r.get_data(as_text=True)
        assert len(_export_rows(app)) == 1   # nothing scheduled twice
        admin, admin_token = _login(app, "admin2")
        tid = t.get_json()["id"]
        r = admin.post(f"/ui/export-targets/{tid}/delete", data={"csrf_token": admin_token}, follow_redirects=True)
        assert "disable it instead" in r.get_data(as_text=True)
    finally:
        origin.stop()


def test_admin_edits_a_target_through_the_same_validation(ui, no_connections):
    """The edit form comes filled from the row (variable names, never values), saves every
    setting of the kind (an emptied field clears it), and refuses what creating would refuse."""
    app = ui
    c, token = _login(app, "admin2")
    origin = {"csrf_token": token, "name": "origin", "kind": "http-put", "url": PUBLIC_URL,
              "put_headers": f"X-Team: {HEADER_VALUE}", "put_secret_headers": "Authorization: MARQUEE_UI_CDN_TOKEN",
              "regions": "JP, BR", "formats": ["square", "poster"], "encodings": ["jpeg", "avif"], "enabled": "1"}
    assert c.post("/ui/export-targets", data=origin).status_code == 302
    assert c.post("/ui/export-targets", data={"csrf_token": token, "name": "bucket", "kind": "s3",
                                              "url": "https://93.184.216.34/s3", "s3_bucket": "cdn-assets",
                                              "enabled": "1"}).status_code == 302
    ids = [t["id"] for t in app.test_client().get("/api/v1/export-targets").get_json()]

    page = c.get(f"/ui/export-targets/{ids[0]}/edit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="save-target"' in html
    for shown in ('value="origin"', f'value="{PUBLIC_URL}"', f"X-Team: {HEADER_VALUE}",
                  "Authorization: MARQUEE_UI_CDN_TOKEN", 'value="JP, BR"', 'value="square" checked',
                  'value="avif" checked', 'value="jpeg" checked'):
        assert shown in html, shown
    assert 'value="webp" checked' not in html and _encodings(app) == [["jpeg", "avif"], None]
    listed = c.get("/ui/export-targets").get_data(as_text=True)
    assert "JPEG, AVIF" in listed and "JPEG, WebP" in listed    # the bucket names none: the default
    assert SECRET_VALUE not in html and 'name="kind" id="kind" value="http-put"' in html

    changed = {"csrf_token": token, "name": "origin-eu", "kind": "http-put", "url": PUBLIC_URL + "eu/",
               "put_mode": "move", "put_secret_headers": "Authorization: MARQUEE_UI_CDN_TOKEN",
               "regions": "", "formats": ["story"]}   # headers emptied, regions cleared, not enabled
    r = c.post(f"/ui/export-targets/{ids[0]}/edit", data=changed, follow_redirects=True)
    assert r.status_code == 200 and "Export target origin-eu saved." in r.get_data(as_text=True)
    assert _target_rows(app)[0] == ("origin-eu", "http-put", False, {"mode": "move"},
                                    {"headers": {"Authorization": "MARQUEE_UI_CDN_TOKEN"}}, None, ["story"])
    assert _encodings(app)[0] is None            # none ticked: back to the default, JPEG and WebP
    with app.app_context():
        from app.extensions import db
        from app.models import ExportTarget

        assert db.session.get(ExportTarget, ids[0]).url == PUBLIC_URL + "eu/"

    refused = [({**changed, "url": "http://169.254.169.254/latest/"}, 422, "cloud metadata service"),
               ({**changed, "name": "bucket"}, 409, "exists"),
               ({**changed, "kind": "webhook", "webhook_secret_env": "MARQUEE_UI_WHSEC"}, 422, "kind of a target cannot change"),
               ({**changed, "put_headers": "no colon"}, 422, "Name: value"),
               ({**changed, "csrf_token": ""}, 400, "")]
    before = _target_rows(app)
    for body, status, words in refused:
        r = c.post(f"/ui/export-targets/{ids[0]}/edit", data=body)
        html = r.get_data(as_text=True)
        assert r.status_code == status and words in html, (body, r.status_code)
        if status != 400:
            assert 'id="target-error"' in html and f'value="{body["name"]}"' in html  # what was typed stays
    assert _target_rows(app) == before

    # an s3 target with its endpoint emptied goes to Amazon S3 (url None), not to the old endpoint
    r = c.post(f"/ui/export-targets/{ids[1]}/edit", data={"csrf_token": token, "name": "bucket", "kind": "s3",
                                                           "url": "", "s3_bucket": "cdn-assets", "enabled": "1"})
    assert r.status_code == 302
    with app.app_context():
        from app.extensions import db
        from app.models import AuditEvent, ExportTarget

        assert db.session.get(ExportTarget, ids[1]).url is None
        updates = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "export_target.updated")).all()
        assert [(e.actor, e.entity_id) for e in updates] == [("admin2", ids[0]), ("admin2", ids[1])]
    r = c.get("/ui/export-targets/9999/edit", follow_redirects=True)
    assert r.status_code == 200 and "does not exist" in r.get_data(as_text=True)
    # the API's PATCH has the same rules
    api = app.test_client()
    assert api.patch(f"/api/v1/export-targets/{ids[0]}", json={"name": "bucket"}).status_code == 409
    assert api.patch(f"/api/v1/export-targets/{ids[0]}", json={"kind": "s3"}).status_code == 422
