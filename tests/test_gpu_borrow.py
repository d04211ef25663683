"""Batching across requests on the gpu queue, on the real stack: real Redis, real RQ (the GPU
worker's own class, in burst mode, in this process so the resident tiny diffusers model can be
watched), real database. A GPU expand job fills its last partial batch with expands of generate
jobs still queued; those jobs then skip them. The backend's batch call is spied on, not replaced.

Each key art here is 1:2, so its thumbnail (1920x1080) and thumbnail-small (640x360) both expand
and share one generation size: two expands per request that the backend can batch together, and
two locales of a format share one expand."""
from __future__ import annotations

import io
import signal

import pytest
from PIL import Image

from app.generate.tiny import build_tiny_inpaint_pipeline
from tests.conftest import _drop_queue_keys, make_stack, seed_campaign
from tests.test_generate_queue import _offset_ids

pytestmark = pytest.mark.service

FORMATS = ["thumbnail", "thumbnail-small"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> str:
    return str(build_tiny_inpaint_pipeline(tmp_path_factory.mktemp("tiny-sd") / "model"))


@pytest.fixture
def gpu_stack(tmp_path, tiny_model):
    stack = make_stack(tmp_path, f"sqlite:///{tmp_path / 'var' / 'marquee.db'}", MARQUEE_MODEL_DIR=tiny_model,
                       MARQUEE_GENERATE_STEPS="2", MARQUEE_GENERATE_DEVICE="cpu", MARQUEE_GENERATE_BATCH="4")
    assert stack.app.config["GENERATE_BATCH"] == 4 and stack.app.config["GENERATE_BORROW"] == 3
    yield stack
    stack.stop_all()
    _drop_queue_keys(stack)


def _art(quality: int) -> bytes:
    """A 1:2 key art; each JPEG quality gives other bytes, so another key art (and seed)."""
    from app.sample import sample_key_art_jpeg

    buf = io.BytesIO()
    Image.open(io.BytesIO(sample_key_art_jpeg(384, 768))).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _campaign(stack, n_arts: int) -> tuple[object, dict, list[dict]]:
    client = stack.app.test_client()
    seeded = seed_campaign(client, key_art=_art(90))
    _offset_ids(stack, seeded)
    arts = [seeded["art"]]
    for q in range(1, n_arts):
        r = client.post(f"/api/v1/titles/{seeded['title']['id']}/key-art",
                        data={"file": (io.BytesIO(_art(90 - 5 * q)), "art.jpg")}, content_type="multipart/form-data")
        assert r.status_code == 201, r.get_data(as_text=True)
        arts.append(r.get_json())
    return client, seeded, arts


def _request(client, seeded, art: dict, locales: list[str], formats: list[str] = FORMATS) -> dict:
    r = client.post("/api/v1/requests", json={"title_id": seeded["title"]["id"], "key_art_id": art["id"],
                                              "brand_kit_id": seeded["kit"]["id"], "locales": locales,
                                              "formats": formats})
    assert r.status_code == 202, r.get_data(as_text=True)
    return r.get_json()


def _gpu_job_ids(stack) -> list[str]:
    with stack.app.app_context():
        from app.queueing import GPU, get_queue

        return get_queue(GPU).get_job_ids()


def _spy_batches(stack, monkeypatch, before=None) -> list[int]:
    """The sizes of the forward passes the resident backend really runs (its `_run`, wrapped).
    `before(call_number)` runs first on each call (it may raise, as a failing device would)."""
    from app.services.generation import generator

    with stack.app.app_context():
        gen = generator()
    calls: list[int] = []
    real = gen._run

    def run(prompts, *a, **k):
        calls.append(len(prompts))
        if before is not None:
            before(len(calls))
        return real(prompts, *a, **k)

    monkeypatch.setattr(gen, "_run", run)
    return calls


def _burst(stack, queue: str, max_jobs: int | None = None) -> None:
    """Run the queue's jobs here, with the GPU worker's own class (a non-forking SimpleWorker)."""
    from jobs.context import set_app
    from jobs.gpu_worker import ResidentModelWorker
    from jobs.worker import worker_factory

    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    set_app(stack.app)
    try:
        with stack.app.app_context():
            worker = worker_factory(ResidentModelWorker, [queue], stack.app)()
        worker.work(burst=True, max_jobs=max_jobs)
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
        set_app(None)


def _batch_metric() -> tuple[float, float]:
    """marquee_gpu_batch_size's (count, sum) in this process, where the in-process worker observes."""
    from app.metrics import registry

    reg = registry()
    return tuple(reg.get_sample_value(f"marquee_gpu_batch_size_{s}") or 0.0 for s in ("count", "sum"))


def _job(stack, job_id: str):
    from rq.job import Job

    with stack.app.app_context():
        from app.queueing import redis_conn

        return Job.fetch(job_id, connection=redis_conn())


def _variants(stack, req: dict) -> dict[tuple[str, str], dict]:
    """(locale, format) -> the variant's row as it is now."""
    with stack.app.app_context():
        from app.extensions import db
        from app.models import Variant

        rows = db.session.scalars(db.select(Variant).where(Variant.request_id == req["id"])).all()
        return {(v.locale, v.format): {"id": v.id, "revision": v.revision, "status": v.status,
                                       "generator": dict(v.generator or {})} for v in rows}


def _requeue_new_revision(stack, variant_id: int, enqueue: bool = True) -> None:
    """A reviewer's re-render, as the service makes it: the next revision, queued, its old
    generator record left in place (it names the old revision); optionally enqueued."""
    with stack.app.app_context():
        from app.extensions import db
        from app.models import Variant
        from app.services.requests import enqueue_variants

        v = db.session.get(Variant, variant_id)
        v.revision, v.status = v.revision + 1, "queued"
        db.session.commit()
        if enqueue:
            enqueue_variants([v])


def test_first_job_fills_its_batch_from_queued_requests_and_they_skip_it(gpu_stack, monkeypatch):
    """Three requests queue three GPU jobs (2, 2 and 1 distinct expands; two locales of a format
    share one). The first job's batch is 4: its own 2 plus the second request's 2 (all four of
    that request's variants, the locales included); the second job then generates nothing, the
    third (no room left) runs alone. Every variant renders with its canvas from the gpu queue."""
    stack = gpu_stack
    client, seeded, arts = _campaign(stack, 3)
    reqs = [_request(client, seeded, arts[0], ["en-US", "fr-FR"]),
            _request(client, seeded, arts[1], ["en-US", "de-DE"]),
            _request(client, seeded, arts[2], ["en-US"], ["thumbnail-small"])]
    jobs = _gpu_job_ids(stack)
    assert len(jobs) == 3
    batches = _spy_batches(stack, monkeypatch)
    before = _batch_metric()
    _burst(stack, "gpu")
    results = [_job(stack, j).return_value() for j in jobs]
    assert batches == [4, 1], (batches, results)
    count, total = (a - b for a, b in zip(_batch_metric(), before))
    assert (count, total) == (2, 9)  # variants per expand job that ran a batch: 4 own + 4 borrowed, then 1
    assert results[0] == {"variants": 4, "borrowed": 4, "skipped": 0, "generated": 4, "backend": "diffusers"}
    assert results[1] == {"variants": 0, "borrowed": 0, "skipped": 4, "generated": 0, "backend": "diffusers"}
    assert results[2] == {"variants": 1, "borrowed": 0, "skipped": 0, "generated": 1, "backend": "diffusers"}
    b = _variants(stack, reqs[1])
    assert all(v["generator"]["batch"] == 4 and v["generator"]["queue"] == "gpu" for v in b.values()), b
    assert b["en-US", "thumbnail"]["generator"]["canvas_key"] == b["de-DE", "thumbnail"]["generator"]["canvas_key"]
    _burst(stack, "render")
    for req in reqs:
        for (locale, fmt), v in _variants(stack, req).items():
            g = v["generator"]
            assert v["status"] == "rendered", (locale, fmt, v)
            assert g["reframe"] == "expand" and g["queue"] == "gpu" and g["backend"] == "diffusers", g
            assert g["canvas_key"] and g["revision"] == 1


def test_failed_batch_fails_only_the_jobs_own_variants(gpu_stack, monkeypatch):
    """The batch with borrowed expands raises: the error is recorded on the borrowing job's own
    variants only; the borrowed request's job then runs and generates its own expands."""
    stack = gpu_stack
    client, seeded, arts = _campaign(stack, 2)
    reqs = [_request(client, seeded, art, ["en-US"]) for art in arts]
    jobs = _gpu_job_ids(stack)

    def device_fails_once(call: int) -> None:
        if call == 1:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")

    batches = _spy_batches(stack, monkeypatch, device_fails_once)
    _burst(stack, "gpu", max_jobs=1)
    assert batches == [4] and _job(stack, jobs[0]).get_status() == "failed"  # the borrowed expands were in it
    assert all(v["generator"] == {} for v in _variants(stack, reqs[1]).values())  # left untouched
    _burst(stack, "gpu")
    assert batches == [4, 2]  # then their own job ran them
    assert _job(stack, jobs[1]).return_value() == {"variants": 2, "borrowed": 0, "skipped": 0, "generated": 2,
                                                   "backend": "diffusers"}
    for v in _variants(stack, reqs[0]).values():
        assert v["generator"] == {"revision": 1, "op": "expand",
                                  "error": "RuntimeError: CUDA error: an illegal memory access was encountered"}
    for v in _variants(stack, reqs[1]).values():
        g = v["generator"]
        assert "error" not in g and g["canvas_key"] and g["queue"] == "gpu" and g["revision"] == 1, g
        assert g["batch"] == 2  # made by its own job, not by the failed one


def test_a_revision_requeued_after_borrowing_is_generated_again(gpu_stack, monkeypatch):
    """The first job borrows the second request's expands and records them for revision 1; then
    one of those variants is re-rendered (revision 2, a new GPU job; its record still names
    revision 1). The second job skips only what is still current; the new job generates revision 2."""
    stack = gpu_stack
    client, seeded, arts = _campaign(stack, 2)
    reqs = [_request(client, seeded, art, ["en-US"]) for art in arts]
    jobs = _gpu_job_ids(stack)
    batches = _spy_batches(stack, monkeypatch)
    _burst(stack, "gpu", max_jobs=1)
    assert _job(stack, jobs[0]).return_value()["borrowed"] == 2 and batches == [4]
    moved = _variants(stack, reqs[1])["en-US", "thumbnail"]
    assert moved["generator"]["revision"] == 1 and moved["generator"]["canvas_key"]
    _requeue_new_revision(stack, moved["id"])
    new_jobs = [j for j in _gpu_job_ids(stack) if j not in jobs]
    assert len(new_jobs) == 1
    _burst(stack, "gpu")
    assert _job(stack, jobs[1]).return_value() == {"variants": 0, "borrowed": 0, "skipped": 1, "generated": 0,
                                                   "backend": "diffusers"}
    assert _job(stack, new_jobs[0]).return_value() == {"variants": 1, "borrowed": 0, "skipped": 0, "generated": 1,
                                                       "backend": "diffusers"}
    assert batches == [4, 1]
    now = _variants(stack, reqs[1])["en-US", "thumbnail"]
    assert now["revision"] == 2 and now["generator"]["revision"] == 2 and now["generator"]["canvas_key"]
    assert now["generator"]["batch"] == 1


def test_failed_batch_records_the_error_on_the_revision_it_was_given(gpu_stack, monkeypatch):
    """A variant re-rendered (revision 2) while its GPU job's batch runs, and the batch fails: the
    error belongs to revision 1, so revision 2 must not inherit it (its render would fail on it)."""
    stack = gpu_stack
    client, seeded, arts = _campaign(stack, 1)
    req = _request(client, seeded, arts[0], ["en-US"])
    vid = _variants(stack, req)["en-US", "thumbnail"]["id"]

    def requeue_then_fail(call: int) -> None:
        _requeue_new_revision(stack, vid, enqueue=False)
        raise RuntimeError("device lost")

    _spy_batches(stack, monkeypatch, requeue_then_fail)
    _burst(stack, "gpu")
    rows = _variants(stack, req)
    assert rows["en-US", "thumbnail"]["revision"] == 2
    assert rows["en-US", "thumbnail"]["generator"] == {}, rows  # no record for revision 2
    assert rows["en-US", "thumbnail-small"]["generator"] == {"revision": 1, "op": "expand",
                                                             "error": "RuntimeError: device lost"}
