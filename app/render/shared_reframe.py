"""One crop canvas per (key art, format) shared by every locale rendered in this process.

A crop reframe's pixels depend only on the source, the crop window and the output size, never on
the locale: the plan (from the analysis, the format's aspect, the kit's reframe settings and a
reviewer's crop override) fixes the window, so the key is (key-art content key, mode, window,
size). Each render gets its own copy, because plates, text and logo are drawn into the canvas.
Expand reframes are not shared: their new area comes from a per-variant expander (a GPU job's
canvas, with its own provenance record).
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from threading import Lock
from typing import Callable

from PIL import Image

from .geometry import Box
from .reframe import Expander, Framed, Reframe, reframe_canvas


class SharedReframes:
    """An LRU of crop canvases; `maxsize` bounds memory (a 2000x3000 canvas is 18 MB)."""

    def __init__(self, maxsize: int = 8) -> None:
        self.maxsize = maxsize
        self.hits = self.misses = 0
        self._items: OrderedDict[tuple, Framed] = OrderedDict()
        self._lock = Lock()

    def reframer(self, art_key: str) -> Callable[..., Framed]:
        """A drop-in for reframe_canvas (render_variant's `reframer`) for the key art `art_key`."""
        def reframe(source: Image.Image, plan: Reframe, size: tuple[int, int], expander: Expander | None = None,
                    extension: str = "blur_backdrop", placement: Box | None = None) -> Framed:
            if plan.mode != "crop" or placement is not None:
                return reframe_canvas(source, plan, size, expander, extension, placement)
            key = (art_key, source.size, plan.mode, tuple(plan.crop.as_list()), tuple(size))
            with self._lock:
                hit = self._items.get(key)
                if hit is not None:
                    self._items.move_to_end(key)
                    self.hits += 1
            if hit is None:
                hit = reframe_canvas(source, plan, size, expander, extension)
                with self._lock:
                    self.misses += 1
                    self._items[key] = hit
                    while len(self._items) > self.maxsize:
                        self._items.popitem(last=False)
            return replace(hit, canvas=hit.canvas.copy(), provenance=dict(hit.provenance))
        return reframe
