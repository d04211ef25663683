"""Content-addressed blob storage (the key of a blob is the sha256 of its bytes), with two
backends chosen by config: a local directory (default) and an S3-compatible bucket.

`open_store(config)` builds the configured one; app code gets it through
`app.services.blob_store()` and uses put/get/open/exists/url only.
"""
from __future__ import annotations

from typing import Any, Mapping

from .base import BlobStore, check_key, key_for
from .local import LocalBlobStore
from .s3 import S3BlobStore

BACKENDS = ("local", "s3")


def open_store(config: Mapping[str, Any]) -> BlobStore:
    backend = (config.get("BLOB_BACKEND") or "local").lower()
    if backend == "local":
        return LocalBlobStore(config["STORAGE_DIR"])
    if backend == "s3":
        return S3BlobStore(config.get("S3_BUCKET", ""), config.get("S3_PREFIX", ""),
                           endpoint_url=config.get("S3_ENDPOINT") or None, region=config.get("S3_REGION") or None)
    raise ValueError(f"MARQUEE_BLOB_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")


__all__ = ["BACKENDS", "BlobStore", "LocalBlobStore", "S3BlobStore", "check_key", "key_for", "open_store"]
