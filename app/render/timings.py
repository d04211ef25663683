"""Milliseconds per pipeline step, collected beside the work instead of mixed into the report."""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator


class Timings:
    """Named durations in ms, in the order first recorded. A step may count towards several
    names: the report's text time includes the layout, and its compose time the text drawing."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}

    @contextmanager
    def step(self, *names: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            elapsed = (time.perf_counter() - t0) * 1000
            for name in names:
                self.ms[name] = self.ms.get(name, 0.0) + elapsed

    def report(self) -> dict[str, float]:
        """The durations rounded to 1/100 ms, as the variant report carries them."""
        return {name: round(ms, 2) for name, ms in self.ms.items()}
