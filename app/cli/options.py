"""Small helpers the commands share."""
from __future__ import annotations


def split_list(value: str, universe: tuple[str, ...] | list[str]) -> list[str]:
    """A comma-separated option; "all" means every item of `universe`."""
    return list(universe) if value == "all" else [v.strip() for v in value.split(",") if v.strip()]
