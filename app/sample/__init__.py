"""The embedded sample campaign: a title in 19 locales and key art from a real photograph."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import yaml
from PIL import Image
from skimage import data

from ..render.extension import expand_classical

HERE = Path(__file__).resolve().parent


def sample_title() -> dict[str, Any]:
    return yaml.safe_load((HERE / "title.yaml").read_text(encoding="utf-8"))


def astronaut() -> Image.Image:
    """scikit-image's astronaut photograph (Eileen Collins, public domain), shipped in the wheel."""
    return Image.fromarray(data.astronaut())


def sample_key_art_jpeg(width: int = 1024, height: int | None = None) -> bytes:
    """The demo's key art: the photograph scaled to a square, nothing made up around it.

    (The demo used to extend it to 2:3 with the classical expand, which left a blurred copy of
    the hair above the head in every poster and story. Now only formats wider than the art,
    such as the banner, carry generated pixels, and their reports say how many.) Tests that
    need a portrait-shaped key art pass a height: the photograph is then extended to it."""
    photo = astronaut().resize((width, width), Image.Resampling.LANCZOS)
    if height is not None and height != width:
        photo, _ = expand_classical(photo, (width, height))
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=92)
    return buf.getvalue()
