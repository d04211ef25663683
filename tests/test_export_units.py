"""Export targets without the app: signatures, retry policy, SSRF guard, targets against loopback servers."""
from __future__ import annotations

import hashlib

import pytest

from app.export.http_put import HttpPutTarget
from app.export.protocol import IMMUTABLE, Asset, RetryPolicy, TargetError, parse_retry_after
from app.export.s3 import S3Target
from app.export.urlguard import UrlRefused, check_url
from app.export.webhook import WebhookTarget, new_secret, sign
from tests.export_servers import PutOrigin, WebhookReceiver

REFUSED = ["http://127.0.0.1:9/x", "http://localhost:9/", "http://[::1]:9/", "http://169.254.169.254/latest/meta-data/",
           "http://10.0.0.5/", "http://192.168.1.20/", "http://172.16.0.1/", "http://[fd00::1]/",
           "http://[::ffff:10.0.0.1]/", "http://metadata.google.internal/", "ftp://example.com/",
           "file:///etc/passwd", "http://user:pw@example.com/"]


def _asset(data: bytes = b"hello poster", key: str = "t/en-US/poster/abc.jpg") -> Asset:
    return Asset(key=key, data=data, sha256=hashlib.sha256(data).hexdigest(), content_type="image/jpeg")


@pytest.mark.parametrize("url", REFUSED)
def test_url_guard_refuses(url):
    with pytest.raises(UrlRefused):
        check_url(url)


def test_url_guard_allow_private_still_refuses_link_local_and_metadata():
    assert check_url("http://127.0.0.1:8080/", allow_private=True) == ["127.0.0.1"]
    assert check_url("http://10.1.2.3/", allow_private=True) == ["10.1.2.3"]
    for url in ("http://169.254.169.254/", "http://169.254.10.1/", "http://[fe80::1]/", "http://metadata/"):
        with pytest.raises(UrlRefused):
            check_url(url, allow_private=True)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://169.254.169.254/hook", "http://10.9.8.7/hook"])
def test_targets_refuse_before_connecting(url, no_connections):
    with pytest.raises(UrlRefused):
        HttpPutTarget(base_url=url).put(_asset())
    with pytest.raises(UrlRefused):
        WebhookTarget(url=url, secret=new_secret()).send("msg_1", b"{}")
    with pytest.raises(UrlRefused):
        S3Target(bucket="b", endpoint_url=url, access_key_id="k", secret_access_key="s").put(_asset())
    assert no_connections == []


def test_signature_matches_standard_webhooks_reference():
    from standardwebhooks.webhooks import Webhook

    secret = new_secret()
    body = b'{"type":"asset.exported","data":{"x":1}}'
    import time

    ts = int(time.time())
    sig = sign(secret, "msg_abc", ts, body)
    assert sig.startswith("v1,")
    assert Webhook(secret).verify(body, {"webhook-id": "msg_abc", "webhook-timestamp": str(ts),
                                         "webhook-signature": sig}) == {"type": "asset.exported", "data": {"x": 1}}
    with pytest.raises(Exception):
        Webhook(secret).verify(body + b" ", {"webhook-id": "msg_abc", "webhook-timestamp": str(ts),
                                             "webhook-signature": sig})


def retry_now(policy: RetryPolicy, fn, waits: list[float] | None = None):
    """Try fn the way the export service does (after_failure decides, the caller waits), but
    in place: returns (result, tries) and records the waits instead of scheduling them."""
    failures = 0
    while True:
        try:
            return fn(), failures + 1
        except TargetError as exc:
            failures += 1
            wait = policy.after_failure(failures, exc)
            if wait is None:
                raise
            if waits is not None:
                waits.append(wait)


def test_retry_policy_backoff_jitter_and_retry_after():
    waits: list[float] = []
    policy = RetryPolicy(attempts=4, base_delay=1.0, max_delay=8.0)
    calls = iter([TargetError("503", retryable=True), TargetError("429", retryable=True, retry_after=5.0),
                  TargetError("500", retryable=True)])

    def flaky():
        err = next(calls, None)
        if err:
            raise err
        return "ok"

    assert retry_now(policy, flaky, waits) == ("ok", 4)
    assert 0.5 <= waits[0] <= 1.0          # first backoff: jitter within [base/2, base]
    assert waits[1] >= 5.0                 # Retry-After honoured over a shorter backoff
    assert 2.0 <= waits[2] <= 4.0          # third: 4s window with jitter
    assert policy.after_failure(1, TargetError("429", retryable=True, retry_after=600.0)) == 8.0  # capped
    assert policy.after_failure(4, TargetError("503", retryable=True)) is None     # tries used up
    with pytest.raises(TargetError):
        retry_now(RetryPolicy(attempts=3), lambda: (_ for _ in ()).throw(TargetError("400", retryable=False)), waits)
    assert len(waits) == 3                 # a non-retryable error is not retried
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_http_put_500_twice_then_accepts_arrives_once():
    origin = PutOrigin(fail_puts=2, retry_after="0").start()
    try:
        target = HttpPutTarget(base_url=origin.url + "/cdn", allow_private=True)
        asset = _asset(b"\xff\xd8 jpeg bytes")
        result, tries = retry_now(RetryPolicy(attempts=5, base_delay=0.01), lambda: target.put(asset))
        assert tries == 3 and result.sent
        assert origin.successful_puts() == {"/cdn/t/en-US/poster/abc.jpg": 1}
        body, headers = origin.objects["/cdn/t/en-US/poster/abc.jpg"]
        assert body == asset.data
        assert headers["Content-Type"] == "image/jpeg" and headers["Cache-Control"] == IMMUTABLE
        # Again: the origin's ETag proves the same bytes are there, nothing is sent.
        assert target.put(asset).sent is False
        assert origin.successful_puts() == {"/cdn/t/en-US/poster/abc.jpg": 1}
    finally:
        origin.stop()


def test_http_put_move_mode_never_shows_a_partial_object():
    origin = PutOrigin().start()
    try:
        target = HttpPutTarget(base_url=origin.url, mode="move", allow_private=True)
        asset = _asset(b"x" * 5000, key="t/fr-FR/story/0123.webp")
        assert target.put(asset).sent
        assert set(origin.objects) == {"/t/fr-FR/story/0123.webp"}
        puts = [p for m, p, s in origin.log if m == "PUT"]
        assert len(puts) == 1 and "/.upload-" in puts[0]   # the body went to a hidden temporary name
        assert [m for m, _, _ in origin.log] == ["HEAD", "PUT", "MOVE"]
    finally:
        origin.stop()


def test_webhook_target_signs_and_receiver_dedupes():
    secret = new_secret()
    rx = WebhookReceiver(secret, fail_first=1).start()
    try:
        target = WebhookTarget(url=rx.url, secret=secret, allow_private=True)
        assert retry_now(RetryPolicy(attempts=3, base_delay=0.01), lambda: target.send("msg_1", b'{"n": 1}')) == (204, 2)
        target.send("msg_1", b'{"n": 1}')   # a redelivery of the same event
        assert [d for d in rx.deliveries] == [("msg_1", 503), ("msg_1", 204), ("msg_1", 204)]
        assert list(rx.events) == ["msg_1"] and rx.rejected == 0
        bad = WebhookTarget(url=rx.url, secret=new_secret(), allow_private=True)
        with pytest.raises(TargetError) as err:
            bad.send("msg_2", b"{}")
        assert err.value.status == 401 and not err.value.retryable and rx.rejected == 1
    finally:
        rx.stop()
