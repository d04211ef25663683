"""The reconciler races jobs that finish while it looks at them, and never renders anything twice.

The reconciler reads the pending variants, then asks RQ about each one's job. A job that finishes
in between used to read as "job finished without recording a result", and the variant, already
rendered, went back to the queue and was rendered again (issue 11). Here real render workers
finish many small jobs while the reconciler runs in this process:

* deterministic races: ten reconcilers at once read the pending variants, and each one's RQ
  lookups wait until the real worker has finished that very job, so every variant a reconciler
  read as pending is looked up after its job finished and its result was committed;
* free races: reconcile() in a tight loop while the workers go through another batch.

Nothing may be rendered twice (render_count 1), requeued, or left in any state but rendered.
"""
from __future__ import annotations

import os
import threading
import time

import pytest

from tests.conftest import seed_campaign, wait_for

pytestmark = pytest.mark.service

LOCALES = ["en-US", "es-MX", "pt-BR", "fr-FR", "de-DE", "it-IT", "pl-PL", "tr-TR", "ru-RU", "ar-SA",
           "he-IL", "hi-IN", "th-TH", "ja-JP", "ko-KR", "zh-CN", "zh-TW", "id-ID", "vi-VN"]
FORMATS = ["thumbnail-small"]
#: Per database: batches of 19 variants, each raced by RECONCILERS reconcilers at once (so a
#: batch is up to 19 x RECONCILERS races), then batches reconciled in a tight loop.
RACED_BATCHES = int(os.environ.get("MARQUEE_RACE_BATCHES", "3"))
RECONCILERS = int(os.environ.get("MARQUEE_RACE_RECONCILERS", "10"))
FREE_BATCHES = int(os.environ.get("MARQUEE_FREE_RACE_BATCHES", "1"))
MIN_RACES = 500


class FinishFirst:
    """Stands in for jobs.queues.fetch_job: the first lookup of a render job by each reconciler
    thread waits until the worker has finished that job, then answers with the real job from
    Redis. Each such lookup is one race: the thread read the variant as pending before."""

    def __init__(self, real):
        self.real, self.waited, self.finished = real, set(), 0
        self.lock = threading.Lock()

    def __call__(self, job_id: str):
        from rq.job import JobStatus

        key = (threading.get_ident(), job_id)
        if "-render-v" in job_id and key not in self.waited:
            self.waited.add(key)
            deadline = time.monotonic() + 120
            while True:
                job = self.real(job_id)
                status = job.get_status(refresh=False) if job is not None else None
                if status in (JobStatus.FINISHED, JobStatus.FAILED):
                    with self.lock:
                        self.finished += status == JobStatus.FINISHED
                    break
                assert time.monotonic() < deadline, f"job {job_id} never finished ({status})"
                time.sleep(0.02)
        return self.real(job_id)


def _raced_reconcilers(app, n: int) -> list[dict]:
    """`n` reconcilers at once (as the CLI and every worker's maintenance step may be), each
    reading the pending variants at the same moment and then racing their jobs."""
    from app.services.reconcile import reconcile

    barrier, out, errors = threading.Barrier(n), [], []

    def run() -> None:
        with app.app_context():
            barrier.wait()
            try:
                out.extend(reconcile())
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert not errors, errors
    return out


def _request(client, seeded) -> dict:
    resp = client.post("/api/v1/requests", json={
        "title_id": seeded["title"]["id"], "key_art_id": seeded["art"]["id"], "brand_kit_id": seeded["kit"]["id"],
        "locales": LOCALES, "formats": FORMATS})
    assert resp.status_code == 202, resp.get_data(as_text=True)
    return resp.get_json()


def _states(app, request_id: int | None = None) -> list[tuple[int, str, int]]:
    from app.extensions import db
    from app.models import Variant

    with app.app_context():
        q = db.select(Variant.id, Variant.status, Variant.render_count).order_by(Variant.id)
        if request_id is not None:
            q = q.where(Variant.request_id == request_id)
        return [tuple(r) for r in db.session.execute(q).all()]


def _idle(stack) -> bool:
    """No render job waiting or running for this stack."""
    from jobs.queues import get_queue, RENDER

    with stack.app.app_context():
        q = get_queue(RENDER)
        return q.count == 0 and q.started_job_registry.count == 0


def test_reconciler_never_requeues_a_finished_render(stack, monkeypatch):
    import jobs.queues
    from app.services.reconcile import reconcile

    app = stack.app
    app.config["RECONCILE_GRACE_S"] = 0  # this process's reconciler looks at work enqueued a moment ago
    client = app.test_client()
    from app.sample import sample_key_art_jpeg

    seeded = seed_campaign(client, key_art=sample_key_art_jpeg(160, 160))  # small art: quick renders
    for _ in range(2):
        stack.start_worker("render")
    t0 = time.monotonic()

    hook = FinishFirst(jobs.queues.fetch_job)
    requeued: list[dict] = []
    request_ids = []
    for _ in range(RACED_BATCHES):
        req = _request(client, seeded)
        request_ids.append(req["id"])
        with monkeypatch.context() as m:
            m.setattr(jobs.queues, "fetch_job", hook)
            requeued += _raced_reconcilers(app, RECONCILERS)
    raced = hook.finished

    passes = 0
    for _ in range(FREE_BATCHES):
        req = _request(client, seeded)
        request_ids.append(req["id"])
        while any(status != "rendered" for _, status, _ in _states(app, req["id"])):
            with app.app_context():
                requeued += reconcile()
            passes += 1
            assert time.monotonic() - t0 < 300, stack.worker_logs()

    try:
        wait_for(lambda: _idle(stack), timeout=60, interval=0.1, what="the render queue to drain")
        time.sleep(0.3)  # a job the reconciler re-enqueued just now would show in the queue
        wait_for(lambda: _idle(stack), timeout=60, interval=0.1, what="the render queue to drain")
    except AssertionError:
        raise AssertionError(stack.worker_logs())
    states = _states(app)
    total = (RACED_BATCHES + FREE_BATCHES) * len(LOCALES) * len(FORMATS)
    twice = [(vid, n) for vid, _, n in states if n > 1]
    wrong = [(vid, s) for vid, s, n in states if s != "rendered"]
    print(f"\n{stack.env['DATABASE_URL'].split(':')[0]}: {raced} deterministic races, {passes} free reconcile "
          f"passes over {total} variants in {time.monotonic() - t0:.1f}s; requeued {len(requeued)}, "
          f"rendered twice {len(twice)}, wrong state {len(wrong)}")
    assert raced >= MIN_RACES, f"only {raced} races: the workers outran the reconcilers"
    assert len(states) == total
    with app.app_context():
        from app.demo import rendered_twice  # the count the demo prints: it must see what we see

        assert sorted(vid for rid in request_ids for vid in rendered_twice(rid)) == [vid for vid, _ in twice]
    assert not twice, f"rendered more than once: {twice}"
    assert not wrong, f"not rendered: {wrong}"
    assert requeued == [], requeued
    with app.app_context():
        from app.extensions import db
        from app.models import AuditEvent

        moved = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "variant.requeued")).all()
        assert [(e.entity_id, e.state_before, e.detail) for e in moved] == []
