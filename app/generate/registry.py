"""Generator backends by name: a small registry of factories, chosen by configuration.

"classical" (the render's model-free extension and OpenCV inpainting) and "diffusers" (an
inpainting model from a local directory) are registered here; another backend registers a
factory under its own name. Without an explicit name the backend follows the model directory:
diffusers when one is configured, classical otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .classical import ClassicalGenerator
from .diffusers_backend import DiffusersGenerator
from .protocol import Generator, GeneratorError


@dataclass(frozen=True)
class BackendSettings:
    """What a factory may read: the model directory, device, denoising steps, batch size, compile."""
    model_dir: str | None = None
    device: str | None = None
    steps: int = 30
    max_batch: int = 4
    compile: bool | None = None   # torch.compile the UNet; None = on CUDA only


Factory = Callable[[BackendSettings], Generator]


def _classical(settings: BackendSettings) -> Generator:
    return ClassicalGenerator()


def _diffusers(settings: BackendSettings) -> Generator:
    if not settings.model_dir:
        raise GeneratorError("the diffusers backend needs a model directory (MARQUEE_MODEL_DIR)")
    return DiffusersGenerator(settings.model_dir, device=settings.device, steps=settings.steps,
                              max_batch=settings.max_batch, compile=settings.compile)


_FACTORIES: dict[str, Factory] = {"classical": _classical, "diffusers": _diffusers}


def register_backend(name: str, factory: Factory) -> None:
    """Make `name` selectable (replacing a factory already registered under it)."""
    _FACTORIES[name] = factory


def backend_names() -> tuple[str, ...]:
    return tuple(_FACTORIES)


def default_backend(model_dir: str | None) -> str:
    """The backend a configuration without an explicit choice gets."""
    return "diffusers" if model_dir else "classical"


def create_backend(name: str, settings: BackendSettings) -> Generator:
    """A new instance of the named backend (GeneratorError for a name nobody registered)."""
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise GeneratorError(f"generator backend {name!r} is not one of {', '.join(_FACTORIES)}") from None
    return factory(settings)
