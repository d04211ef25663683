"""Workers stop when asked (SIGTERM, as `scripts/demo.sh` and service managers send) and only
then: a stop is never mistaken for a Redis restart, never swallowed by a maintenance step, and
a Redis restart never ends a worker, the GPU worker included."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import make_stack, wait_for, _drop_queue_keys
from tests.export_servers import RedisServer

pytestmark = pytest.mark.service


def _log(stack, proc: subprocess.Popen) -> Path:
    return Path(stack.env["MARQUEE_VAR_DIR"]) / f"worker-{stack.workers.index(proc)}.log"


def _stops_cleanly(proc: subprocess.Popen, log: Path) -> None:
    restarts = log.read_text(errors="replace").count("starting again")
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        raise AssertionError("worker still running 30 s after SIGTERM:\n" + log.read_text(errors="replace")[-3000:])
    text = log.read_text(errors="replace")
    assert code == 0, text[-3000:]
    assert text.count("starting again") == restarts, "the stop was taken for a Redis loss:\n" + text[-3000:]


@pytest.mark.parametrize("when", ["at start-up", "when listening"])
@pytest.mark.parametrize("queue", ["render", "export"])
def test_sigterm_stops_a_worker(sqlite_stack, queue, when):
    """At start-up the signal comes before RQ has installed its handlers; listening, it finds
    the worker idle. Either way the worker exits 0 and does not start again."""
    proc = sqlite_stack.start_worker(queue)
    log = _log(sqlite_stack, proc)
    if when == "at start-up":
        # the first logging line: logging is set up right after the stop signals are installed
        # (a warning printed while importing would come earlier, before the handlers)
        wait_for(lambda: " INFO " in log.read_text(errors="replace") or proc.poll() is not None, timeout=60,
                 interval=0.02, what="worker process up")
    else:
        wait_for(lambda: "Listening on" in log.read_text(errors="replace"), timeout=60, what="worker listening")
    _stops_cleanly(proc, log)


def _work_in_this_process(stack, before_work=None, *, queue="render", with_scheduler=False, on_dequeue=None):
    """Run a worker here, in pytest's main thread (so signals reach it), whose dequeue records
    the call and returns as if idle: a lost stop shows as `dequeued`, never as a hang."""
    from jobs.context import set_app
    from jobs.worker import ReconcilingWorker, worker_factory

    class Probe(ReconcilingWorker):
        dequeued = False

        def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
            self.dequeued = True
            if on_dequeue is not None:
                on_dequeue(self)
            return None

    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    set_app(stack.app)
    try:
        with stack.app.app_context():
            worker = worker_factory(Probe, [queue], stack.app)()
        if before_work is not None:
            before_work(worker)
        worker.work(burst=False, with_scheduler=with_scheduler)
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
        set_app(None)
    return worker


def test_sigterm_during_maintenance_stops_before_the_next_dequeue(sqlite_stack, monkeypatch):
    """RQ raises StopRequested wherever an idle worker is when the signal comes; in the
    reconciler, its error guard used to swallow it and the worker idled on for ever. Here the
    signal lands inside the reconciler, every time."""
    from app.services import reconcile as reconcile_module

    finished = []

    def reconcile_and_get_signalled():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)  # the handler runs here, in the middle of the step
        finished.append(True)
        return []

    monkeypatch.setattr(reconcile_module, "reconcile", reconcile_and_get_signalled)
    worker = _work_in_this_process(sqlite_stack)
    assert worker.asked_to_stop
    assert finished, "the signal broke into the reconciler instead of letting it finish"
    assert not worker.dequeued, "the stop asked for during maintenance was lost"


def test_stop_remembered_before_work_ends_the_worker_before_its_first_dequeue(sqlite_stack):
    """run_until_stopped hands its StopSignals to each new worker: a signal that came between
    building the worker and RQ installing its handlers still stops it."""
    from jobs.worker import StopSignals

    stop = StopSignals()

    def signalled_before_work(worker):
        worker.stop_signals = stop
        stop.asked = True   # what StopSignals' handler does

    assert not _work_in_this_process(sqlite_stack, signalled_before_work).dequeued


def test_a_scheduler_forked_just_before_the_stop_is_stopped_too(sqlite_stack, monkeypatch):
    """Export workers fork RQ's scheduler as they start. A SIGTERM at that moment reached the
    scheduler before it had installed its handlers (it still had the worker's, which only
    remember a stop), RQ sent it once, and the worker waited on it for ever (CI, an export
    worker stopped at start-up). Here the scheduler's start is held for a second so the stop
    always lands in that window, and the worker must still end, with its scheduler."""
    import threading

    import rq.scheduler

    from jobs.worker import StopSignals

    started = rq.scheduler.run

    def start_late(scheduler):
        time.sleep(1.0)  # RQ's SIGTERM arrives here, before scheduler.work() installs its handlers
        started(scheduler)

    monkeypatch.setattr(rq.scheduler, "run", start_late)  # the forked child runs the patched module
    scheduler_pids = []

    def stop_while_the_scheduler_starts(worker):
        scheduler_pids.append(worker.scheduler._process.pid)
        os.kill(os.getpid(), signal.SIGTERM)

    def kill_a_hung_scheduler():
        """Without the fix the test would hang in join(): end it, and fail it below."""
        for pid in scheduler_pids:
            try:
                os.kill(pid, signal.SIGKILL)
                hung.append(pid)
            except OSError:
                pass

    hung: list[int] = []
    watchdog = threading.Timer(25.0, kill_a_hung_scheduler)
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    StopSignals().install()  # what the worker process has when RQ forks its scheduler
    watchdog.start()
    t0 = time.monotonic()
    try:
        worker = _work_in_this_process(sqlite_stack, queue="export", with_scheduler=True,
                                       on_dequeue=stop_while_the_scheduler_starts)
    finally:
        watchdog.cancel()
        for s, handler in saved.items():
            signal.signal(s, handler)
    assert scheduler_pids, "the worker did not start a scheduler (its lock was held?)"
    assert not hung, f"the scheduler missed the stop and the worker waited on it for {time.monotonic() - t0:.0f} s"
    assert not worker.scheduler._process.is_alive()
    assert worker.scheduler._process.exitcode == 0, "the scheduler was killed, not stopped"


@pytest.fixture
def gpu_stack_on_private_redis(tmp_path):
    from app.generate.tiny import build_tiny_inpaint_pipeline

    redis = RedisServer(tmp_path).start()
    model = build_tiny_inpaint_pipeline(tmp_path / "tiny-sd")
    stack = make_stack(tmp_path, f"sqlite:///{tmp_path / 'var' / 'marquee.db'}", REDIS_URL=redis.url,
                       MARQUEE_MODEL_DIR=str(model), MARQUEE_GENERATE_STEPS="2", MARQUEE_GENERATE_DEVICE="cpu")
    yield stack, redis
    stack.stop_all()
    _drop_queue_keys(stack)
    redis.stop()


def test_gpu_worker_outlives_a_redis_restart_and_stops_on_sigterm(gpu_stack_on_private_redis):
    """The resident-model worker runs the same loop as the render workers: Redis dies and comes
    back empty, the worker (model still loaded) takes the next generator job, and SIGTERM ends it."""
    from tests.conftest import seed_campaign
    from tests.test_generate_queue import _start_gpu_worker

    stack, redis = gpu_stack_on_private_redis
    proc = _start_gpu_worker(stack)
    log = _log(stack, proc)
    wait_for(lambda: "Listening on" in log.read_text(errors="replace"), timeout=120, what="GPU worker listening")
    redis.stop()
    time.sleep(1.0)
    redis.start()
    # RQ either reconnects by itself (the loss found it blocked in BLPOP) or quits (the loss hit
    # a heartbeat or its bookkeeping) and the loop starts a new worker: which one is a race, and
    # both must end with this process alive and taking the next job.
    time.sleep(3.0)
    assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
    assert log.read_text(errors="replace").count("generator resident") == 1, "the model was loaded once"

    client = stack.app.test_client()
    seeded = seed_campaign(client)
    resp = client.post("/api/v1/requests", json={
        "title_id": seeded["title"]["id"], "key_art_id": seeded["art"]["id"], "brand_kit_id": seeded["kit"]["id"],
        "locales": ["en-US"], "formats": ["banner"]})
    assert resp.status_code == 202, resp.get_data(as_text=True)
    stack.start_worker("render")
    vid = resp.get_json()["variants"][0]["id"]

    def rendered():
        with stack.app.app_context():
            from app.extensions import db
            from app.models import Variant

            db.session.expire_all()
            v = db.session.get(Variant, vid)
            return v.status in ("rendered", "failed") and (v.status, v.generator)

    try:
        status, generator = wait_for(rendered, timeout=180, what="banner rendered through the restarted GPU worker")
    except AssertionError:
        raise AssertionError(stack.worker_logs())
    assert status == "rendered" and generator["backend"] == "diffusers" and generator["queue"] == "gpu", generator
    _stops_cleanly(proc, log)
