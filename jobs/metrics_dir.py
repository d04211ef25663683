"""The Prometheus sample directory of a worker process and its work horses.

prometheus_client chooses single- or multi-process mode once, when it is first imported, by
reading PROMETHEUS_MULTIPROC_DIR. A worker started with MARQUEE_METRICS_PORT and no directory of
its own therefore gets a fresh one here, before any module that imports prometheus_client (every
app module that records metrics) is loaded: jobs/__init__.py calls this first.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile


def metrics_port() -> int:
    """The port a worker serves its metrics on; 0 = off."""
    return int(os.environ.get("MARQUEE_METRICS_PORT") or 0)


def prepare_metrics_dir() -> None:
    """Give this process (and its forked horses) a temporary sample directory when metrics are on
    and none was configured; it is removed when the process exits."""
    if metrics_port() and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="marquee-metrics-")
        atexit.register(shutil.rmtree, os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
