"""Decoded key-art pixels, and reframed canvases, shared by the processes of one machine, by content key.

Every render job runs in a fresh work horse, which would read the working copy from the blob
store (a network round trip with S3) and decode its PNG again: 0.3 s for a 2400x3600 copy, for
each of a request's twenty-odd jobs. The first horse writes the decoded pixels as a raw RGB file
named by the blob's content key; the others map that file read-only (one copy in the page
cache, whatever the number of horses). A cache only: outside the app's var directory, bounded
(oldest files go first), rebuilt when missing, and never a reason for a render to fail.
"""
from __future__ import annotations

import hashlib
import json
import logging
import mmap
import os
import tempfile
from pathlib import Path

from PIL import Image

log = logging.getLogger(__name__)

ROOT = Path(tempfile.gettempdir()) / f"marquee-pixels-{os.getuid()}"
#: What the cache may hold on this machine: a dozen of the largest working copies (48 MiB each).
KEEP_BYTES = 512 * 1024 * 1024


def _path(namespace: str, key: str, size: tuple[int, int], suffix: str = "rgb") -> Path:
    """Per blob store (its location): two stores may hold different bytes under one key only in
    tests that delete blobs, and those must not find them here."""
    space = hashlib.sha256(namespace.encode()).hexdigest()[:12]
    return ROOT / space / f"{key}.{size[0]}x{size[1]}.{suffix}"


def load(namespace: str, key: str, size: tuple[int, int]) -> Image.Image | None:
    """The cached RGB pixels, or None. Pillow holds RGB as 4 bytes a pixel, so this is one copy
    out of the mapped file (26 MB in 20 ms), not a decode."""
    path = _path(namespace, key, size)
    try:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            if len(mapped) != size[0] * size[1] * 3:
                return None
            image = Image.frombytes("RGB", size, mapped)
        os.utime(path)  # recently used: evicted last
    except (OSError, ValueError):  # missing (the usual case first time), empty or unreadable
        return None
    return image


def save(namespace: str, key: str, image: Image.Image) -> None:
    """Write the pixels for the next process (atomically), then keep the cache within KEEP_BYTES."""
    path = _path(namespace, key, image.size)
    try:
        _write_atomic(path, (image if image.mode == "RGB" else image.convert("RGB")).tobytes())  # convert() of RGB copies
        _evict()
    except OSError:
        log.warning("could not cache decoded pixels of %s", key, exc_info=True)


def _write_atomic(path: Path, data: bytes) -> None:
    """Written under a temporary name, then renamed: a reader sees the whole file or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _evict() -> None:
    files = sorted((p.stat().st_mtime, p.stat().st_size, p) for p in ROOT.glob("*/*.rgb"))
    total = sum(size for _, size, _ in files)
    for _, size, p in files:
        if total <= KEEP_BYTES:
            break
        p.unlink(missing_ok=True)
        p.with_suffix(".json").unlink(missing_ok=True)
        total -= size


def load_framed(namespace: str, key: str, size: tuple[int, int]) -> tuple[Image.Image, dict] | None:
    """A reframed canvas saved by save_framed, with what describes it; None when either is missing."""
    try:
        meta = json.loads(_path(namespace, key, size, "json").read_text())
    except (OSError, ValueError):
        return None
    image = load(namespace, key, size)
    return None if image is None else (image, meta)


def save_framed(namespace: str, key: str, image: Image.Image, meta: dict) -> None:
    """The canvas's pixels, then (the sign that they are all there) its description, both atomically."""
    save(namespace, key, image)
    try:
        _write_atomic(_path(namespace, key, image.size, "json"), json.dumps(meta).encode())
    except OSError:
        log.warning("could not cache the description of canvas %s", key, exc_info=True)
