"""The Target protocol and the retry policy every target shares.

A target is idempotent by contract: `put` first asks whether an object with the same checksum
is already at the key and, if so, sends nothing (PutResult.sent is False).
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Protocol, runtime_checkable

IMMUTABLE = "public, max-age=31536000, immutable"
MUTABLE = "no-cache"


@dataclass(frozen=True)
class Asset:
    """Bytes to push under a target-relative key, with the headers they must carry."""

    key: str
    data: bytes
    sha256: str
    content_type: str
    cache_control: str = IMMUTABLE


@dataclass(frozen=True)
class PutResult:
    key: str
    url: str
    sent: bool
    attempts: int = 1


class TargetError(Exception):
    """A failed push. `retryable` for network errors, 5xx and 429; `retry_after` in seconds."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


@runtime_checkable
class Target(Protocol):
    kind: str

    def url_for(self, key: str) -> str:
        """Where the object under `key` can be fetched once pushed."""

    def put(self, asset: Asset) -> PutResult:
        """Push unless an object with the same sha256 is already there. One try; raises TargetError."""


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter, honouring Retry-After (capped at max_delay)."""

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed try number `attempt` (1-based)."""
        backoff = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        wait = self.rng.uniform(backoff / 2, backoff)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_delay))
        return wait

    def after_failure(self, failures: int, exc: TargetError) -> float | None:
        """Seconds to wait before the next try after `failures` failed tries in a row (the last
        one `exc`), or None when there is no next try: not retryable, or the tries are used up."""
        if not exc.retryable or failures >= self.attempts:
            return None
        return self.delay(failures, exc.retry_after)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def http_error(status: int, what: str, retry_after: str | None = None, body: str = "") -> TargetError:
    """5xx and 429 are worth another try; other 4xx are our mistake or the target's policy."""
    retryable = status >= 500 or status in (408, 429)
    detail = f": {body[:200]}" if body else ""
    return TargetError(f"{what} answered HTTP {status}{detail}", retryable=retryable,
                       retry_after=parse_retry_after(retry_after), status=status)
