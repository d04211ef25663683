"""Structured logs: one JSON object per line, with the request id and the RQ job id in every line.

The ids come from context, not from each call site: a filter reads the Flask request (its id is
taken from X-Request-ID or generated, and echoed in the response) and RQ's current job. The same
setup serves the web process (gunicorn.conf.py points its loggers here) and the workers.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request
from rq import get_current_job

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
#: Set by the worker around each job (jobs/worker.py), in the worker and its forked horse alike.
JOB_ID: ContextVar[str | None] = ContextVar("marquee_job_id", default=None)
_STD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id", "job_id"}


def current_request_id() -> str | None:
    try:
        return g.get("request_id") if has_request_context() else None
    except Exception:  # noqa: BLE001 - logging must never raise
        return None


def current_job_id() -> str | None:
    if (jid := JOB_ID.get()) is not None:
        return jid
    try:
        job = get_current_job()
        return job.id if job is not None else None
    except Exception:  # noqa: BLE001
        return None


class ContextFilter(logging.Filter):
    """Puts request_id and job_id on every record (None when there is none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        if getattr(record, "job_id", None) is None:
            record.job_id = current_job_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
               "level": record.levelname, "logger": record.name, "msg": record.getMessage(),
               "request_id": getattr(record, "request_id", None), "job_id": getattr(record, "job_id", None),
               "pid": record.process}
        for key, value in vars(record).items():  # extra={...} fields
            if key not in _STD and not key.startswith("_"):
                out[key] = value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [req=%(request_id)s job=%(job_id)s] %(message)s")


def make_handler(fmt: str = "json", stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    return handler


def configure_logging(fmt: str = "json", level: int = logging.INFO) -> None:
    """Replace the root handlers with one structured handler (idempotent)."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_marquee", False):
            root.removeHandler(h)
        elif isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler):
            root.removeHandler(h)  # basicConfig's plain handler: ours replaces it
    handler = make_handler(fmt)
    handler._marquee = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)  # warnings.warn() lines become records too
    # RQ installs its own colour handler on the "rq.worker" logger; route it through ours instead.
    for name in ("rq.worker", "rq"):
        lg = logging.getLogger(name)
        for h in list(lg.handlers):
            lg.removeHandler(h)
        lg.propagate = True
    adopt_library_loggers()


def adopt_library_loggers() -> None:
    """transformers and diffusers print through handlers (and progress bars) of their own: once
    they are imported (the GPU worker, before loading the model), send their records through ours."""
    for name in ("transformers", "diffusers"):
        if name not in sys.modules:
            continue
        try:
            lib_logging = __import__(f"{name}.utils.logging", fromlist=["logging"])
            lib_logging.disable_default_handler()
            lib_logging.enable_propagation()
            lib_logging.disable_progress_bar()  # tqdm bars are not log lines
        except Exception:  # noqa: BLE001 - a library without these hooks keeps its own output
            pass


def init_request_ids(app: Flask) -> None:
    """Each request gets an id (the caller's X-Request-ID when it is sane, else a new one),
    available to logs as request_id and echoed in the response header."""
    @app.before_request
    def _request_id() -> None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def _echo(resp):
        rid = g.get("request_id")
        if rid:
            resp.headers[REQUEST_ID_HEADER] = rid
        return resp


class AccessJsonFormatter(logging.Formatter):
    """gunicorn's access lines as JSON: gunicorn hands the request's atoms over as the record's
    args (a dict), so the values are JSON-escaped here rather than pasted into a format string."""

    ATOMS = {"remote": "h", "method": "m", "path": "U", "query": "q", "status": "s", "bytes": "B",
             "ms": "M", "agent": "a", "referer": "f", "request_id": "{x-request-id}o"}

    def format(self, record: logging.LogRecord) -> str:
        atoms = record.args if isinstance(record.args, dict) else {}
        out = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
               "level": record.levelname, "logger": record.name, "pid": record.process}
        for name, atom in self.ATOMS.items():
            value = atoms.get(atom)
            if name in ("status", "ms") and isinstance(value, str) and value.isdigit():
                value = int(value)
            out[name] = None if value in ("-", "", None) else value
        return json.dumps(out, ensure_ascii=False)
