"""Generative expand on the real stack: a banner request with a tiny diffusers model configured
goes to the `gpu` queue (a resident-model SimpleWorker process), the render job waits for it
(RQ dependency), and the variant records backend, weights fingerprint, seed and the mask blob."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.generate.tiny import build_tiny_inpaint_pipeline
from tests.conftest import ROOT, make_stack, seed_campaign, wait_for, wait_request_settled, _drop_queue_keys

pytestmark = pytest.mark.service


@pytest.fixture
def gen_stack(tmp_path):
    model = build_tiny_inpaint_pipeline(tmp_path / "tiny-sd")
    stack = make_stack(tmp_path, f"sqlite:///{tmp_path / 'var' / 'marquee.db'}", MARQUEE_MODEL_DIR=str(model),
                       MARQUEE_GENERATE_STEPS="2", MARQUEE_GENERATE_DEVICE="cpu")
    yield stack
    stack.stop_all()
    _drop_queue_keys(stack)


def _start_gpu_worker(stack) -> subprocess.Popen:
    log = open(Path(stack.env["MARQUEE_VAR_DIR"]) / f"worker-{len(stack.workers)}.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "jobs.gpu_worker"], cwd=ROOT, env={**os.environ, **stack.env},
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    stack.workers.append(proc)
    return proc


def _render_all(stack, client, req: dict, n: int) -> None:
    """Start a render worker and a gpu worker; wait until the request's `n` variants rendered."""
    stack.start_worker("render")
    _start_gpu_worker(stack)
    prog = wait_request_settled(client, stack, req["id"], timeout=300)
    assert prog["rendered"] == n, (prog, stack.worker_logs())


def _offset_ids(stack, seeded) -> None:
    """RQ job ids are render-v{variant id}-r{revision}, the same in every fresh database, and
    other test runs share this Redis: start this run's ids at a random offset so they never meet."""
    import random

    from app.extensions import db
    from app.models import RenderRequest, Variant

    off = random.randint(10**6, 10**9)
    with stack.app.app_context():
        db.session.add(RenderRequest(id=off, title_id=seeded["title"]["id"], key_art_id=seeded["art"]["id"],
                                     brand_kit_id=seeded["kit"]["id"], locales=[], formats=[], requester="offset"))
        db.session.add(Variant(id=off, request_id=off, locale="en-US", format="poster", status="rendered"))
        db.session.commit()


def test_banner_goes_through_gpu_queue(gen_stack):
    from rq.job import Job, JobStatus

    stack = gen_stack
    client = stack.app.test_client()
    seeded = seed_campaign(client)
    _offset_ids(stack, seeded)
    resp = client.post("/api/v1/requests", json={
        "title_id": seeded["title"]["id"], "key_art_id": seeded["art"]["id"], "brand_kit_id": seeded["kit"]["id"],
        "locales": ["en-US", "fr-FR"], "formats": ["banner", "square"]})
    assert resp.status_code == 202, resp.get_data(as_text=True)
    req = resp.get_json()
    with stack.app.app_context():
        from app.queueing import get_queue, redis_conn

        gpu_jobs = get_queue("gpu").job_ids
        assert len(gpu_jobs) == 1  # both banners in one batched GPU job; squares just crop
        banner = [v for v in req["variants"] if v["format"] == "banner"]
        for v in banner:
            job = Job.fetch(stack.env["MARQUEE_QUEUE_PREFIX"].replace(":", "-") + f"render-v{v['id']}-r1",
                            connection=redis_conn())
            assert job.get_status() == JobStatus.DEFERRED and job.dependency_ids == [gpu_jobs[0]]
    _render_all(stack, client, req, 4)
    with stack.app.app_context():
        from app.extensions import db
        from app.models import Variant
        from app.services import blob_store

        for v in db.session.scalars(db.select(Variant).where(Variant.request_id == req["id"])):
            g = v.generator
            if v.format == "square":
                assert g["reframe"] == "crop" and g["backend"] is None
                continue
            assert g["reframe"] == "expand" and g["backend"] == "diffusers" and g["queue"] == "gpu", g
            assert g["model_dir"] == stack.env["MARQUEE_MODEL_DIR"] and len(g["weights_sha256"]) == 64
            assert g["steps"] == 2 and isinstance(g["seed"], int) and g["revision"] == 1
            mask = Image.open(io.BytesIO(blob_store().get(g["mask_key"])))
            p = g["placement"]
            m = np.asarray(mask)
            assert mask.size == (2400, 800) and (m[p[1]:p[1] + p[3], p[0]:p[0] + p[2]] == 0).all() and m.max() == 255
            assert "generated_touches_face" not in v.report["flags"] and v.report["screen"]["status"] == "not screened"
        seeds = {v.generator["seed"] for v in db.session.scalars(db.select(Variant).where(
            Variant.request_id == req["id"])) if v.format == "banner"}
        assert len(seeds) == 1  # one background per key art and format, shared by the locales


def test_generator_edit_runs_on_the_gpu_queue_and_survives_a_lost_job(gen_stack):
    """With a model configured, a reviewer-driven remove goes to the `gpu` queue (the resident
    model), not into the web request; a lost job is re-enqueued by the reconciler; the proposal
    then becomes the next revision."""
    from review_helpers import client_for, make_people, seeded_campaign

    stack = gen_stack
    app = stack.app
    people = make_people(app.test_client())
    _seeded, req = seeded_campaign(app, locales=("ja-JP",), formats=("square",))
    vid = req["variants"][0]["id"]
    mk = client_for(app, people.tokens["marketing"])
    r = mk.post(f"/api/v1/variants/{vid}/generator", json={"op": "remove", "rect": {"x": .7, "y": .05, "w": .25,
                                                                                    "h": .3}})
    assert r.status_code == 201, r.get_json()
    fix = r.get_json()
    assert fix["status"] == "queued" and fix["result"] is None
    with app.app_context():
        from app.models.base import utcnow
        from app.services.reconcile import reconcile
        from app.services.review import edit_job_id
        from app.queueing import fetch_job, get_queue

        from app.extensions import db
        from app.models import FixRequest

        row = db.session.get(FixRequest, fix["id"])
        jid = edit_job_id(row)
        assert jid in get_queue("gpu").job_ids
        fetch_job(jid).delete()                       # Redis lost it (restart, flush)
        row.created_at = utcnow().replace(year=2000)  # past the reconciler's grace period
        db.session.commit()
        done = reconcile()
        assert {"fix_request": fix["id"], "reason": "job missing from Redis"} in done
        assert jid in get_queue("gpu").job_ids
    _start_gpu_worker(stack)

    def finished():
        rows = mk.get(f"/api/v1/variants/{vid}/review").get_json()["fixes"]
        mine = next(x for x in rows if x["id"] == fix["id"])
        return mine if mine["status"] in ("done", "failed") else None

    try:
        got = wait_for(finished, timeout=240, what="generator edit on the gpu queue")
    except AssertionError:
        raise AssertionError(stack.worker_logs())
    assert got["status"] == "done", got
    assert got["result"]["backend"]["backend"] == "diffusers", got["result"]
    accepted = mk.post(f"/api/v1/variants/{vid}/fixes/{fix['id']}/accept")
    assert accepted.status_code == 201 and accepted.get_json()["revision"] == 2


def test_a_close_up_whose_text_moves_the_art_gets_its_canvas_from_the_gpu_job(gen_stack):
    """chelsea's cat fills its photo: in a link card the text makes the render move the art to
    one edge. The GPU job makes the canvas at that placement (decided as the render decides it),
    so the render generates nothing itself; before, it asked the model on the render host for
    the plan's placement and then for each placement it tried."""
    from subject_set import key_art_set

    stack = gen_stack
    client = stack.app.test_client()
    cat = next(image for name, image, _ in key_art_set() if name == "chelsea")
    buf = io.BytesIO()
    cat.save(buf, "JPEG", quality=95)
    seeded = seed_campaign(client, buf.getvalue())
    _offset_ids(stack, seeded)
    resp = client.post("/api/v1/requests", json={
        "title_id": seeded["title"]["id"], "key_art_id": seeded["art"]["id"], "brand_kit_id": seeded["kit"]["id"],
        "locales": ["en-US", "ar-SA"], "formats": ["link-card"]})
    assert resp.status_code == 202, resp.get_data(as_text=True)
    req = resp.get_json()
    _render_all(stack, client, req, 2)
    with stack.app.app_context():
        from app.extensions import db
        from app.models import Variant

        rows = list(db.session.scalars(db.select(Variant).where(Variant.request_id == req["id"])))
        for v in rows:
            g, reframe = v.generator, v.report["reframe"]
            assert g["backend"] == "diffusers" and g["queue"] == "gpu", g
            assert g["placement"] == reframe["placement"], (g, reframe)
        assert any(v.report["reframe"]["made_room_for_text"] for v in rows), [v.report["reframe"] for v in rows]
