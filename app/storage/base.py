"""The blob store interface: content-addressed bytes, keyed by the sha256 of the bytes.

Every process (web, render workers, GPU workers) reads and writes blobs only through this
interface, never through a filesystem path, so processes on different hosts share one store
(an S3 bucket) with nothing shared on disk.
"""
from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from typing import BinaryIO, Iterator

HEX = frozenset("0123456789abcdef")


def check_key(key: str) -> str:
    """A key is 64 lowercase hex digits; anything else (a path, `..`) is refused before use."""
    if not isinstance(key, str) or len(key) != 64 or not HEX.issuperset(key):
        raise ValueError(f"not a sha256 key: {key!r}")
    return key


def key_for(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def shard(key: str) -> str:
    """ab/cd/abcd...: the same layout on disk and in a bucket, so a migration is a plain copy."""
    check_key(key)
    return f"{key[:2]}/{key[2:4]}/{key}"


class BlobStore(ABC):
    """put/get/exists/url by sha256 key. Missing blobs raise FileNotFoundError on every backend."""

    #: "local" or "s3": the metrics label and what /readyz names.
    backend: str = ""

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the blobs live (a directory or s3://bucket/prefix), for logs and caches."""

    @abstractmethod
    def put(self, data: bytes) -> str:
        """Store the bytes (once: the same bytes twice are one blob) and return their key."""

    @abstractmethod
    def get(self, key: str) -> bytes: ...

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A readable stream of the blob, for downloads that should not hold it all in memory."""

    @abstractmethod
    def size(self, key: str) -> int: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def keys(self) -> Iterator[str]:
        """Every stored key (for migrations and counts)."""

    @abstractmethod
    def ping(self) -> None:
        """Raise when the store cannot be reached (for /readyz)."""

    def url(self, key: str, expires_s: int = 300) -> str | None:
        """A URL a client can fetch the blob from directly, or None: the app streams it."""
        check_key(key)
        return None

    def count(self) -> int:
        return sum(1 for _ in self.keys())

    def iter_chunks(self, key: str, chunk: int = 256 * 1024) -> Iterator[bytes]:
        with self.open(key) as fh:
            while block := fh.read(chunk):
                yield block
