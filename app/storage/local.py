"""Blobs in a local directory: the embedded default for one machine.

Writes go to a temporary file and are renamed into place, so a reader never sees half a blob.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator

from .base import BlobStore, HEX, key_for, shard


class LocalBlobStore(BlobStore):
    backend = "local"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    @property
    def location(self) -> str:
        return str(self.root)

    def path(self, key: str) -> Path:
        """The file of a blob. Local backend only: code that must also run against S3 uses get/open."""
        return self.root / shard(key)

    def put(self, data: bytes) -> str:
        key = key_for(data)
        target = self.path(key)
        if target.exists():
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for p in sorted(self.root.glob("??/??/*")):
            if p.is_file() and len(p.name) == 64 and HEX.issuperset(p.name):
                yield p.name

    def ping(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise PermissionError(f"blob directory {self.root} is not writable")
