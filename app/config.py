"""One config object, read from the environment, with embedded defaults.

Defaults run everything on one machine: SQLite and assets under var/, Redis on localhost.
PostgreSQL, another Redis or a model directory are switches (environment variables), not code.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _auto_switch(name: str) -> bool | None:
    """An on/off/auto setting: None for auto (the code decides), else True or False."""
    value = _env(name, "auto").lower()
    choices = {"auto": None, "on": True, "1": True, "true": True, "off": False, "0": False, "false": False}
    if value not in choices:
        raise ValueError(f"{name} must be auto, on or off, not {value!r}")
    return choices[value]


def _flag(name: str, default: str = "0") -> bool:
    return _env(name, default).lower() in ("1", "true", "yes")


def _storage(var_dir: Path) -> dict[str, Any]:
    """Where state lives: the database, the local blob directory (or an S3 bucket), brand kits."""
    return {
        "VAR_DIR": str(var_dir),
        "SQLALCHEMY_DATABASE_URI": _env("DATABASE_URL", f"sqlite:///{var_dir / 'marquee.db'}"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "STORAGE_DIR": _env("MARQUEE_STORAGE_DIR", str(var_dir / "assets")),
        "BRAND_KITS_DIR": _env("MARQUEE_BRAND_KITS_DIR", str(PROJECT_ROOT / "brand_kits")),
        # Blob store (app.storage): "local" (STORAGE_DIR) or "s3" (any S3-compatible bucket;
        # credentials as boto3 finds them). PRESIGN: downloads redirect to a presigned URL.
        "BLOB_BACKEND": _env("MARQUEE_BLOB_BACKEND", "local"),
        "S3_ENDPOINT": _env("MARQUEE_S3_ENDPOINT", ""),
        "S3_BUCKET": _env("MARQUEE_S3_BUCKET", ""),
        "S3_PREFIX": _env("MARQUEE_S3_PREFIX", ""),
        "S3_REGION": _env("MARQUEE_S3_REGION", ""),
        "S3_PRESIGN": _flag("MARQUEE_S3_PRESIGN"),
        "S3_PRESIGN_EXPIRES_S": int(_env("MARQUEE_S3_PRESIGN_EXPIRES_S", "300")),
    }


def _queues() -> dict[str, Any]:
    """Redis, the RQ queues, the workers' timings and the reconcilers."""
    return {
        "REDIS_URL": _env("REDIS_URL", "redis://127.0.0.1:6379/0"),
        # Queue names are prefixed so that test runs never meet production work in one Redis.
        "QUEUE_PREFIX": _env("MARQUEE_QUEUE_PREFIX", ""),
        "RENDER_JOB_TIMEOUT": int(_env("MARQUEE_RENDER_JOB_TIMEOUT", "600")),
        # Threads the key-art analysis at upload runs its detectors in (faces, cat faces, text at
        # once: renders wait on it); 1 runs them one after the other.
        "ANALYSIS_THREADS": int(_env("MARQUEE_ANALYSIS_THREADS", "3")),
        # A variant whose job vanished from Redis is re-enqueued after this many seconds.
        "RECONCILE_GRACE_S": int(_env("MARQUEE_RECONCILE_GRACE_S", "5")),
        "RECONCILE_INTERVAL_S": int(_env("MARQUEE_RECONCILE_INTERVAL_S", "15")),
        # A started job whose heartbeat is older than this is taken as lost (worker killed).
        "RECONCILE_STALE_S": int(_env("MARQUEE_RECONCILE_STALE_S", "30")),
        "JOB_MONITORING_INTERVAL_S": int(_env("MARQUEE_JOB_MONITORING_INTERVAL_S", "5")),
        "WORKER_TTL_S": int(_env("MARQUEE_WORKER_TTL_S", "20")),
        # Observability: "json" logs for production, "text" for a terminal; worker metrics HTTP port (0 = off).
        "LOG_FORMAT": _env("MARQUEE_LOG_FORMAT", "text"),
        "METRICS_PORT": int(_env("MARQUEE_METRICS_PORT", "0")),
    }


def _generation() -> dict[str, Any]:
    """Generative work (app.generate): a diffusers inpainting model dir turns the gpu queue on."""
    batch = int(_env("MARQUEE_GENERATE_BATCH", "4"))
    return {
        "MODEL_DIR": _env("MARQUEE_MODEL_DIR", ""),
        "CLIP_DIR": _env("MARQUEE_CLIP_DIR", ""),
        "GENERATE_DEVICE": _env("MARQUEE_GENERATE_DEVICE", ""),  # "" = cuda when present, else cpu
        "GENERATE_STEPS": int(_env("MARQUEE_GENERATE_STEPS", "30")),
        "GENERATE_BATCH": batch,
        # Expands a gpu job may borrow from generate jobs still queued behind it, only to fill its
        # last partial batch (0 = off); the borrowed jobs then skip them. More would delay its renders.
        "GENERATE_BORROW": int(_env("MARQUEE_GENERATE_BORROW", str(max(0, batch - 1)))),
        # torch.compile the UNet: "auto" (on CUDA only), "on", "off". The GPU worker compiles the
        # shapes of GENERATE_WARM_FORMATS at batch 1 and GENERATE_BATCH before its first job.
        "GENERATE_COMPILE": _auto_switch("MARQUEE_GENERATE_COMPILE"),
        # A registered generator backend by name (app/generate/registry.py); "" follows MODEL_DIR.
        "GENERATOR_BACKEND": _env("MARQUEE_GENERATOR_BACKEND", ""),
        "GENERATE_WARM_FORMATS": _env("MARQUEE_GENERATE_WARM_FORMATS", "banner,story,thumbnail"),
        "GENERATE_PROMPT": _env("MARQUEE_GENERATE_PROMPT",
                                "seamless continuation of the scene, same lighting and colours, cinematic, no text"),
        "GENERATE_JOB_TIMEOUT": int(_env("MARQUEE_GENERATE_JOB_TIMEOUT", "1800")),
        "SCREEN_THRESHOLD": float(_env("MARQUEE_SCREEN_THRESHOLD", "0.5")),
    }


def _exports() -> dict[str, Any]:
    """Export targets, their retries, and the undo window that keeps an export from racing an undo."""
    return {
        # Export targets: loopback/private URLs are refused unless allowed (tests, on-premises origins).
        "EXPORT_ALLOW_PRIVATE": _flag("MARQUEE_EXPORT_ALLOW_PRIVATE"),
        "EXPORT_MAX_TRIES": int(_env("MARQUEE_EXPORT_MAX_TRIES", "5")),
        "EXPORT_BACKOFF_S": float(_env("MARQUEE_EXPORT_BACKOFF_S", "1.0")),
        "EXPORT_BACKOFF_MAX_S": float(_env("MARQUEE_EXPORT_BACKOFF_MAX_S", "60")),
        "EXPORT_TIMEOUT_S": float(_env("MARQUEE_EXPORT_TIMEOUT_S", "30")),
        # A running export whose DB heartbeat is older than this is taken as lost and re-enqueued.
        "EXPORT_STALE_S": int(_env("MARQUEE_EXPORT_STALE_S", "180")),
        "EXPORT_JOB_TIMEOUT": int(_env("MARQUEE_EXPORT_JOB_TIMEOUT", "1800")),
        # An approval can be undone for UNDO_WINDOW_S; its exports wait EXPORT_GRACE_S (longer) so
        # an undo never races a CDN push.
        "UNDO_WINDOW_S": float(_env("MARQUEE_UNDO_WINDOW_S", "10")),
        "EXPORT_GRACE_S": float(_env("MARQUEE_EXPORT_GRACE_S", "120")),
    }


def _http() -> dict[str, Any]:
    """The web process: request limits, the OpenAPI document, cookies, HTTPS and rate limits."""
    return {
        "SECRET_KEY": _env("SECRET_KEY", "dev-only-change-me"),
        "MAX_CONTENT_LENGTH": int(_env("MARQUEE_MAX_UPLOAD_MB", "64")) * 1024 * 1024,
        # JSON API bodies (key art multipart has MAX_CONTENT_LENGTH above): app/api/jsonbody.py.
        "MAX_JSON_BYTES": int(_env("MARQUEE_MAX_JSON_KB", "1024")) * 1024,
        "API_TITLE": "Marquee",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        # Served over HTTPS (directly or behind a TLS proxy): Secure cookies, HSTS, http -> https.
        "HTTPS": _flag("MARQUEE_HTTPS"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0 = none):
        # the client address for rate limits and https detection come from them.
        "TRUSTED_PROXIES": int(_env("MARQUEE_TRUSTED_PROXIES", "0")),
    }


def _rate_limits() -> dict[str, Any]:
    """Login and bad-token throttling (Flask-Limiter, in the app's Redis)."""
    return {
        # "memory://" only for a Redis-less setup.
        "RATELIMIT_STORAGE_URI": _env("MARQUEE_RATELIMIT_STORAGE_URI", _env("REDIS_URL", "redis://127.0.0.1:6379/0")),
        "RATELIMIT_STRATEGY": "moving-window",
        # Redis down: let logins through unthrottled (logged) rather than answer 500.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_LIMIT_ACCOUNT": _env("MARQUEE_LOGIN_LIMIT_ACCOUNT", "10/minute"),
        "LOGIN_LIMIT_ADDRESS": _env("MARQUEE_LOGIN_LIMIT_ADDRESS", "30/minute"),
        # Failed bearer-token attempts per address (valid tokens are never counted).
        "TOKEN_FAILURE_LIMIT": _env("MARQUEE_TOKEN_FAILURE_LIMIT", "30/minute"),
    }


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every setting, from the environment with its default, then `overrides` (tests)."""
    var_dir = Path(_env("MARQUEE_VAR_DIR", str(PROJECT_ROOT / "var")))
    cfg: dict[str, Any] = {**_storage(var_dir), **_queues(), **_generation(), **_exports(), **_http(),
                           **_rate_limits()}
    if overrides:
        cfg.update(overrides)
    return cfg
