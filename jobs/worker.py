"""Worker entry point: `python -m jobs.worker [queue ...]`.

A forking RQ worker (one work horse per job) whose maintenance step, every
RECONCILE_INTERVAL_S seconds, also runs the reconciler under a Redis lock, so lost work is
re-enqueued within a minute rather than at RQ's ten-minute maintenance pass.

`run_until_stopped` is the loop both this worker and the GPU worker run: RQ quits when Redis
goes away under it (a restart), so the loop waits for Redis and starts a new worker, and only a
stop that was asked for (SIGTERM/SIGINT) ends it.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import time
from typing import Callable

from prometheus_client import start_http_server
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Worker
from rq.exceptions import StopRequested
from rq.utils import now

from app.factory import create_app
from app.logging_setup import JOB_ID, configure_logging
from app.metrics import REQUEUES, reason_label, registry
from app.queueing import get_queue, redis_conn
from app.services import reconcile as reconcile_service

from . import render as render_jobs
from .context import get_app, set_app
from .export import reconcile_exports_once
from .maintenance import run_once_per_interval
from .metrics_dir import metrics_port
from .observe import observe_job

log = logging.getLogger("marquee.worker")

# RQ's scheduler process sleeps 1 s between passes, so a SIGTERM its handlers got is acted on
# within a second; one sent before they were installed is repeated this often.
SCHEDULER_RESEND_S = 1.5
SCHEDULER_KILL_AFTER_S = 20.0


class StopSignals:
    """SIGTERM/SIGINT outside RQ's work loop (start-up, model loading, waiting for Redis) are
    only remembered here: RQ's own handlers would ask Redis for the worker's state, and the
    default action would kill the process half-started."""

    def __init__(self) -> None:
        self.asked = False

    def install(self) -> "StopSignals":
        signal.signal(signal.SIGTERM, self._remember)
        signal.signal(signal.SIGINT, self._remember)
        return self

    def _remember(self, signum, frame) -> None:
        log.info("stop asked for (signal %d)", signum)
        self.asked = True


class StopAware:
    """Mixin for RQ workers: a stop is remembered (`asked_to_stop`) and never lost in maintenance.

    RQ answers SIGTERM on an idle worker by raising StopRequested wherever the main loop happens
    to be. Inside a maintenance step that is the reconciler, whose guard (maintenance must never
    kill the worker) would swallow it, and the worker would idle on. So a signal that arrives
    during maintenance only sets the flag; the step finishes its transaction and the stop
    happens right after it.
    """

    _in_maintenance = False
    _stop: StopSignals | None = None

    @property
    def stop_signals(self) -> StopSignals:
        """The process's stop flag, shared with run_until_stopped, so a signal that lands
        between two owners of the handlers (the loop and RQ) is never lost."""
        if self._stop is None:
            self._stop = StopSignals()
        return self._stop

    @stop_signals.setter
    def stop_signals(self, stop: StopSignals) -> None:
        self._stop = stop

    @property
    def asked_to_stop(self) -> bool:
        return self.stop_signals.asked

    def request_stop(self, signum, frame) -> None:
        self.stop_signals.asked = True
        if self._in_maintenance:
            self._shutdown_requested_date = now()
            signal.signal(signal.SIGINT, self.request_force_stop)
            signal.signal(signal.SIGTERM, self.request_force_stop)
            return
        super().request_stop(signum, frame)

    def run_maintenance_tasks(self) -> None:
        self._in_maintenance = True
        try:
            super().run_maintenance_tasks()
            with get_app().app_context():
                self.reconcile()
        finally:
            self._in_maintenance = False
        if self.asked_to_stop:
            raise StopRequested()

    def reconcile(self) -> None:
        """The reconcilers this kind of worker runs in its maintenance step."""
        run_reconciler_once(get_app().config["RECONCILE_INTERVAL_S"])

    def stop_scheduler(self) -> None:
        """Stop the scheduler process RQ forked, however early in its life the stop comes.

        RQ sends one SIGTERM and joins for ever. A scheduler forked moments before still has the
        handlers it inherited from this process (StopSignals, which only remember), so that one
        signal was lost and the worker hung in join() (seen in CI: an export worker stopped
        during start-up). Here the signal is sent again until the process is gone, and a
        scheduler that outlives SCHEDULER_KILL_AFTER_S is killed: its lock expires on its own.
        """
        process = self.scheduler._process if self.scheduler else None
        if process is None or not process.pid:
            return
        deadline = time.monotonic() + SCHEDULER_KILL_AFTER_S
        while process.is_alive() and time.monotonic() < deadline:
            try:
                os.kill(process.pid, signal.SIGTERM)
            except OSError:
                break  # already gone
            process.join(timeout=SCHEDULER_RESEND_S)
        if process.is_alive():
            log.warning("scheduler %d ignored SIGTERM for %.0f s; killing it", process.pid, SCHEDULER_KILL_AFTER_S)
            process.kill()
        process.join()

    def execute_job(self, job, queue) -> None:
        """RQ's execute_job with the job id in every log line (this process and its work horse)."""
        token = JOB_ID.set(job.id)
        try:
            super().execute_job(job, queue)
        finally:
            JOB_ID.reset(token)

    def perform_job(self, job, queue, execution) -> bool:
        """RQ's perform_job, timed for the metrics (in the process that ran the job)."""
        t0 = time.perf_counter()
        ok = super().perform_job(job, queue, execution)
        observe_job(job, queue.name, ok, time.perf_counter() - t0)
        return ok


class ReconcilingWorker(StopAware, Worker):
    def reconcile(self) -> None:
        super().reconcile()
        count_requeues(reconcile_exports_once(get_app().config["RECONCILE_INTERVAL_S"]))


def worker_settings(cfg) -> dict:
    """RQ worker timings from config, the same for render, export and GPU workers: maintenance
    (the reconcilers) every RECONCILE_INTERVAL_S, job heartbeats, and the worker's own TTL."""
    return {"maintenance_interval": cfg["RECONCILE_INTERVAL_S"],
            "job_monitoring_interval": cfg["JOB_MONITORING_INTERVAL_S"], "worker_ttl": cfg["WORKER_TTL_S"]}


def run_reconciler_once(lock_s: int) -> list[dict]:
    """Reconcile unless another worker did within the last `lock_s` seconds."""
    # Looked up on the module when called: tests stand in for the service's reconcile there.
    done = run_once_per_interval("reconcile-lock", lock_s, lambda: reconcile_service.reconcile(), "reconciler")
    count_requeues(done)
    return done


def count_requeues(done: list[dict]) -> None:
    """Each reconciler entry names what it put back (variant, fix_request, export) and why."""
    for d in done or []:
        kind = next((k for k in ("variant", "fix_request", "export") if k in d), "other")
        REQUEUES.labels(kind, reason_label(str(d.get("reason", "")))).inc()


def run_until_stopped(make_worker: Callable[[], StopAware], stop: StopSignals, *, burst: bool,
                      with_scheduler: bool) -> None:
    """Work until asked to stop, starting a new worker after each Redis loss."""
    app = get_app()
    while not stop.asked:
        with app.app_context():
            worker = make_worker()
        worker.stop_signals = stop  # a stop before RQ's handlers are in: its first maintenance step ends it
        try:
            worker.work(burst=burst, with_scheduler=with_scheduler)
        except StopRequested:
            pass  # RQ's handler fired before its loop's own `except StopRequested` was entered
        except RedisConnectionError:
            log.warning("lost Redis while stopping", exc_info=True)
        if burst or stop.asked or worker._stop_requested:
            return
        stop.install()  # RQ's handlers belong to the worker that just quit
        # RQ quits when Redis goes away under it (a restart). The database still says what is
        # pending and the reconcilers re-enqueue it, so wait for Redis and work on.
        log.warning("worker quit without being asked to (Redis restarted?); starting again when Redis answers")
        _wait_for_redis(app, stop)


def _wait_for_redis(app, stop: StopSignals) -> None:
    """Return once Redis answers or a stop is asked for."""
    with app.app_context():
        while not stop.asked:
            try:
                redis_conn().ping()
                return
            except RedisConnectionError:
                time.sleep(1.0)


def start_process(description: str, default_queue: str, argv: list[str] | None):
    """What every worker entry point does first: arguments, stop signals (before anything slow),
    logging, and the app the jobs run in. Returns (args, stop, app)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("queues", nargs="*", default=[default_queue])
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    args = parser.parse_args(argv)
    stop = StopSignals().install()
    app = create_app()
    configure_logging(app.config["LOG_FORMAT"])
    set_app(app)
    port = metrics_port()  # its sample directory was prepared before the app was imported (jobs/__init__.py)
    if port:
        start_http_server(port, addr=os.environ.get("MARQUEE_METRICS_ADDR", "0.0.0.0"), registry=registry())
        log.info("metrics on :%d/metrics (samples in %s)", port, os.environ["PROMETHEUS_MULTIPROC_DIR"])
    return args, stop, app


def worker_factory(worker_class: type, queue_names: list[str], app) -> Callable[[], StopAware]:
    """A new worker of `worker_class` on the prefixed queues, with the configured timings."""
    return lambda: worker_class([get_queue(q) for q in queue_names], connection=redis_conn(),
                                **worker_settings(app.config))


def main(argv: list[str] | None = None) -> None:
    args, stop, app = start_process("Marquee RQ worker", "render", argv)
    if "render" in args.queues:  # before forking: every work horse inherits it
        log.info("render warm-up took %.2f s", render_jobs.warm_up())
    run_until_stopped(worker_factory(ReconcilingWorker, args.queues, app), stop, burst=args.burst,
                      # export retries are scheduled (backoff), so export workers run RQ's scheduler
                      with_scheduler="export" in args.queues)


if __name__ == "__main__":
    main()
