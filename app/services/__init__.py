"""Orchestration shared by the API, the CLI and the jobs: one place for each use case."""
from __future__ import annotations

from flask import current_app

from ..storage import BlobStore


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
    return BlobStore(current_app.config["STORAGE_DIR"])
