"""DNS rebinding: a host that resolves to a public address when the URL is checked and to
loopback when the connection is made is refused at connect time, for every target kind, and the
loopback server never sees a request. Resolution is faked; no traffic leaves loopback."""
from __future__ import annotations

import hashlib
import socket

import pytest

from app.export.http_put import HttpPutTarget
from app.export.protocol import Asset
from app.export.s3 import S3Target
from app.export.urlguard import UrlRefused
from app.export.webhook import WebhookTarget, new_secret
from tests.export_servers import CountingS3, PutOrigin, WebhookReceiver

HOST = "rebind.example.test"
PUBLIC = "93.184.216.34"


@pytest.fixture
def rebinding_dns(monkeypatch):
    """HOST answers PUBLIC once (to the URL check), then 127.0.0.1 (a TTL-0 rebinding server)."""
    real = socket.getaddrinfo
    answers: list[str] = []

    def fake(host, port, *args, **kwargs):
        if host != HOST:
            return real(host, port, *args, **kwargs)
        addr = PUBLIC if not answers else "127.0.0.1"
        answers.append(addr)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (addr, port or 80))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return answers


@pytest.fixture
def never_public(monkeypatch):
    """Fail loudly if anything tries to dial the public address (it must never be reached)."""
    real_connect = socket.socket.connect

    def connect(self, address):
        assert address[0] in ("127.0.0.1", "::1"), f"a connection to {address} was attempted"
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


def _asset() -> Asset:
    data = b"poster bytes"
    return Asset(key="t/en-US/poster/abc.jpg", data=data, sha256=hashlib.sha256(data).hexdigest(),
                 content_type="image/jpeg")


def test_http_put_refuses_a_rebound_host_at_connect_time(rebinding_dns, never_public):
    origin = PutOrigin().start()
    try:
        port = origin.server.server_port
        target = HttpPutTarget(base_url=f"http://{HOST}:{port}/cdn", allow_private=False)
        with pytest.raises(UrlRefused, match="127.0.0.1.*refused at connect time"):
            target.put(_asset())
        assert rebinding_dns[0] == PUBLIC and rebinding_dns[-1] == "127.0.0.1"  # check: public; dial: loopback
        assert origin.log == []
    finally:
        origin.stop()


def test_webhook_refuses_a_rebound_host_at_connect_time(rebinding_dns, never_public):
    secret = new_secret()
    rx = WebhookReceiver(secret).start()
    try:
        port = rx.server.server_port
        with pytest.raises(UrlRefused, match="refused at connect time"):
            WebhookTarget(url=f"http://{HOST}:{port}/hook", secret=secret).send("msg_1", b"{}")
        assert rx.deliveries == [] and rx.rejected == 0
    finally:
        rx.stop()


def test_s3_refuses_a_rebound_host_at_connect_time(rebinding_dns, never_public):
    s3 = CountingS3().start()
    try:
        port = s3.server.server_port
        target = S3Target(bucket="b", endpoint_url=f"http://{HOST}:{port}", access_key_id="k",
                          secret_access_key="s", allow_private=False)
        with pytest.raises(UrlRefused, match="refused at connect time"):
            target.put(_asset())
        assert s3.requests == []
    finally:
        s3.stop()


def test_pinned_connections_still_work_where_allowed():
    """The same pinned code path carries real traffic to an allowed (here: loopback) origin."""
    origin = PutOrigin().start()
    try:
        target = HttpPutTarget(base_url=f"{origin.url}/cdn", allow_private=True)
        assert target.put(_asset()).sent and not target.put(_asset()).sent
        assert sum(origin.successful_puts().values()) == 1
        client = S3Target(bucket="b", endpoint_url="http://127.0.0.1:9", allow_private=True)._client()
        pools = client._endpoint.http_session._manager.pool_classes_by_scheme
        assert pools["http"].__name__ == "PinnedHTTPPool" and pools["https"].__name__ == "PinnedHTTPSPool"
    finally:
        origin.stop()
