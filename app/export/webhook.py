"""Signed webhooks as the Standard Webhooks spec says.

Headers webhook-id (stable per event: receivers dedupe on it), webhook-timestamp (seconds) and
webhook-signature "v1,<base64 HMAC-SHA256 over id.timestamp.body>" with the key being the
base64 part of a "whsec_..." secret. Every retry of one event sends the same id and body.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import requests

from .protocol import TargetError, http_error
from .pinned import pinned_session
from .urlguard import check_url

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key inside a whsec_ secret; ValueError if it is not one."""
    if not secret.startswith(PREFIX):
        raise ValueError("a webhook secret starts with 'whsec_' followed by base64")
    try:
        key = base64.b64decode(secret[len(PREFIX):], validate=True)
    except ValueError:
        raise ValueError("the part after 'whsec_' is not valid base64") from None
    if len(key) < 16:
        raise ValueError("a webhook secret needs at least 16 bytes of key")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret_key(secret), signed, hashlib.sha256).digest()).decode()


@dataclass
class WebhookTarget:
    url: str
    secret: str
    allow_private: bool = False
    timeout_s: float = 30.0
    kind: str = "webhook"

    def send(self, msg_id: str, body: bytes, now: float | None = None) -> int:
        """POST one signed event; returns the HTTP status. One try; raises TargetError."""
        check_url(self.url, allow_private=self.allow_private)  # before any connection
        ts = int(now if now is not None else time.time())
        headers = {"content-type": "application/json", "webhook-id": msg_id, "webhook-timestamp": str(ts),
                   "webhook-signature": sign(self.secret, msg_id, ts, body)}
        session = pinned_session(self.allow_private)  # dials only addresses the guard allows
        try:
            resp = session.post(self.url, data=body, headers=headers, allow_redirects=False,
                                timeout=(min(10.0, self.timeout_s), self.timeout_s))
        except requests.RequestException as exc:
            raise TargetError(f"POST {self.url}: {type(exc).__name__}", retryable=True) from None
        if not 200 <= resp.status_code < 300:
            raise http_error(resp.status_code, f"webhook {self.url}", resp.headers.get("Retry-After"))
        return resp.status_code
