"""GPU worker entry point: `python -m jobs.gpu_worker [queue ...]` (default queue: gpu).

RQ's non-forking SimpleWorker: jobs run inside this process, so the diffusers pipeline
loaded at start-up (warm) stays resident on the device across jobs; a forking worker would
reload the weights in every work horse. Its maintenance step also runs the reconciler, like
the render workers do, and the same loop: a Redis restart starts it again, a SIGTERM ends it.
"""
from __future__ import annotations

import logging

from rq import SimpleWorker

from app.logging_setup import adopt_library_loggers
from app.services.generation import generator

from .worker import StopAware, run_until_stopped, start_process, worker_factory

log = logging.getLogger("marquee.gpu_worker")


class ResidentModelWorker(StopAware, SimpleWorker):
    """Runs jobs in-process (the model stays loaded); maintenance runs the render reconciler."""


def main(argv: list[str] | None = None) -> None:
    args, stop, app = start_process("Marquee GPU worker (model kept resident)", "gpu", argv)
    if app.config["MODEL_DIR"]:  # before the model loads: its libraries log through our handler too
        import diffusers  # noqa: F401 - heavy optional dependency: kept out of start-up
        import transformers  # noqa: F401 - heavy optional dependency: kept out of start-up

        adopt_library_loggers()
    with app.app_context():
        gen = generator()  # load the weights once, before the first job
        log.info("generator resident: %s", gen.describe())
    run_until_stopped(worker_factory(ResidentModelWorker, args.queues, app), stop, burst=args.burst,
                      with_scheduler=False)


if __name__ == "__main__":
    main()
