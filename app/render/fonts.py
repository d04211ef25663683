"""Find font files by family through fontconfig, cached per process."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import lru_cache

from PIL import ImageFont


class FontNotFound(LookupError):
    pass


@dataclass(frozen=True)
class FontRef:
    path: str
    index: int      # face index inside a .ttc collection (CJK fonts share one file)
    family: str


@lru_cache(maxsize=256)
def font_file(pattern: str) -> FontRef:
    """Resolve a fontconfig pattern ("Noto Sans Arabic:bold") to a file, refusing substitutes."""
    family = pattern.split(":")[0].strip().lower()
    out = subprocess.run(["fc-match", "-f", "%{file}\n%{index}\n%{family}", pattern],
                         capture_output=True, text=True, check=False).stdout.split("\n")
    if len(out) < 3 or not out[0]:
        raise FontNotFound(f"fontconfig found nothing for {pattern!r}")
    families = [f.strip().lower() for f in out[2].split(",")]
    if family not in families:
        raise FontNotFound(f"no font for {pattern!r} (fontconfig offered {out[2]!r}); install it")
    return FontRef(out[0], int(out[1] or 0), pattern.split(":")[0].strip())


def first_available(chain: list[str]) -> FontRef:
    errors = []
    for pattern in chain:
        try:
            return font_file(pattern)
        except FontNotFound as exc:
            errors.append(str(exc))
    raise FontNotFound("; ".join(errors) or "empty font chain")


@lru_cache(maxsize=512)
def load_font(ref: FontRef, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(ref.path, size, index=ref.index, layout_engine=ImageFont.Layout.RAQM)
