"""Reconcilers run from the workers' maintenance step, at most once per interval across all
workers (a Redis lock), and never allowed to kill the worker that runs them."""
from __future__ import annotations

import logging
from typing import Callable

from app.queueing import queue_name, redis_conn

log = logging.getLogger("marquee.worker")


def run_once_per_interval(lock: str, lock_s: int, reconciler: Callable[[], list[dict]], what: str) -> list[dict]:
    """Run `reconciler` unless another worker ran it within the last `lock_s` seconds (app context
    needed). Any failure, taking the lock included (Redis gone), is logged and returns []."""
    try:
        if not redis_conn().set(queue_name(lock), "1", nx=True, ex=max(1, lock_s - 1)):
            return []
        done = reconciler()
    except Exception:  # maintenance must never kill the worker
        log.exception("%s failed", what)
        return []
    if done:
        log.warning("%s re-enqueued %d item(s): %s", what, len(done), done)
    return done
