"""The provenance record: what made a generated area (backend, model, seed, prompt, time).

Every variant report carries one for its generated canvas, whether the render's in-process
classical extension or an app.generate backend made it, so all of them build it here.
"""
from __future__ import annotations

import time


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
