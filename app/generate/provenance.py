"""Provenance: what made a generated area, and a fingerprint of the weights that did.

The fingerprint is a sha256 over the relative path, size and content hash of every weight
and config file in the model directory, so two directories with the same files agree and
any change to a weight file changes it. It is computed once per process and directory.
"""
from __future__ import annotations

import hashlib
import time
from functools import lru_cache
from pathlib import Path

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


def record(backend: str, op: str, *, seed: int, prompt: str = "", strength: float | None = None,
           steps: int | None = None, model_dir: str | None = None, fingerprint: str | None = None,
           device: str | None = None, dtype: str | None = None, started: float, **extra) -> dict:
    """One provenance dict; `started` is a time.perf_counter() value taken before the work."""
    rec = {"backend": backend, "op": op, "seed": int(seed), "prompt": prompt, "strength": strength,
           "steps": steps, "model_dir": model_dir, "weights_sha256": fingerprint, "device": device,
           "dtype": dtype, "ms": round((time.perf_counter() - started) * 1000, 1),
           "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    rec.update(extra)
    return rec
