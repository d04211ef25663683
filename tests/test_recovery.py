"""Killed workers and a flushed Redis lose no work, and nothing renders twice."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from PIL import Image

from tests.conftest import ROOT, jpeg_bytes, seed_campaign, wait_for

pytestmark = [pytest.mark.service, pytest.mark.usefixtures("busy_cpus")]


def _variants(stack):
    with stack.app.app_context():
        from app.extensions import db
        from app.models import Variant

        db.session.expire_all()
        return db.session.scalars(db.select(Variant).order_by(Variant.id)).all()


def _make_request(client, s, locales, formats):
    resp = client.post("/api/v1/requests", json={
        "title_id": s["title"]["id"], "key_art_id": s["art"]["id"], "brand_kit_id": s["kit"]["id"],
        "locales": locales, "formats": formats})
    assert resp.status_code == 202, resp.get_data(as_text=True)
    return resp.get_json()


def test_sigkilled_worker_mid_job_then_reconciled(sqlite_stack, astronaut):
    stack = sqlite_stack
    client = stack.app.test_client()
    # A large key art so each render takes long enough to be caught in the middle.
    big = astronaut.resize((2400, 2400), Image.Resampling.LANCZOS)
    s = seed_campaign(client, key_art=jpeg_bytes(big))
    req = _make_request(client, s, ["en-US", "de-DE", "fr-FR"], ["poster", "story", "banner", "square"])
    total = len(req["variants"])

    def one_rendering():
        vs = _variants(stack)
        return any(v.status == "rendering" for v in vs) and any(v.status == "rendered" for v in vs)

    # A variant seen rendering can finish in the moment before the kill lands (a render of this art
    # takes a few hundred ms): then this kill interrupted nothing, and another worker is started
    # and killed the same way, while variants are left to render.
    stuck: list[int] = []
    for _ in range(4):
        worker = stack.start_worker("render")
        wait_for(one_rendering, timeout=120, interval=0.05, what="a variant in the middle of rendering")
        stack.kill_worker(worker)
        stuck = [v.id for v in _variants(stack) if v.status == "rendering"]
        if stuck:
            break
    assert stuck, "no kill of four interrupted a render"

    stack.start_worker("render")
    # Run the reconciler as an operator would, until the dead job's heartbeat is stale and the
    # interrupted variants are back in the queue (the new worker's maintenance may win the race).
    deadline = time.monotonic() + 60
    while any(v.status == "rendering" and v.id in stuck for v in _variants(stack)):
        assert time.monotonic() < deadline, "the interrupted render was never re-enqueued"
        out = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "reconcile"], cwd=ROOT,
                             env={**os.environ, **stack.env}, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        time.sleep(2)

    def all_rendered():
        vs = _variants(stack)
        return all(v.status == "rendered" for v in vs) and len(vs) == total

    try:
        wait_for(all_rendered, timeout=120, what="every variant rendered after recovery")
    except AssertionError:
        raise AssertionError(stack.worker_logs())
    vs = _variants(stack)
    assert [v.render_count for v in vs] == [1] * total, [(v.id, v.render_count) for v in vs]
    with stack.app.app_context():
        from app.extensions import db
        from app.models import AuditEvent

        events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "variant.requeued")).all()
        assert {e.entity_id for e in events} >= set(stuck)
        rendered = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "variant.rendered")).all()
        assert sorted(e.entity_id for e in rendered) == sorted(v.id for v in vs)


def test_redis_flush_is_recovered_by_worker_reconciler(sqlite_stack, redis_conn):
    stack = sqlite_stack
    client = stack.app.test_client()
    s = seed_campaign(client)
    req = _make_request(client, s, ["en-US", "ja-JP"], ["thumbnail-small", "link-card", "square"])
    prefix = stack.env["MARQUEE_QUEUE_PREFIX"]
    # Flush this test's part of Redis (other test runs may share the server): queue and jobs vanish.
    job_prefix = prefix.replace(":", "-")
    keys = [k for k in redis_conn.scan_iter("rq:*") if prefix.encode() in k or job_prefix.encode() in k]
    assert keys and redis_conn.delete(*keys) == len(keys)
    assert redis_conn.llen(f"rq:queue:{prefix}render") == 0

    started = time.monotonic()
    stack.start_worker("render")

    def all_rendered():
        vs = _variants(stack)
        return all(v.status == "rendered" for v in vs)

    try:
        wait_for(all_rendered, timeout=60, what="renders after the flush (reconciled within a minute)")
    except AssertionError:
        raise AssertionError(stack.worker_logs())
    assert time.monotonic() - started < 60
    assert [v.render_count for v in _variants(stack)] == [1] * len(req["variants"])


def test_enqueue_twice_renders_once(sqlite_stack):
    stack = sqlite_stack
    client = stack.app.test_client()
    s = seed_campaign(client)
    req = _make_request(client, s, ["fr-FR"], ["square", "thumbnail-small"])
    with stack.app.app_context():
        from app.extensions import db
        from app.models import Variant
        from app.services.requests import enqueue_variants

        variants = db.session.scalars(db.select(Variant)).all()
        assert enqueue_variants(variants) == 0  # already queued under the same job ids
    stack.start_worker("render")
    wait_for(lambda: all(v.status == "rendered" for v in _variants(stack)), timeout=60, what="renders")
    assert [v.render_count for v in _variants(stack)] == [1, 1]


def test_a_replaced_job_is_no_longer_a_dependent_of_what_it_waited_for(sqlite_stack):
    """The reconciler replaces a variant's job that waited on a lost chunk with one that waits on
    nothing, under the same id. The old chunk must not count it among its dependents: when RQ's
    registry cleanup ended that chunk (its worker killed), it WATCHed the new job's dependencies,
    none, and the error stopped every render worker's maintenance in a loop (found by the SIGKILL
    test above when its kill landed between two renders)."""
    from rq.job import Job, JobStatus

    from app import queueing

    with sqlite_stack.app.app_context():
        parent, child = queueing.job_id_for("dep-parent"), queueing.job_id_for("dep-child")
        queueing.enqueue_once(queueing.RENDER, "jobs.render.render_variant_job", parent, 10_001, 1)
        queueing.enqueue_once(queueing.RENDER, "jobs.render.render_variant_job", child, 10_002, 1, depends_on=parent)
        assert queueing.fetch_job(child).get_status() == JobStatus.DEFERRED
        queueing.discard_job(queueing.fetch_job(child))      # what reconcile_variant does
        queueing.enqueue_once(queueing.RENDER, "jobs.render.render_variant_job", child, 10_002, 1)
        assert queueing.redis_conn().smembers(Job.dependents_key_for(parent)) == set()
        # what RQ does when the parent ends (a dead worker's job failed by the registry cleanup)
        queueing.get_queue(queueing.RENDER).enqueue_dependents(queueing.fetch_job(parent))
        assert queueing.fetch_job(child).get_status() == JobStatus.QUEUED
