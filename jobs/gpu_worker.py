"""GPU worker entry point: `python -m jobs.gpu_worker [queue ...]` (default queue: gpu).

RQ's non-forking SimpleWorker: jobs run inside this process, so the diffusers pipeline
loaded at start-up (warm) stays resident on the device across jobs; a forking worker would
reload the weights in every work horse. Its maintenance step also runs the reconciler, like
the render workers do, and the same loop: a Redis restart starts it again, a SIGTERM ends it.
"""
from __future__ import annotations

import argparse
import logging

from rq import SimpleWorker

from .context import set_app
from .worker import StopAware, StopSignals, run_until_stopped, worker_settings

log = logging.getLogger("marquee.gpu_worker")


class ResidentModelWorker(StopAware, SimpleWorker):
    """Runs jobs in-process (the model stays loaded); maintenance runs the render reconciler."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Marquee GPU worker (model kept resident)")
    parser.add_argument("queues", nargs="*", default=["gpu"])
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    args = parser.parse_args(argv)
    stop = StopSignals().install()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from app import create_app
    from jobs.queues import get_queue, redis_conn

    app = create_app()
    set_app(app)
    with app.app_context():
        from app.services.generation import generator

        gen = generator()  # load the weights once, before the first job
        log.info("generator resident: %s", gen.describe())
    run_until_stopped(lambda: ResidentModelWorker([get_queue(q) for q in args.queues], connection=redis_conn(),
                                                  **worker_settings(app.config)), stop,
                      burst=args.burst, with_scheduler=False)


if __name__ == "__main__":
    main()
