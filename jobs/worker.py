"""Worker entry point: `python -m jobs.worker [queue ...]`.

A forking RQ worker (one work horse per job) whose maintenance step, every
RECONCILE_INTERVAL_S seconds, also runs the reconciler under a Redis lock, so lost work is
re-enqueued within a minute rather than at RQ's ten-minute maintenance pass.
"""
from __future__ import annotations

import argparse
import logging

from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Worker

from .context import get_app, set_app

log = logging.getLogger("marquee.worker")


class ReconcilingWorker(Worker):
    #: Set by SIGTERM/SIGINT. RQ leaves `_stop_requested` False when the signal finds the worker
    #: idle (it raises StopRequested instead), so a stop must be told from a Redis loss here.
    asked_to_stop = False

    def request_stop(self, signum, frame) -> None:
        self.asked_to_stop = True
        super().request_stop(signum, frame)

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        app = get_app()
        with app.app_context():
            run_reconciler_once(app.config["RECONCILE_INTERVAL_S"])
            from jobs.export import reconcile_exports_once

            reconcile_exports_once(app.config["RECONCILE_INTERVAL_S"])


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Marquee RQ worker")
    parser.add_argument("queues", nargs="*", default=["render"])
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from app import create_app
    from jobs.queues import get_queue, redis_conn

    app = create_app()
    set_app(app)
    while True:
        with app.app_context():
            queues = [get_queue(q) for q in args.queues]
            worker = ReconcilingWorker(queues, connection=redis_conn(), **worker_settings(app.config))
        try:
            # export retries are scheduled (backoff), so export workers run RQ's scheduler
            worker.work(burst=args.burst, with_scheduler="export" in args.queues)
        except RedisConnectionError:
            log.warning("lost Redis while stopping", exc_info=True)
        if args.burst or worker.asked_to_stop or worker._stop_requested:
            return
        # RQ quits when Redis goes away under it (a restart). The database still says what is
        # pending and the reconcilers re-enqueue it, so wait for Redis and work on.
        log.warning("worker quit without being asked to (Redis restarted?); starting again when Redis answers")
        _wait_for_redis(app, worker)


def _wait_for_redis(app, worker: Worker) -> None:
    import time

    from jobs.queues import redis_conn

    with app.app_context():
        while not (worker.asked_to_stop or worker._stop_requested):
            try:
                redis_conn().ping()
                return
            except RedisConnectionError:
                time.sleep(1.0)


if __name__ == "__main__":
    main()
