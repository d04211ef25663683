"""SSRF: target and webhook URLs at loopback (when not allowed), link-local/metadata or private ranges are
refused before any connection is made, at the API and again when a job is about to connect."""
from __future__ import annotations

import socket

import pytest

from tests.test_export import add_target, approve_all, exports, render_request, variants  # noqa: F401
from tests.test_export import own_redis, xstack  # noqa: F401  (fixtures)

pytestmark = pytest.mark.service

REFUSED = [
    ("webhook", "http://127.0.0.1:8080/hook"),
    ("webhook", "http://localhost:8080/hook"),
    ("http-put", "http://[::1]:8080/cdn"),
    ("http-put", "http://169.254.169.254/latest/meta-data/"),
    ("webhook", "http://metadata.google.internal/computeMetadata/v1/"),
    ("http-put", "http://10.0.0.8/cdn"),
    ("webhook", "https://192.168.10.20/hook"),
    ("s3", "http://172.20.0.5:9000"),
    ("s3", "http://169.254.169.254"),
]


def _body(kind: str, url: str, n: int) -> dict:
    body = {"name": f"t{n}", "kind": kind, "url": url}
    if kind == "webhook":
        body["secret_refs"] = {"secret": "MARQUEE_TEST_WHSEC"}
    if kind == "s3":
        body["options"] = {"bucket": "b"}
    return body


def test_api_refuses_unsafe_urls_before_connecting(xstack, no_connections):
    from urllib.parse import urlsplit

    redis = urlsplit(xstack.app.config["REDIS_URL"])  # the app's own Redis (bad-token counting) is fine
    no_connections.allowed = {(redis.hostname, redis.port)}
    client = xstack.app.test_client()
    xstack.app.config["EXPORT_ALLOW_PRIVATE"] = False
    for n, (kind, url) in enumerate(REFUSED):
        resp = client.post("/api/v1/export-targets", json=_body(kind, url, n))
        assert resp.status_code == 422, (url, resp.get_data(as_text=True))
        assert "refused" in resp.get_json()["message"], resp.get_json()
    assert client.get("/api/v1/export-targets").get_json() == []
    # Allowing private addresses (as these tests do for their loopback servers) never opens the
    # metadata service or other link-local addresses.
    xstack.app.config["EXPORT_ALLOW_PRIVATE"] = True
    for n, url in enumerate(["http://169.254.169.254/latest/", "http://[fe80::1]/", "http://metadata/"]):
        resp = client.post("/api/v1/export-targets", json=_body("http-put", url, 100 + n))
        assert resp.status_code == 422, resp.get_data(as_text=True)
    assert no_connections == []


def test_jobs_refuse_unsafe_urls_before_connecting(xstack, monkeypatch):
    """Rows that got past the API (config changed since, or written by hand) are refused by the job."""
    stack, client = xstack, xstack.app.test_client()
    add_target(client, name="was-allowed", kind="http-put", url="http://127.0.0.1:9/cdn")
    req = render_request(stack, client, ["en-US"], ["square"])
    with stack.app.app_context():
        from app.extensions import db
        from app.models import ExportTarget

        db.session.add_all([
            ExportTarget(name="metadata", kind="http-put", url="http://169.254.169.254/latest/", options={},
                         secret_refs={}),
            ExportTarget(name="private-s3", kind="s3", url="http://10.1.2.3:9000", options={"bucket": "b"},
                         secret_refs={"access_key_id": "MARQUEE_TEST_S3_KEY",
                                      "secret_access_key": "MARQUEE_TEST_S3_SECRET"})])
        db.session.commit()
    approve_all(stack, req["id"])   # enqueues on the export queue; no export worker runs here
    stack.app.config["EXPORT_ALLOW_PRIVATE"] = False

    attempts: list = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"a connection was attempted: {args}")

    with stack.app.app_context():
        from app.services.exports.running import run_export

        ids = [e.id for e in exports(stack)]
        assert len(ids) == 3
        monkeypatch.setattr(socket, "create_connection", refuse)
        monkeypatch.setattr(socket.socket, "connect", lambda self, addr: refuse(addr))
        results = [run_export(i) for i in ids]
        monkeypatch.undo()
    assert results == ["failed"] * 3 and attempts == []
    errors = {e.target_id: e.error for e in exports(stack)}
    assert all("url refused" in err for err in errors.values()), errors
    assert "loopback or private" in errors[1] and "metadata" in errors[2] and "10.1.2.3" in errors[3]
    assert "testing-secret-value-4242" not in " ".join(errors.values())
