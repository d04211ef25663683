"""Shared setup for review tests: people of every role, a seeded and really rendered campaign."""
from __future__ import annotations

import re
from dataclasses import dataclass

from conftest import seed_campaign


@dataclass
class People:
    tokens: dict[str, str]
    ids: dict[str, int]


PEOPLE = {
    "admin2": {"role": "admin"},
    "marketing": {"role": "marketing"},
    "reviewer_jp": {"role": "reviewer", "regions": ["JP"], "ui_locale": "ja"},
    "reviewer_jp2": {"role": "reviewer", "locales": ["ja-JP"]},
    "reviewer_br": {"role": "reviewer", "regions": ["BR"], "ui_locale": "pt_BR"},
    "reviewer_sa": {"role": "reviewer", "regions": ["SA"], "ui_locale": "ar"},
    "integration": {"role": "integration"},
}
PASSWORD = "correct horse battery"


def make_people(admin_client) -> People:
    tokens, ids = {}, {}
    for name, spec in PEOPLE.items():
        body = {"username": name, "locales": [], "regions": [], **spec}
        if spec["role"] != "integration":
            body["password"] = PASSWORD
        r = admin_client.post("/api/v1/users", json=body)
        assert r.status_code == 201, r.get_data(as_text=True)
        ids[name] = r.get_json()["id"]
        t = admin_client.post(f"/api/v1/users/{ids[name]}/tokens", json={"name": "t"})
        assert t.status_code == 201
        tokens[name] = t.get_json()["token"]
    return People(tokens, ids)


def client_for(app, token: str | None):
    return app.test_client(as_token=token)


def create_request(client, seeded, locales, formats, key: str | None = None) -> dict:
    r = client.post("/api/v1/requests", json={
        "title_id": seeded["title"]["id"], "key_art_id": seeded["art"]["id"],
        "brand_kit_id": seeded["kit"]["id"], "locales": locales, "formats": formats},
        headers={"Idempotency-Key": key} if key else {})
    assert r.status_code == 202, r.get_data(as_text=True)
    return r.get_json()


def render_inline(app, variant_ids) -> None:
    """Render with the real rendering service in this process (no worker needed)."""
    from app.extensions import db
    from app.models import Variant
    from app.services.rendering import render_variant_revision

    with app.app_context():
        for vid in variant_ids:
            v = db.session.get(Variant, vid)
            assert render_variant_revision(v.id, v.revision) == "rendered"


def offset_ids(app, seeded) -> None:
    """render_job_id() is render-v{id}-r{revision} with no queue prefix, the same in every fresh
    database, and test runs share one Redis: start this database's variant ids at a random
    offset so a stale job of another test can never stand in for one of ours."""
    import random

    from app.extensions import db
    from app.models import RenderRequest, Variant

    off = random.randint(10**6, 10**9)
    with app.app_context():
        db.session.add(RenderRequest(id=off, title_id=seeded["title"]["id"], key_art_id=seeded["art"]["id"],
                                     brand_kit_id=seeded["kit"]["id"], locales=[], formats=[], requester="offset"))
        db.session.add(Variant(id=off, request_id=off, locale="en-US", format="poster", status="failed"))
        db.session.commit()


def drop_jobs(app, variant_ids) -> None:
    """Rendered in-process: remove the queued RQ jobs so they never meet another test."""
    from app.extensions import db
    from app.models import Variant
    from app.queueing import fetch_job, render_job_id

    with app.app_context():
        for vid in variant_ids:
            v = db.session.get(Variant, vid)
            job = fetch_job(render_job_id(v.id, v.revision))
            if job is not None:
                job.delete()


def seeded_campaign(app, locales=("ja-JP", "pt-BR"), formats=("thumbnail-small", "square")):
    admin = app.test_client()
    seeded = seed_campaign(admin)
    offset_ids(app, seeded)
    req = create_request(admin, seeded, list(locales), list(formats))
    render_inline(app, [v["id"] for v in req["variants"]])
    drop_jobs(app, [v["id"] for v in req["variants"]])
    return seeded, req


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(app, username: str, password: str = PASSWORD, headers: dict | None = None):
    """Log in through the UI's form (CSRF included); returns the session client and the response."""
    c = client_for(app, None)
    page = c.get("/ui/login", headers=headers or {})
    r = c.post("/ui/login", data={"username": username, "password": password,
                                  "csrf_token": csrf_of(page.get_data(as_text=True))}, headers=headers or {})
    return c, r


def logged_in(app, username: str):
    """A logged-in session client and a CSRF token for its forms."""
    c, r = login(app, username)
    assert r.status_code == 302, r.get_data(as_text=True)
    return c, csrf_of(c.get("/ui/campaigns").get_data(as_text=True))
