"""Safe decisions through the real API, database and Redis: an approval can be undone by whoever
made it within UNDO_WINDOW_S; its exports wait out EXPORT_GRACE_S as RQ scheduled jobs (the
reconciler leaves them alone), so an undo never races a push; an approved variant can be
reopened, audited, by its region's reviewer or an admin."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from review_helpers import client_for, make_people, seeded_campaign

pytestmark = pytest.mark.service


@pytest.fixture
def world(sqlite_stack):
    app = sqlite_stack.app
    app.config.update(EXPORT_ALLOW_PRIVATE=True, EXPORT_GRACE_S=120, UNDO_WINDOW_S=10)
    admin = app.test_client()
    people = make_people(admin)
    _seeded, req = seeded_campaign(app, locales=("ja-JP", "pt-BR"), formats=("square",))
    for body in ({"name": "cdn", "kind": "http-put", "url": "http://127.0.0.1:9/cdn"},
                 {"name": "hook", "kind": "webhook", "url": "http://127.0.0.1:9/hook", "formats": ["square"],
                  "secret_refs": {"secret": "MARQUEE_UNDO_WHSEC"}}):
        assert admin.post("/api/v1/export-targets", json=body).status_code == 201
    jp = client_for(app, people.tokens["reviewer_jp"])
    vid = next(v["id"] for v in req["variants"] if v["locale"] == "ja-JP")
    return app, people, jp, vid


def _exports(app, vid):
    from app.extensions import db
    from app.models import Export

    with app.app_context():
        db.session.expire_all()
        return [(e.id, e.target.kind, e.status, e.enqueued_at, e.job_id)
                for e in db.session.scalars(db.select(Export).where(Export.variant_id == vid).order_by(Export.id))]


def _audit(app, vid):
    from app.extensions import db
    from app.models import AuditEvent

    with app.app_context():
        return [(e.action, e.actor, (e.detail or {}).get("comment")) for e in db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.entity_type == "variant", AuditEvent.entity_id == vid,
                                        AuditEvent.action.like("review.%")).order_by(AuditEvent.id))]


def test_undo_within_the_window_and_exports_wait_out_the_grace(world):
    app, people, jp, vid = world
    r = jp.post(f"/api/v1/variants/{vid}/approve", json={"revision": 1})
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    exps = _exports(app, vid)
    assert [(k, s) for _i, k, s, _e, _j in exps] == [("http-put", "pending"), ("webhook", "waiting")]
    _id, _k, _s, enqueued_at, job = exps[0]
    with app.app_context():
        from app.extensions import db
        from app.models import Variant
        from app.services.exports.reconcile import reconcile_exports
        from app.queueing import fetch_job

        approved_at = db.session.get(Variant, vid).approved_at
        assert enqueued_at.replace(tzinfo=None) - approved_at.replace(tzinfo=None) >= timedelta(seconds=119)
        assert fetch_job(job).get_status().value == "scheduled"  # RQ holds it until the grace is over
        assert reconcile_exports() == []  # the reconciler respects the schedule, releases no webhook

    # someone else cannot undo it; whoever approved can, within the window
    other = client_for(app, people.tokens["reviewer_jp2"])
    assert other.post(f"/api/v1/variants/{vid}/undo", json={"revision": 1}).status_code == 409
    r = jp.post(f"/api/v1/variants/{vid}/undo", json={"revision": 1})
    assert r.status_code == 200 and r.get_json()["status"] == "in_review" and r.get_json()["approved_by"] is None
    assert [a for a, _who, _c in _audit(app, vid)] == ["review.approve", "review.undo"]

    # the scheduled export, when it runs, finds nothing to send
    with app.app_context():
        from app.services.exports.running import run_export

        assert run_export(exps[0][0]) == "superseded"
    # approved again: the same revision's export goes out after all (after a fresh grace)
    assert jp.post(f"/api/v1/variants/{vid}/approve", json={"revision": 1}).status_code == 200
    assert [s for _i, _k, s, _e, _j in _exports(app, vid)] == ["pending", "waiting"]


def test_undo_after_the_window_is_refused_with_reopen_named(world):
    app, _people, jp, vid = world
    app.config["UNDO_WINDOW_S"] = 0.5
    assert jp.post(f"/api/v1/variants/{vid}/approve", json={"revision": 1}).status_code == 200
    time.sleep(0.7)
    r = jp.post(f"/api/v1/variants/{vid}/undo", json={"revision": 1})
    assert r.status_code == 409 and "reopen" in r.get_data(as_text=True)
    assert jp.get(f"/api/v1/variants/{vid}/review").get_json()["status"] == "approved"


def test_reopen_by_the_regions_reviewer_or_an_admin_only(world):
    app, people, jp, vid = world
    assert jp.post(f"/api/v1/variants/{vid}/approve", json={"revision": 1}).status_code == 200
    br = client_for(app, people.tokens["reviewer_br"])
    mk = client_for(app, people.tokens["marketing"])
    assert br.post(f"/api/v1/variants/{vid}/reopen", json={"revision": 1}).status_code == 404  # not their region
    assert mk.post(f"/api/v1/variants/{vid}/reopen", json={"revision": 1}).status_code == 403
    other = client_for(app, people.tokens["reviewer_jp2"])
    r = other.post(f"/api/v1/variants/{vid}/reopen", json={"revision": 1, "comment": "wrong rating line"})
    assert r.status_code == 200 and r.get_json()["status"] == "in_review"
    assert _audit(app, vid)[-1] == ("review.reopen", "reviewer_jp2", "wrong rating line")
    again = other.post(f"/api/v1/variants/{vid}/reopen", json={"revision": 1})
    assert again.status_code == 409  # only an approved variant can be reopened
    # an admin may reopen anything
    assert jp.post(f"/api/v1/variants/{vid}/approve", json={"revision": 1}).status_code == 200
    assert app.test_client().post(f"/api/v1/variants/{vid}/reopen", json={"revision": 1}).status_code == 200
