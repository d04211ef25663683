"""One canvas per (key art, format) shared by every locale rendered in this process, and what is
computed from that canvas alone (its reframe plan, its placement maps) computed once.

A reframe's pixels depend only on the source, the window, the placement and the output size,
never on the locale: the plan (from the analysis, the format's aspect, the kit's reframe settings
and a reviewer's crop override) fixes the window, so the key is (key-art content key, mode,
window, placement, size, extension). Each render gets its own copy of the canvas, because
plates, text and logo are drawn into it. A crop is always shared; an expand only when it is
made here by the classical backend (no `expander`: deterministic, seeded): a caller's expander
(a GPU job's canvas, with its own provenance record) is asked every time. The other render jobs
of the same format (a format's locales are split over several jobs, each in its own process)
find the canvas in a CanvasStore under a content key, instead of making it again.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from threading import Lock
from typing import Callable, Protocol

from PIL import Image

from .analyze import SaliencyMap
from .baked_text import REMOVED_INFO
from .geometry import Box
from .reframe import Expander, Framed, Reframe, plan_placement, plan_reframe, reframe_canvas
from .text.placement import Maps, canvas_maps


@dataclass
class SharedFramed(Framed):
    """A render's copy of a shared canvas; `memo` is one dict for every copy of that canvas."""
    memo: dict = field(default_factory=dict)


class CanvasStore(Protocol):
    """Where reframed canvases outlive the process that made them, by content key (on one
    machine: app.services.pixel_cache), so the other render jobs of a format do not make them again."""

    def load(self, key: str, size: tuple[int, int]) -> tuple[Image.Image, dict] | None: ...

    def save(self, key: str, image: Image.Image, meta: dict) -> None: ...


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """What a stored canvas's pixels also depend on: the code that makes them (a changed extension
    must never be served from a store filled by the previous version). Read when a store is first
    used, not at import."""
    return hashlib.sha256(b"".join((Path(__file__).parent / name).read_bytes()
                                   for name in ("reframe.py", "canvas_placement.py", "extension.py", "extension_fill.py",
                                                "baked_text.py"))).hexdigest()[:16]


class SharedReframes:
    """An LRU of reframed canvases; `maxsize` bounds memory (a 2000x3000 canvas is 18 MB). With a
    `store`, a canvas missing here is looked up there before it is made, and saved there once made."""

    def __init__(self, maxsize: int = 8, store: CanvasStore | None = None) -> None:
        self.maxsize = maxsize
        self.store = store
        self.hits = self.misses = self.stored = 0
        self._items: OrderedDict[tuple, SharedFramed] = OrderedDict()
        self._lock = Lock()

    def _made(self, key: tuple, make: Callable[[], Framed], size: tuple[int, int]) -> SharedFramed:
        """The canvas from the store, else made (and stored)."""
        name = hashlib.sha256(repr((_code_digest(), key)).encode()).hexdigest() if self.store is not None else ""
        got = self.store.load(name, size) if self.store is not None else None
        if got is not None:
            image, meta = got
            self.stored += 1
            placement = Box.from_list(meta["placement"]) if meta["placement"] else None
            return SharedFramed(image, meta["scale"], Box.from_list(meta["offset"]), placement, meta["provenance"])
        made = make()
        if self.store is not None:
            self.store.save(name, made.canvas, {"scale": made.scale, "offset": made.offset.as_list(),
                                                "placement": made.placement.as_list() if made.placement else None,
                                                "provenance": made.provenance})
        return SharedFramed(made.canvas, made.scale, made.offset, made.placement, made.provenance)

    def reframer(self, art_key: str) -> Callable[..., Framed]:
        """A drop-in for reframe_canvas (render_variant's `reframer`) for the key art `art_key`."""
        def reframe(source: Image.Image, plan: Reframe, size: tuple[int, int], expander: Expander | None = None,
                    extension: str = "blur_backdrop", placement: Box | None = None) -> Framed:
            key = _key(art_key, source, plan, tuple(size), expander, extension, placement)
            if key is None:
                return reframe_canvas(source, plan, size, expander, extension, placement)
            with self._lock:
                hit = self._items.get(key)
                if hit is not None:
                    self._items.move_to_end(key)
                    self.hits += 1
            if hit is None:
                hit = self._made(key, lambda: reframe_canvas(source, plan, size, expander, extension, placement),
                                 tuple(size))
                with self._lock:
                    self.misses += 1
                    self._items[key] = hit
                    while len(self._items) > self.maxsize:
                        self._items.popitem(last=False)
            return replace(hit, canvas=hit.canvas.copy(), provenance=dict(hit.provenance))
        return reframe


def _key(art_key: str, source: Image.Image, plan: Reframe, size: tuple[int, int], expander: Expander | None,
         extension: str, placement: Box | None) -> tuple | None:
    """What a reframe's pixels depend on; None when they are not this module's to share."""
    window = tuple(plan.crop.as_list())
    art = art_key, source.info.get(REMOVED_INFO, "")   # the key art, and what was painted out of it
    if plan.mode == "crop" and placement is None:
        return art, source.size, plan.mode, window, size
    if plan.mode == "expand" and expander is None:
        placed = placement or plan_placement(plan, size)
        return art, source.size, plan.mode, window, size, tuple(placed.as_list()), extension
    return None


def canvas_maps_for(framed: Framed, marks: tuple) -> Maps:
    """The canvas's placement maps (busyness, saliency), made once per shared canvas and `marks`
    (whatever was drawn on the copy before: the baked-text plates and their colour)."""
    memo = getattr(framed, "memo", None)
    if memo is None:
        return canvas_maps(framed.canvas)
    key = ("maps", marks)
    if key not in memo:
        memo[key] = canvas_maps(framed.canvas)
    return memo[key]


def drawn_once(framed: Framed, key: tuple, region: Box, draw: Callable[[Image.Image], object]) -> object:
    """`draw(canvas)`, which changes pixels only inside `region`: on a copy of a shared canvas it
    runs once (its result and the region's pixels kept for that canvas), and every later copy
    gets the region pasted. Lettering left to the variants (not painted out of the key art) is
    painted out or plated once per format, not once per locale."""
    memo = getattr(framed, "memo", None)
    if memo is None:
        return draw(framed.canvas)
    k = ("drawn", key)
    if k in memo:
        result, patch = memo[k]
        framed.canvas.paste(patch, (region.x, region.y))
        return result
    result = draw(framed.canvas)
    memo[k] = (result, framed.canvas.crop((region.x, region.y, region.right, region.bottom)))
    return result


def shared_plan(width: int, height: int, faces: tuple[Box, ...] | list[Box], aspect: float,
                saliency: SaliencyMap | None, anchor: str | None, max_generated: float,
                lettering: tuple[Box, ...] | list[Box] = ()) -> Reframe:
    """reframe.plan_reframe, made once per (key art's analysis, format's aspect, overrides): every
    locale of a format asks for the same plan, and each plan scores a saliency map at source size."""
    return _plan(width, height, tuple(faces), aspect, saliency, anchor, max_generated, tuple(lettering))


@lru_cache(maxsize=256)
def _plan(width: int, height: int, faces: tuple[Box, ...], aspect: float, saliency: SaliencyMap | None,
          anchor: str | None, max_generated: float, lettering: tuple[Box, ...]) -> Reframe:
    return plan_reframe(width, height, faces, aspect, saliency, anchor, max_generated, lettering)
