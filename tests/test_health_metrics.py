"""Probes, metrics and structured logs on real parts: a private redis-server that is stopped and
started again, moto's S3 server, a real forking RQ worker serving its metrics over HTTP."""
from __future__ import annotations

import json
import logging
import re
import socket
import subprocess
import sys
import os
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, _drop_queue_keys, make_stack, seed_campaign, wait_for, wait_request_settled
from tests.export_servers import CountingS3, RedisServer

pytestmark = pytest.mark.service


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sample_sum(text: str, name: str, **labels: str) -> float:
    """Sum of the samples `name{...}` whose labels include `labels` in a Prometheus text body."""
    total = 0.0
    for line in text.splitlines():
        m = re.match(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", line)
        if not m:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(m.group(2))
    return total


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def test_readyz_names_redis_while_it_is_down_and_recovers(tmp_path, own_redis):
    stack = make_stack(tmp_path, f"sqlite:///{tmp_path / 'var' / 'marquee.db'}", REDIS_URL=own_redis.url)
    client = stack.app.test_client(as_token=None)  # probes carry no credentials
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    body = ready.get_json()
    assert body["status"] == "ready" and body["failing"] == []
    assert set(body["checks"]) == {"database", "migrations", "redis", "blobs"}
    own_redis.stop()
    down = client.get("/readyz")
    assert down.status_code == 503 and down.get_json()["failing"] == ["redis"], down.get_json()
    assert "Connection" in down.get_json()["checks"]["redis"]["detail"]
    assert client.get("/healthz").status_code == 200, "liveness does not depend on Redis"
    own_redis.start()  # same port
    assert client.get("/readyz").status_code == 200


def test_readyz_names_migrations_and_the_blob_store(tmp_path, monkeypatch):
    from flask_migrate import upgrade

    from app.factory import create_app

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.db'}",
                      "STORAGE_DIR": str(tmp_path / "assets")})
    client = app.test_client()
    stale = client.get("/readyz")
    assert stale.status_code == 503 and stale.get_json()["failing"] == ["migrations"]
    assert "flask db upgrade" in stale.get_json()["checks"]["migrations"]["detail"]
    with app.app_context():
        upgrade()
    assert client.get("/readyz").status_code == 200
    s3 = CountingS3().start()
    try:
        app.config.update(BLOB_BACKEND="s3", S3_BUCKET="no-such-bucket", S3_ENDPOINT=s3.url)
        app.extensions.pop("marquee_blobs", None)
        gone = client.get("/readyz")
        assert gone.status_code == 503 and gone.get_json()["failing"] == ["blobs"], gone.get_json()
    finally:
        s3.stop()


def test_request_id_is_echoed_and_in_every_log_line(tmp_path):
    import io

    from app.factory import create_app
    from app.logging_setup import make_handler

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'l.db'}",
                      "STORAGE_DIR": str(tmp_path / "assets")})
    client = app.test_client()
    assert client.get("/healthz", headers={"X-Request-ID": "edge-42"}).headers["X-Request-ID"] == "edge-42"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id <script>" + "x" * 200}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made), "an unsafe id is replaced, never echoed"
    buf = io.StringIO()
    handler = make_handler("json", buf)
    log = logging.getLogger("marquee.test")
    log.addHandler(handler)
    try:
        with app.test_request_context("/", headers={"X-Request-ID": "edge-43"}):
            app.preprocess_request()
            log.warning("inside a request", extra={"variant": 7})
        log.warning("outside")
    finally:
        log.removeHandler(handler)
    inside, outside = (json.loads(line) for line in buf.getvalue().splitlines())
    assert inside["request_id"] == "edge-43" and inside["variant"] == 7 and inside["msg"] == "inside a request"
    assert outside["request_id"] is None and "job_id" in outside


def test_worker_metrics_count_renders_and_logs_carry_job_ids(tmp_path):
    port = free_port()
    stack = make_stack(tmp_path, f"sqlite:///{tmp_path / 'var' / 'marquee.db'}")
    try:
        client = stack.app.test_client()
        s = seed_campaign(client)
        req = client.post("/api/v1/requests", json={
            "title_id": s["title"]["id"], "key_art_id": s["art"]["id"], "brand_kit_id": s["kit"]["id"],
            "locales": ["en-US", "de-DE"], "formats": ["square", "story"]}).get_json()
        (tmp_path / "prom").mkdir()
        stack.env.update(MARQUEE_METRICS_PORT=str(port), MARQUEE_LOG_FORMAT="json",
                         PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prom"))
        stack.start_worker("render")
        prog = wait_request_settled(client, stack, req["id"], timeout=240, what="4 renders")
        assert prog["rendered"] == 4, stack.worker_logs()
        def scraped():
            t = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            return t if sample_sum(t, "marquee_render_seconds_count") == 4 else None

        text = wait_for(scraped, timeout=20, what="4 render observations on the worker's metrics port")
        for fmt in ("square", "story"):
            assert sample_sum(text, "marquee_render_seconds_count", format=fmt) == 2
        assert sample_sum(text, "marquee_render_seconds_sum") > 0
        web = client.get("/metrics").get_data(as_text=True)
        assert sample_sum(web, "marquee_variants", status="rendered") == 4
        assert sample_sum(web, "marquee_queue_workers", queue="render") == 1
        assert sample_sum(web, "marquee_queue_jobs", queue="render", state="queued") == 0
        assert sample_sum(web, "marquee_http_requests_total", endpoint="requests.RequestProgress") >= 1
        # A job that fails: counted by reason on the worker, listed by `flask queues`.
        with stack.app.app_context():
            from app.queueing import get_queue

            bad = get_queue("render").enqueue("json.loads", "{not json", job_id=f"bad-{port}")

        def failure_counted():
            t = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            return sample_sum(t, "marquee_job_failures_total", queue="render", reason="JSONDecodeError") == 1

        wait_for(failure_counted, timeout=30, what="the failure counted")
        out = stack.app.test_cli_runner().invoke(args=["queues"])
        assert out.exit_code == 0, out.output
        table = {line.split()[0]: line.split()[1:] for line in out.output.splitlines()[1:4]}
        assert table["render"] == ["0", "0", "0", "0", "1", "1"], out.output  # queued..failed, workers
        assert f"failed render: {bad.id} json.loads('{{not json',)" in out.output and "JSONDecodeError" in out.output
        log_text = (Path(stack.env["MARQUEE_VAR_DIR"]) / "worker-0.log").read_text()
        lines = [l for l in log_text.splitlines() if l.strip()]
        records = [json.loads(l) for l in lines]  # every line is one JSON object
        job_lines = [r for r in records if r.get("job_id")]
        assert {r["job_id"].rsplit("render-", 1)[-1] for r in job_lines} >= \
            {f"v{v['id']}-r1" for v in req["variants"]}, "each job's lines carry its id"
    finally:
        stack.stop_all()
        _drop_queue_keys(stack)
