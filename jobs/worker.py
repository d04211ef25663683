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
import signal
import time
from typing import Callable

from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Worker
from rq.exceptions import StopRequested
from rq.utils import now

from .context import get_app, set_app

log = logging.getLogger("marquee.worker")


class StopAware:
    """Mixin for RQ workers: a stop is remembered (`asked_to_stop`) and never lost in maintenance.

    RQ answers SIGTERM on an idle worker by raising StopRequested wherever the main loop happens
    to be. Inside a maintenance step that is the reconciler, whose guard (maintenance must never
    kill the worker) would swallow it, and the worker would idle on. So a signal that arrives
    during maintenance only sets the flag; the step finishes its transaction and the stop
    happens right after it.
    """

    asked_to_stop = False
    _in_maintenance = False

    def request_stop(self, signum, frame) -> None:
        self.asked_to_stop = True
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


class ReconcilingWorker(StopAware, Worker):
    def reconcile(self) -> None:
        super().reconcile()
        from jobs.export import reconcile_exports_once

        reconcile_exports_once(get_app().config["RECONCILE_INTERVAL_S"])


def worker_settings(cfg) -> dict:
    """RQ worker timings from config, the same for render, export and GPU workers: maintenance
    (the reconcilers) every RECONCILE_INTERVAL_S, job heartbeats, and the worker's own TTL."""
    return {"maintenance_interval": cfg["RECONCILE_INTERVAL_S"],
            "job_monitoring_interval": cfg["JOB_MONITORING_INTERVAL_S"], "worker_ttl": cfg["WORKER_TTL_S"]}


def run_reconciler_once(lock_s: int) -> list[dict]:
    """Reconcile unless another worker did within the last `lock_s` seconds."""
    from app.services.reconcile import reconcile
    from jobs.queues import queue_name, redis_conn

    if not redis_conn().set(queue_name("reconcile-lock"), "1", nx=True, ex=max(1, lock_s - 1)):
        return []
    try:
        done = reconcile()
    except Exception:  # maintenance must never kill the worker
        log.exception("reconciler failed")
        return []
    if done:
        log.warning("reconciler re-enqueued %d variant(s): %s", len(done), done)
    return done


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


def run_until_stopped(make_worker: Callable[[], StopAware], stop: StopSignals, *, burst: bool,
                      with_scheduler: bool) -> None:
    """Work until asked to stop, starting a new worker after each Redis loss."""
    app = get_app()
    while not stop.asked:
        with app.app_context():
            worker = make_worker()
        worker.asked_to_stop = stop.asked  # a stop while it was built: its first maintenance step ends it
        try:
            worker.work(burst=burst, with_scheduler=with_scheduler)
        except RedisConnectionError:
            log.warning("lost Redis while stopping", exc_info=True)
        if burst or worker.asked_to_stop or worker._stop_requested:
            return
        stop.install()  # RQ's handlers belong to the worker that just quit
        # RQ quits when Redis goes away under it (a restart). The database still says what is
        # pending and the reconcilers re-enqueue it, so wait for Redis and work on.
        log.warning("worker quit without being asked to (Redis restarted?); starting again when Redis answers")
        _wait_for_redis(app, stop)


def _wait_for_redis(app, stop: StopSignals) -> None:
    """Return once Redis answers or a stop is asked for."""
    from jobs.queues import redis_conn

    with app.app_context():
        while not stop.asked:
            try:
                redis_conn().ping()
                return
            except RedisConnectionError:
                time.sleep(1.0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Marquee RQ worker")
    parser.add_argument("queues", nargs="*", default=["render"])
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    args = parser.parse_args(argv)
    stop = StopSignals().install()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from app import create_app
    from jobs.queues import get_queue, redis_conn

    app = create_app()
    set_app(app)
    run_until_stopped(lambda: ReconcilingWorker([get_queue(q) for q in args.queues], connection=redis_conn(),
                                                **worker_settings(app.config)), stop,
                      # export retries are scheduled (backoff), so export workers run RQ's scheduler
                      burst=args.burst, with_scheduler="export" in args.queues)


if __name__ == "__main__":
    main()
