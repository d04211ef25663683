"""Provenance: what made a generated area (the record, app.render.provenance), and a
fingerprint of the weights that did.

The fingerprint is a sha256 over the relative path, size and content hash of every weight
and config file in the model directory, so two directories with the same files agree and
any change to a weight file changes it. It is computed once per process and directory.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from ..render.provenance import record

__all__ = ["record", "weights_fingerprint"]

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".ckpt", ".pt", ".json", ".txt", ".model")


@lru_cache(maxsize=8)
def weights_fingerprint(model_dir: str) -> str:
    root = Path(model_dir)
    outer = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in _WEIGHT_SUFFIXES):
        inner = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                inner.update(chunk)
        outer.update(f"{path.relative_to(root).as_posix()}\0{path.stat().st_size}\0{inner.hexdigest()}\n".encode())
    return outer.hexdigest()
