"""HTTP PUT origin (WebDAV-style) through requests.

Atomicity: with mode "put" we rely on the origin writing a PUT body atomically (nginx's dav
module and Apache mod_dav write to a temporary file and rename it). With mode "move" the body
goes to a hidden temporary name first and a WebDAV MOVE renames it into place, for origins that
expose partial PUTs. Redirects are never followed: a redirect could point past the URL guard.
"""
from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote

import requests

from .protocol import Asset, PutResult, TargetError, http_error
from .pinned import pinned_session
from .urlguard import check_url

MODES = ("put", "move")


@dataclass
class HttpPutTarget:
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    public_base_url: str | None = None
    mode: str = "put"
    allow_private: bool = False
    timeout_s: float = 30.0
    kind: str = "http-put"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        self._session = pinned_session(self.allow_private)  # dials only addresses the guard allows

    def _url(self, key: str) -> str:
        return f"{self.base_url.rstrip('/')}/{quote(key)}"

    def url_for(self, key: str) -> str:
        return f"{self.public_base_url.rstrip('/')}/{quote(key)}" if self.public_base_url else self._url(key)

    def _request(self, method: str, url: str, **kw) -> requests.Response:
        check_url(url, allow_private=self.allow_private)  # before any connection
        headers = {**self.headers, **kw.pop("headers", {})}
        try:
            return self._session.request(method, url, headers=headers, allow_redirects=False,
                                         timeout=(min(10.0, self.timeout_s), self.timeout_s), **kw)
        except requests.RequestException as exc:
            raise TargetError(f"{method} {url}: {type(exc).__name__}", retryable=True) from None

    def _check(self, resp: requests.Response, what: str) -> None:
        if not 200 <= resp.status_code < 300:
            raise http_error(resp.status_code, what, resp.headers.get("Retry-After"), resp.text)

    def put(self, asset: Asset) -> PutResult:
        url = self._url(asset.key)
        head = self._request("HEAD", url)
        if head.status_code == 200 and _has_checksum(head, asset.sha256):
            return PutResult(asset.key, self.url_for(asset.key), sent=False)
        if head.status_code >= 500 or head.status_code == 429:
            self._check(head, f"HEAD {url}")
        headers = {"Content-Type": asset.content_type, "Cache-Control": asset.cache_control,
                   "X-Checksum-Sha256": asset.sha256,
                   "Repr-Digest": f"sha-256=:{base64.b64encode(bytes.fromhex(asset.sha256)).decode()}:"}
        if self.mode == "put":
            self._check(self._request("PUT", url, data=asset.data, headers=headers), f"PUT {url}")
        else:
            self._put_then_move(url, asset, headers)
        return PutResult(asset.key, self.url_for(asset.key), sent=True)

    def _put_then_move(self, url: str, asset: Asset, headers: dict[str, str]) -> None:
        folder, _, name = asset.key.rpartition("/")
        tmp = self._url(f"{folder}/.upload-{uuid.uuid4().hex}-{name}" if folder else f".upload-{uuid.uuid4().hex}-{name}")
        self._check(self._request("PUT", tmp, data=asset.data, headers=headers), f"PUT {tmp}")
        resp = self._request("MOVE", tmp, headers={"Destination": url, "Overwrite": "T"})
        if not 200 <= resp.status_code < 300:
            try:
                self._request("DELETE", tmp)
            except TargetError:
                pass
            self._check(resp, f"MOVE {tmp}")


def _has_checksum(resp: requests.Response, sha256: str) -> bool:
    """The origin proves it holds these bytes by a checksum header or an ETag equal to the sha256."""
    b64 = base64.b64encode(bytes.fromhex(sha256)).decode()
    etag = resp.headers.get("ETag", "").removeprefix("W/").strip('"')
    return (resp.headers.get("X-Checksum-Sha256", "").lower() == sha256 or etag.lower() == sha256
            or f"sha-256=:{b64}:" in resp.headers.get("Repr-Digest", ""))
