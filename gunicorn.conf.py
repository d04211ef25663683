"""gunicorn settings for the Marquee web process: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be overridden by the environment (MARQUEE_WEB_*), so one file serves a laptop,
a container and a VM. The web process only validates, records and enqueues: renders run in the
workers, so threads (waiting on PostgreSQL, Redis and S3) serve more requests than processes.
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("MARQUEE_WEB_BIND", "127.0.0.1:8000")  # behind a proxy on the same host
workers = int(os.environ.get("MARQUEE_WEB_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
worker_class = "gthread"
threads = int(os.environ.get("MARQUEE_WEB_THREADS", "4"))
# Key-art uploads (up to MARQUEE_MAX_UPLOAD_MB) over slow links need more than the 30 s default.
timeout = int(os.environ.get("MARQUEE_WEB_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("MARQUEE_WEB_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
max_requests = int(os.environ.get("MARQUEE_WEB_MAX_REQUESTS", "2000"))  # recycle slowly leaking workers
max_requests_jitter = 200
# The proxy in front sets X-Forwarded-*; trust it only from these addresses.
forwarded_allow_ips = os.environ.get("MARQUEE_WEB_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("MARQUEE_WEB_ACCESS_LOG", "-")
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms req=%({x-request-id}o)s "%(a)s"'  # text mode
_log_format = os.environ.get("MARQUEE_LOG_FORMAT", "json")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "app": {"()": "app.logging_setup.JsonFormatter"} if _log_format == "json" else
               {"()": "app.logging_setup.TextFormatter"},
        # JSON per access line, with the request id the app echoed in X-Request-ID
        "access": {"()": "app.logging_setup.AccessJsonFormatter"} if _log_format == "json" else
                  {"format": "%(message)s"},
    },
    "filters": {"context": {"()": "app.logging_setup.ContextFilter"}},
    "handlers": {
        "app": {"class": "logging.StreamHandler", "formatter": "app", "filters": ["context"],
                "stream": "ext://sys.stderr"},
        "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
    },
    "root": {"level": os.environ.get("MARQUEE_LOG_LEVEL", "INFO"), "handlers": ["app"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["app"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
    },
}

# Prometheus multiprocess mode: every gunicorn worker writes its samples here and /metrics, in
# whichever worker answers, adds them all up. Emptied at start so old pids' counters do not linger.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="marquee-web-metrics-")


def on_starting(server) -> None:
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, exist_ok=True)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
