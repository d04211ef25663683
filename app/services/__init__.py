"""Orchestration shared by the API, the CLI and the jobs: one place for each use case."""
from __future__ import annotations

import os

from flask import current_app

from ..storage import BlobStore, open_store


class ServiceError(Exception):
    """A request the service refuses; `status` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: str, status: int | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.details = details


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


def blob_store() -> BlobStore:
    """The configured blob store (local directory or S3), one per app and process: a forked work
    horse builds its own, never sharing its parent's S3 connection pool."""
    ext = current_app.extensions
    held = ext.get("marquee_blobs")
    if held is None or held[0] != os.getpid():
        held = ext["marquee_blobs"] = (os.getpid(), open_store(current_app.config))
    return held[1]
