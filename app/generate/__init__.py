"""Generator backends behind one protocol: diffusers (GPU or CPU) and classical (OpenCV).

`get_generator(model_dir)` returns the resident backend for a process: the diffusers
backend when a model directory is configured, else the classical one. Pure code: no Flask,
SQLAlchemy or RQ, so jobs, the CLI and the benchmark share it.
"""
from __future__ import annotations

from .protocol import ExpandRequest, Generated, Generator, GeneratorError, RemoveRequest

__all__ = ["ExpandRequest", "Generated", "Generator", "GeneratorError", "RemoveRequest", "get_generator"]

_RESIDENT: dict[str, Generator] = {}


def get_generator(model_dir: str | None = None, device: str | None = None, *, steps: int = 30,
                  max_batch: int = 4, compile: bool | None = None) -> Generator:
    """One backend per (model dir, device, steps, batch, compile) per process, loaded on first
    use and kept. `compile` None: torch.compile the UNet on CUDA only."""
    key = f"{model_dir or ''}|{device or ''}|{steps}|{max_batch}|{compile}" if model_dir else "classical"
    if key not in _RESIDENT:
        if model_dir:
            from .diffusers_backend import DiffusersGenerator

            _RESIDENT[key] = DiffusersGenerator(model_dir, device=device, steps=steps, max_batch=max_batch,
                                                 compile=compile)
        else:
            from .classical import ClassicalGenerator

            _RESIDENT[key] = ClassicalGenerator()
    return _RESIDENT[key]
