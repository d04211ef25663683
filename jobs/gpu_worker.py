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
from app.render.formats import FORMATS
from app.services.generation import generator

from .worker import StopAware, run_until_stopped, start_process, worker_factory

log = logging.getLogger("marquee.gpu_worker")


class ResidentModelWorker(StopAware, SimpleWorker):
    """Runs jobs in-process (the model stays loaded); maintenance runs the render reconciler."""


def warm_up(gen: object, config: dict) -> None:
    """Compile the UNet for the shapes the worker will meet (the warm formats' generation sizes at
    batch 1 and the configured batch) before taking jobs, so no job waits a minute for it."""
    if not getattr(gen, "compiled", False):
        return
    names = [n.strip() for n in config["GENERATE_WARM_FORMATS"].split(",") if n.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise SystemExit(f"MARQUEE_GENERATE_WARM_FORMATS names unknown formats: {', '.join(unknown)}")
    canvases = [(FORMATS[n].width, FORMATS[n].height) for n in names]
    for step in gen.warm_up(canvases, [1, config["GENERATE_BATCH"]]):
        log.info("compiled UNet for generation size %s at batch %s in %.1f s", step["gen_size"], step["batch"],
                 step["s"])


def main(argv: list[str] | None = None) -> None:
    args, stop, app = start_process("Marquee GPU worker (model kept resident)", "gpu", argv)
    if app.config["MODEL_DIR"]:  # before the model loads: its libraries log through our handler too
        import diffusers  # noqa: F401 - heavy optional dependency: kept out of start-up
        import transformers  # noqa: F401 - heavy optional dependency: kept out of start-up

        adopt_library_loggers()
    with app.app_context():
        gen = generator()  # load the weights once, before the first job
        log.info("generator resident: %s", gen.describe())
        warm_up(gen, app.config)
    run_until_stopped(worker_factory(ResidentModelWorker, args.queues, app), stop, burst=args.burst,
                      with_scheduler=False)


if __name__ == "__main__":
    main()
