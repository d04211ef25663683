"""The embedded sample campaign: a title in 19 locales and key art from a real photograph."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import yaml
from PIL import Image

HERE = Path(__file__).resolve().parent


def sample_title() -> dict[str, Any]:
    return yaml.safe_load((HERE / "title.yaml").read_text(encoding="utf-8"))


def astronaut() -> Image.Image:
    """scikit-image's astronaut photograph (Eileen Collins, public domain), shipped in the wheel."""
    from skimage import data

    return Image.fromarray(data.astronaut())


def sample_key_art_jpeg(width: int = 1024, height: int = 1536) -> bytes:
    """A 2:3 key art built from the photograph: scaled to the width, extended above and below."""
    from app.render.reframe import expand_classical

    photo = astronaut().resize((width, width), Image.Resampling.LANCZOS)
    canvas, _ = expand_classical(photo, (width, height))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=92)
    return buf.getvalue()
