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
from tests.test_export import own_redis  # noqa: F401  (fixture: the export tests' own Redis)

pytestmark = [pytest.mark.service, pytest.mark.usefixtures("busy_cpus")]

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
    """Stands in for app.queueing.fetch_job: the first lookup of a render job by each reconciler
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
    from app.queueing import get_queue, RENDER

    with stack.app.app_context():
        q = get_queue(RENDER)
        return q.count == 0 and q.started_job_registry.count == 0


def test_reconciler_never_requeues_a_finished_render(stack, monkeypatch):
    from app import queueing
    from app.services.reconcile import reconcile

    app = stack.app
    app.config["RECONCILE_GRACE_S"] = 0  # this process's reconciler looks at work enqueued a moment ago
    client = app.test_client()
    from app.sample import sample_key_art_jpeg

    seeded = seed_campaign(client, key_art=sample_key_art_jpeg(300, 300))  # the smallest art the upload takes: quick renders
    for _ in range(2):
        stack.start_worker("render")
    t0 = time.monotonic()

    hook = FinishFirst(queueing.fetch_job)
    requeued: list[dict] = []
    request_ids = []
    for _ in range(RACED_BATCHES):
        req = _request(client, seeded)
        request_ids.append(req["id"])
        with monkeypatch.context() as m:
            m.setattr(queueing, "fetch_job", hook)
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
        from app.cli.demo import rendered_twice  # the count the demo prints: it must see what we see

        assert sorted(vid for rid in request_ids for vid in rendered_twice(rid)) == [vid for vid, _ in twice]
    assert not twice, f"rendered more than once: {twice}"
    assert not wrong, f"not rendered: {wrong}"
    assert requeued == [], requeued
    with app.app_context():
        from app.extensions import db
        from app.models import AuditEvent

        moved = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "variant.requeued")).all()
        assert [(e.entity_id, e.state_before, e.detail) for e in moved] == []


# --- the same race in the export and generator-edit reconcilers ---------------------------------


def test_export_reconciler_leaves_an_export_whose_job_ended_meanwhile(tmp_path, monkeypatch, own_redis):
    """Pending exports read by the export reconciler, looked up in RQ only after a real export
    worker ran their jobs (one export done, one failed once and scheduled its retry 30 s out):
    nothing is requeued, and the retry keeps its due time."""
    from app import queueing
    from tests.export_servers import PutOrigin
    from tests.test_export import add_target, approve_all, export_stack, exports, render_request

    stack = export_stack(tmp_path, monkeypatch, REDIS_URL=own_redis.url, MARQUEE_EXPORT_BACKOFF_MAX_S="60")
    origin = PutOrigin(fail_puts=1, retry_after="30").start()
    try:
        app, client = stack.app, stack.app.test_client()
        app.config["RECONCILE_GRACE_S"] = 0
        add_target(client, name="origin", kind="http-put", url=origin.url)
        req = render_request(stack, client, ["it-IT"], ["thumbnail-small", "square"])
        approve_all(stack, req["id"])  # two exports pending, their jobs queued; no export worker yet
        ended = []
        real = queueing.fetch_job

        def after_the_job(job_id: str):
            from rq.job import JobStatus

            if "-export-" in job_id and job_id not in ended and len(ended) < 2 and real(job_id) is not None:
                ended.append(job_id)  # the two jobs approve_all enqueued, as the reconciler looks them up
                if len(ended) == 1:  # the reconciler has read the pending exports by now
                    stack.start_worker("export")
                wait_for(lambda: (real(job_id) or None) and real(job_id).get_status(refresh=False)
                         in (JobStatus.FINISHED, JobStatus.FAILED), timeout=120, interval=0.05,
                         what=f"export job {job_id} to end")
            return real(job_id)

        from app.services.exports.reconcile import reconcile_exports

        with app.app_context():
            monkeypatch.setattr(queueing, "fetch_job", after_the_job)
            done = reconcile_exports()
            monkeypatch.setattr(queueing, "fetch_job", real)
        rows = {e.status: e for e in exports(stack)}
        assert len(ended) == 2, ended
        assert set(rows) == {"done", "pending"}, [(e.id, e.status, e.error) for e in exports(stack)]
        assert done == [], done
        retry = rows["pending"]
        assert retry.tries == 1 and retry.next_attempt_at is not None
        assert abs((retry.enqueued_at - retry.next_attempt_at).total_seconds()) < 1, \
            (retry.enqueued_at, retry.next_attempt_at)  # still due in 30 s, not enqueued now
        with app.app_context():
            from app.extensions import db
            from app.models import AuditEvent

            assert db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "export.requeued")).all() == []
    finally:
        stack.stop_all()
        origin.stop()


def test_generator_edit_reconciler_leaves_an_edit_that_finished_meanwhile(sqlite_stack, monkeypatch):
    """A queued generator edit read by the reconciler, whose job a real RQ worker runs to its end
    before the reconciler's lookup: the edit keeps its outcome and is not queued again."""
    from app import queueing
    from rq import SimpleWorker

    from jobs.context import set_app
    from app.queueing import GPU, get_queue

    app = sqlite_stack.app
    app.config["RECONCILE_GRACE_S"] = 0
    app.config["MODEL_DIR"] = str(sqlite_stack.env["MARQUEE_VAR_DIR"])  # edits go to the gpu queue
    seeded = seed_campaign(app.test_client())
    from review_helpers import create_request, make_people

    people = make_people(app.test_client())
    req = create_request(app.test_client(), seeded, ["ja-JP"], ["thumbnail-small"])
    vid = req["variants"][0]["id"]
    with app.app_context():  # not rendered: the edit ends at once ("recorded"), no model needed
        from app.services.review import generator_edit
        from app.models import User
        from app.extensions import db

        marketing = db.session.get(User, people.ids["marketing"])
        fix_id = generator_edit(vid, marketing, op="remove", rect={"x": .1, "y": .1, "w": .2, "h": .2}).id
    set_app(app)
    real, ran = queueing.fetch_job, []

    def after_the_job(job_id: str):
        if job_id.endswith(f"edit-{fix_id}") and not ran:
            with app.app_context():
                SimpleWorker([get_queue(GPU)], connection=queueing.redis_conn()).work(burst=True)
            ran.append(job_id)
        return real(job_id)

    from app.services.reconcile import reconcile_generator_edits
    from app.models.base import utcnow

    with app.app_context():
        monkeypatch.setattr(queueing, "fetch_job", after_the_job)
        done = reconcile_generator_edits(utcnow(), 60)
        monkeypatch.setattr(queueing, "fetch_job", real)
        from app.extensions import db
        from app.models import AuditEvent, FixRequest

        fix = db.session.get(FixRequest, fix_id)
        db.session.refresh(fix)
        assert ran, "the reconciler never looked the edit's job up"
        assert done == [], done
        assert fix.status == "recorded", fix.status
        assert real(ran[0]).get_status(refresh=False).value == "finished"  # not enqueued again
        assert db.session.scalars(db.select(AuditEvent).where(
            AuditEvent.action == "generator_edit.requeued")).all() == []
