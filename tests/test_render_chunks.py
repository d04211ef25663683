"""Render jobs in chunks of a format's locales (app.services.render_queue): what RQ holds, what
the reconciler makes of it, and that sharing a chunk's work changes no pixel.

Jobs run in this process with RQ's SimpleWorker (real Redis, real dependencies), so the
tests see exactly what a worker would do, and can clear the process's shared state between
renders to compare against variants rendered each on its own.
"""
from __future__ import annotations

import pytest
from rq import SimpleWorker
from rq.job import JobStatus

from app.models import Variant
from app.queueing import render_job_id
from app.render.shared_reframe import SharedReframes
from tests.conftest import seed_campaign

pytestmark = pytest.mark.service

LOCALES = ["en-US", "ar-SA", "ja-JP"]
FORMATS = ["square", "banner", "story"]  # a crop, an expand (wider than the 2:3 art), a crop


@pytest.fixture
def chunk_app(sqlite_stack):
    from jobs.context import set_app

    set_app(sqlite_stack.app)
    yield sqlite_stack.app
    set_app(None)


def _request(client, seeded, locales=LOCALES, formats=FORMATS) -> dict:
    resp = client.post("/api/v1/requests", json={
        "title_id": seeded["title"]["id"], "key_art_id": seeded["art"]["id"], "brand_kit_id": seeded["kit"]["id"],
        "locales": locales, "formats": formats})
    assert resp.status_code == 202, resp.get_data(as_text=True)
    return resp.get_json()


def _work(app) -> None:
    from app.queueing import RENDER, get_queue, redis_conn

    with app.app_context():
        SimpleWorker([get_queue(RENDER)], connection=redis_conn()).work(burst=True)


def _variants(app, request_id: int) -> list[dict]:
    """The request's variants as read now, with their own RQ job ids."""
    from app.extensions import db

    with app.app_context():
        rows = db.session.scalars(db.select(Variant).where(Variant.request_id == request_id).order_by(Variant.id))
        return [{"id": v.id, "revision": v.revision, "locale": v.locale, "format": v.format, "status": v.status,
                 "error": v.error, "render_count": v.render_count, "job_id": render_job_id(v.id, v.revision), "generator": v.generator,
                 "jpeg": (v.assets or {}).get("jpeg", {}).get("sha256")} for v in rows.all()]


def _job(app, job_id: str):
    from app.queueing import fetch_job

    with app.app_context():
        return fetch_job(job_id)


def test_analysis_on_upload_then_one_job_per_chunk_with_a_job_per_variant(chunk_app):
    """The upload puts the analysis on the render queue; the request puts one job per chunk,
    waiting for it, and one job per variant revision, waiting for its chunk. The chunks render
    everything, mark each variant's job finished, and leave nothing deferred or queued."""
    from app.extensions import db
    from app.models import KeyArt
    from app.queueing import RENDER, get_queue
    from app.services.render_queue import CHUNK_FUNC
    from app.services.sources import analysis_job_id

    app, client = chunk_app, chunk_app.test_client()
    seeded = seed_campaign(client)
    with app.app_context():
        art = db.session.get(KeyArt, seeded["art"]["id"])
        assert art.analysis is None  # not analysed in the web request
        analysis_id = analysis_job_id(art)
        assert analysis_id in get_queue(RENDER).job_ids
    req = _request(client, seeded)
    with app.app_context():
        deferred = get_queue(RENDER).deferred_job_registry.get_job_ids()
    chunks = {jid for jid in deferred if _job(app, jid).func_name == CHUNK_FUNC}
    assert len(chunks) == len(FORMATS)  # three locales of a small format fit one chunk
    for jid in chunks:
        assert _job(app, jid).dependency_ids == [analysis_id]
    for v in _variants(app, req["id"]):
        job = _job(app, v["job_id"])
        assert job.get_status() == JobStatus.DEFERRED and job.dependency_ids[0] in chunks

    _work(app)
    variants = _variants(app, req["id"])
    assert [(v["status"], v["render_count"]) for v in variants] == [("rendered", 1)] * len(variants)
    for v in variants:
        job = _job(app, v["job_id"])
        assert job.get_status() == JobStatus.FINISHED and job.latest_result().return_value == "rendered"
    with app.app_context():
        q = get_queue(RENDER)
        assert q.count == 0 and q.deferred_job_registry.count == 0 and q.failed_job_registry.count == 0
        assert db.session.get(KeyArt, seeded["art"]["id"]).analysis is not None


def test_sharing_a_chunk_changes_no_pixel(chunk_app, monkeypatch):
    """The same matrix rendered by chunk jobs (decoded art, crop canvas and classical expand
    shared across locales) and one variant at a time with nothing shared: identical JPEGs."""
    from app.services import generation, rendering, sources

    app, client = chunk_app, chunk_app.test_client()
    seeded = seed_campaign(client)
    shared = _request(client, seeded)
    _work(app)  # the analysis, then the chunks
    alone = _request(client, seeded)
    for v in _variants(app, alone["id"]):
        sources._decoded.cache_clear()
        generation._EXPANDED.clear()
        monkeypatch.setattr(rendering, "_REFRAMES", SharedReframes())
        with app.app_context():
            assert rendering.render_variant_revision(v["id"], v["revision"]) == "rendered"

    def jpegs(request_id: int) -> dict:
        return {(v["locale"], v["format"]): v["jpeg"] for v in _variants(app, request_id)}

    assert None not in jpegs(shared["id"]).values()
    assert jpegs(shared["id"]) == jpegs(alone["id"])
    banner = [v for v in _variants(app, shared["id"]) if v["format"] == "banner"]
    assert {v["generator"]["reframe"] for v in banner} == {"expand"}  # the shared expand was exercised


def test_a_failed_variant_fails_alone(chunk_app, monkeypatch):
    """One variant of a chunk raises: it is recorded failed and its own job is failed with the
    error; the chunk's other variants render, and the chunk job itself ends well."""
    from app.services import rendering

    app, client = chunk_app, chunk_app.test_client()
    seeded = seed_campaign(client)
    req = _request(client, seeded, formats=["square"])
    bad = req["variants"][1]["id"]
    real = rendering.build_spec

    def build_spec(variant):
        if variant.id == bad:
            raise RuntimeError("no spec for this one")
        return real(variant)

    monkeypatch.setattr(rendering, "build_spec", build_spec)
    _work(app)
    variants = _variants(app, req["id"])
    states = {v["id"]: (v["status"], v["error"]) for v in variants}
    assert states.pop(bad) == ("failed", "RuntimeError: no spec for this one")
    assert set(states.values()) == {("rendered", None)}
    job = _job(app, next(v["job_id"] for v in variants if v["id"] == bad))
    assert job.get_status() == JobStatus.FAILED and "no spec for this one" in job.latest_result().exc_string


def test_a_lost_chunk_job_is_reconciled_variant_by_variant(chunk_app):
    """While its chunk job waits, a variant's job reads as alive; when the chunk job is lost
    (Redis lost it), the reconciler requeues each of its variants on its own, and each renders once."""
    from app.services.reconcile import reconcile

    app, client = chunk_app, chunk_app.test_client()
    app.config["RECONCILE_GRACE_S"] = 0
    seeded = seed_campaign(client)
    req = _request(client, seeded, formats=["thumbnail-small"])
    with app.app_context():
        assert reconcile() == []  # chunk waiting on the analysis job, which waits in the queue
    chunk_id = _job(app, _variants(app, req["id"])[0]["job_id"]).dependency_ids[0]
    _job(app, chunk_id).delete()
    with app.app_context():
        done = reconcile()
    assert sorted(d["variant"] for d in done) == sorted(v["id"] for v in req["variants"])
    assert {d["reason"] for d in done} == {f"waits for {chunk_id}: job missing from Redis"}
    _work(app)
    assert [(v["status"], v["render_count"]) for v in _variants(app, req["id"])] == [("rendered", 1)] * len(LOCALES)


def test_chunks_are_sized_by_output_pixels_biggest_first():
    from app.services.render_queue import CHUNK_PIXELS, plan_chunks

    locales = [f"l{i}" for i in range(19)]
    variants = [Variant(id=i * 8 + j, request_id=1, locale=loc, format=fmt, revision=1)
                for i, loc in enumerate(locales)
                for j, fmt in enumerate(["poster", "thumbnail-small", "square", "banner"])]
    chunks = plan_chunks(variants)
    assert sorted(v.id for c in chunks for v in c) == sorted(v.id for v in variants)
    assert all(len({v.format for v in c}) == 1 for c in chunks)
    sizes = {fmt: [len(c) for c in chunks if c[0].format == fmt] for fmt in ("poster", "thumbnail-small")}
    assert sizes["thumbnail-small"] == [19] and max(sizes["poster"]) * 2000 * 3000 <= CHUNK_PIXELS
    pixels = [len(c) * {"poster": 6_000_000, "thumbnail-small": 230_400, "square": 1_166_400,
                        "banner": 1_920_000}[c[0].format] for c in chunks]
    assert pixels == sorted(pixels, reverse=True)


def test_worker_warm_up_loads_what_every_work_horse_would_load(tmp_path):
    """jobs.render.warm_up, run by the render worker before it forks: in a fresh process it leaves
    the face network and the fonts' character maps loaded (the horses inherit them)."""
    import subprocess
    import sys

    code = ("import jobs.render as r\n"
            "from app.render.analyze import faces\n"
            "from app.render.text import fontchain\n"
            "assert faces._net.cache_info().currsize == 0 and fontchain.cmap.cache_info().currsize == 0\n"
            "took = r.warm_up()\n"
            "print(faces._net.cache_info().currsize, fontchain.cmap.cache_info().currsize > 5, took > 0)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "MARQUEE_VAR_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["1", "True", "True"]
