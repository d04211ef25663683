"""Generator backends behind one protocol: diffusers (GPU or CPU) and classical (OpenCV).

`get_generator(model_dir)` returns the resident backend for a process, chosen by name from the
registry (registry.py): the diffusers backend when a model directory is configured, else the
classical one, unless a backend is named. Pure code: no Flask, SQLAlchemy or RQ, so jobs, the
CLI and the benchmark share it.
"""
from __future__ import annotations

from .protocol import ExpandRequest, Generated, Generator, GeneratorError, RemoveRequest
from .registry import BackendSettings, backend_names, create_backend, default_backend, register_backend

__all__ = ["ExpandRequest", "Generated", "Generator", "GeneratorError", "RemoveRequest", "backend_names",
           "get_generator", "register_backend"]

_RESIDENT: dict[str, Generator] = {}


def get_generator(model_dir: str | None = None, device: str | None = None, *, steps: int = 30,
                  max_batch: int = 4, backend: str | None = None, compile: bool | None = None) -> Generator:
    """One backend per (name, model dir, device, steps, batch, compile) per process, made on first
    use and kept. `backend` names a registered backend; None follows the model directory.
    `compile` None: torch.compile the UNet on CUDA only."""
    name = backend or default_backend(model_dir)
    settings = BackendSettings(model_dir or None, device, steps, max_batch, compile)
    key = f"{name}|{model_dir or ''}|{device or ''}|{steps}|{max_batch}|{compile}" if model_dir else name
    if key not in _RESIDENT:
        _RESIDENT[key] = create_backend(name, settings)
    return _RESIDENT[key]
