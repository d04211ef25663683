"""Boxes in pixel coordinates, shared by analysis, reframing and layout."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def area(self) -> int:
        return max(self.w, 0) * max(self.h, 0)

    def contains(self, other: "Box") -> bool:
        return (self.x <= other.x and self.y <= other.y
                and self.right >= other.right and self.bottom >= other.bottom)

    def intersection(self, other: "Box") -> int:
        w = min(self.right, other.right) - max(self.x, other.x)
        h = min(self.bottom, other.bottom) - max(self.y, other.y)
        return max(w, 0) * max(h, 0)

    def overlap(self, other: "Box") -> "Box | None":
        """The box both cover; None when they do not overlap."""
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1, y1 = min(self.right, other.right), min(self.bottom, other.bottom)
        return Box(x0, y0, x1 - x0, y1 - y0) if x1 > x0 and y1 > y0 else None

    def distance(self, other: "Box") -> float:
        """The shortest distance between the two boxes, px; 0 when they touch or overlap."""
        dx = max(0, other.x - self.right, self.x - other.right)
        dy = max(0, other.y - self.bottom, self.y - other.bottom)
        return math.sqrt(dx * dx + dy * dy)

    def union(self, other: "Box") -> "Box":
        x, y = min(self.x, other.x), min(self.y, other.y)
        return Box(x, y, max(self.right, other.right) - x, max(self.bottom, other.bottom) - y)

    def grown(self, pad: int, within: "Box") -> "Box":
        """This box with `pad` more on every side, clipped to `within`."""
        x0, y0 = max(within.x, self.x - pad), max(within.y, self.y - pad)
        return Box(x0, y0, min(within.right, self.right + pad) - x0, min(within.bottom, self.bottom + pad) - y0)

    def scaled(self, sx: float, sy: float | None = None) -> "Box":
        sy = sx if sy is None else sy
        return Box(round(self.x * sx), round(self.y * sy), round(self.w * sx), round(self.h * sy))

    def shifted(self, dx: int, dy: int) -> "Box":
        return Box(self.x + dx, self.y + dy, self.w, self.h)

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]

    @classmethod
    def from_list(cls, v: list[int] | tuple[int, int, int, int]) -> "Box":
        return cls(int(v[0]), int(v[1]), int(v[2]), int(v[3]))


def union_of(boxes: "list[Box] | tuple[Box, ...]") -> Box:
    """The smallest box holding every one of `boxes` (at least one)."""
    u = boxes[0]
    for b in boxes[1:]:
        u = u.union(b)
    return u
