"""Scale-out across machines, on one: an API (gunicorn, real HTTP), two render workers (which
also export) and one GPU worker (tiny diffusers model), each with its own empty MARQUEE_VAR_DIR,
sharing only PostgreSQL, Redis and an S3 server (moto on loopback). A request of 4 locales x 8
formats renders, is approved and exports; afterwards no var dir holds a blob: every process read
the key art and wrote its renders through the S3 blob store.

The commands are the ones docs/deploy.md gives: `flask db upgrade`, `flask create-user`,
`gunicorn -c gunicorn.conf.py wsgi:app`, `python -m jobs.worker render export`,
`python -m jobs.gpu_worker`, `flask queues`.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config

from app.generate.tiny import build_tiny_inpaint_pipeline
from tests.conftest import PG_ADMIN_URL, ROOT, wait_for
from tests.export_servers import CountingS3, RedisServer
from tests.test_health_metrics import free_port, sample_sum

pytestmark = pytest.mark.service

LOCALES = ["en-US", "ja-JP", "pt-BR", "ar-SA"]
FORMATS = ["poster", "thumbnail", "thumbnail-small", "square", "portrait", "story", "banner", "link-card"]


@pytest.fixture
def pg_url():
    import psycopg

    name = f"marquee_multi_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Host:
    """One 'machine': its own var dir and metrics dir; its processes log to files outside var."""

    def __init__(self, root: Path, name: str, shared_env: dict[str, str]) -> None:
        self.name = name
        self.var = root / name / "var"
        self.var.mkdir(parents=True)
        (root / name / "prom").mkdir()
        self.log = root / name / "process.log"
        self.metrics_port = free_port()
        self.env = {**os.environ, **shared_env, "MARQUEE_VAR_DIR": str(self.var),
                    "PROMETHEUS_MULTIPROC_DIR": str(root / name / "prom"),
                    "MARQUEE_METRICS_PORT": str(self.metrics_port)}
        self.env.pop("MARQUEE_STORAGE_DIR", None)
        self.proc: subprocess.Popen | None = None

    def run(self, *args: str) -> str:
        """A one-off command on this host (flask CLI); returns its stdout."""
        done = subprocess.run(list(args), cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self, *args: str) -> "Host":
        self.proc = subprocess.Popen(list(args), cwd=ROOT, env=self.env, stdout=open(self.log, "ab"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(timeout=10)

    def metrics(self) -> str:
        return requests.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).text

    def tail(self) -> str:
        return f"--- {self.name}\n" + (self.log.read_text(errors="replace")[-3000:] if self.log.exists() else "")


def files_in(var: Path) -> list[str]:
    return sorted(str(p.relative_to(var)) for p in var.rglob("*") if p.is_file())


def test_four_hosts_share_nothing_but_postgres_redis_and_s3(tmp_path, pg_url):
    t0 = time.monotonic()
    redis = RedisServer(tmp_path).start()
    s3 = CountingS3().start()
    hosts: list[Host] = []
    try:
        s3c = boto3.client("s3", endpoint_url=s3.url, region_name="us-east-1", aws_access_key_id="k",
                           aws_secret_access_key="s", config=Config(s3={"addressing_style": "path"}))
        s3c.create_bucket(Bucket="marquee-blobs")
        s3c.create_bucket(Bucket="cdn-assets")
        model = tmp_path / "models" / "tiny-sd"  # built below, while the API and render hosts start
        shared = {
            "DATABASE_URL": pg_url, "REDIS_URL": redis.url, "MARQUEE_QUEUE_PREFIX": "multi:",
            "MARQUEE_BLOB_BACKEND": "s3", "MARQUEE_S3_ENDPOINT": s3.url, "MARQUEE_S3_BUCKET": "marquee-blobs",
            "MARQUEE_S3_PREFIX": "blobs", "AWS_ACCESS_KEY_ID": "blob-key", "AWS_SECRET_ACCESS_KEY": "blob-secret",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
            "MARQUEE_MODEL_DIR": str(model), "MARQUEE_GENERATE_STEPS": "2", "MARQUEE_GENERATE_DEVICE": "cpu",
            "MARQUEE_EXPORT_ALLOW_PRIVATE": "1", "MARQUEE_EXPORT_BACKOFF_S": "0.05",
            "MARQUEE_EXPORT_GRACE_S": "0",  # approvals export at once here (the grace is test_review_undo's)
            "MARQUEE_EXPORT_BACKOFF_MAX_S": "0.5", "MARQUEE_CDN_KEY": "cdn-key", "MARQUEE_CDN_SECRET": "cdn-secret",
            "MARQUEE_RECONCILE_INTERVAL_S": "60", "MARQUEE_RECONCILE_GRACE_S": "5",
            "MARQUEE_JOB_MONITORING_INTERVAL_S": "2", "MARQUEE_LOG_FORMAT": "json", "FLASK_APP": "wsgi",
        }
        api, render1, render2, gpu = (Host(tmp_path, n, shared) for n in ("api", "render-1", "render-2", "gpu"))
        hosts = [api, render1, render2, gpu]
        api.run(sys.executable, "-m", "flask", "db", "upgrade")
        api.env["MARQUEE_NEW_PASSWORD"] = "multi-host-admin-pw"
        out = api.run(sys.executable, "-m", "flask", "create-user", "ops", "--role", "admin", "--token", "multi")
        token = out.split("keep it safe): ")[1].split()[0]
        port = free_port()
        api.env.update(MARQUEE_WEB_BIND=f"127.0.0.1:{port}", MARQUEE_WEB_WORKERS="2")
        api.start(sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app")
        for h in (render1, render2):
            h.start(sys.executable, "-m", "jobs.worker", "render", "export")
        build_tiny_inpaint_pipeline(model)
        print(f"\nmulti-host: tiny model built by {time.monotonic() - t0:.1f}s")
        gpu.start(sys.executable, "-m", "jobs.gpu_worker")
        base = f"http://127.0.0.1:{port}"
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"

        def up():
            try:
                return requests.get(f"{base}/readyz", timeout=5).status_code == 200
            except (requests.ConnectionError, requests.Timeout):
                return False

        wait_for(up, timeout=60, what="the API ready")
        wait_for(lambda: "render" in (q := {r["queue"]: r for r in map(json.loads, api.run(
            sys.executable, "-m", "flask", "queues", "--json").splitlines())}) and q["render"]["workers"] == 2
            and q["gpu"]["workers"] == 1, timeout=120, what="2 render workers and 1 gpu worker listening")

        from app.sample import sample_key_art_jpeg, sample_title

        kit = http.post(f"{base}/api/v1/brand-kits/import", json={"folder": "marquee-default"}).json()
        data = sample_title()
        data["releases"] = [dict(r, release_date=str(r["release_date"])) for r in data["releases"]]
        title = http.post(f"{base}/api/v1/titles", json=data).json()
        art_bytes = sample_key_art_jpeg(512, 768)
        art = http.post(f"{base}/api/v1/titles/{title['id']}/key-art",
                        files={"file": ("art.jpg", io.BytesIO(art_bytes), "image/jpeg")})
        assert art.status_code == 201, art.text
        art = art.json()
        target = http.post(f"{base}/api/v1/export-targets", json={
            "name": "cdn", "kind": "s3", "url": s3.url,
            "options": {"bucket": "cdn-assets", "prefix": "marquee", "region": "us-east-1"},
            "secret_refs": {"access_key_id": "MARQUEE_CDN_KEY", "secret_access_key": "MARQUEE_CDN_SECRET"}})
        assert target.status_code == 201, target.text
        resp = http.post(f"{base}/api/v1/requests", json={
            "title_id": title["id"], "key_art_id": art["id"], "brand_kit_id": kit["id"],
            "locales": LOCALES, "formats": FORMATS}, headers={"X-Request-ID": "multi-host-request"})
        assert resp.status_code == 202, resp.text
        assert resp.headers["X-Request-ID"] == "multi-host-request"
        req = resp.json()
        t_request = time.monotonic()
        print(f"multi-host: set-up (model, migrations, 4 processes ready) {t_request - t0:.1f}s")

        def rendered():
            p = http.get(f"{base}/api/v1/requests/{req['id']}/progress").json()
            assert p["failed"] == 0, (p, *(h.tail() for h in hosts))
            return p["rendered"] == p["total"] == 32 and p

        try:
            wait_for(rendered, timeout=150, interval=1, what="32 variants rendered")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n" + "\n".join(h.tail() for h in hosts))
        t_rendered = time.monotonic() - t_request

        for v in req["variants"]:
            r = http.post(f"{base}/api/v1/variants/{v['id']}/approve", json={"revision": 1})
            assert r.status_code == 200, r.text

        def exported():
            rows = http.get(f"{base}/api/v1/exports", params={"request_id": req["id"]}).json()
            assert not any(e["status"] == "failed" for e in rows), rows
            return len(rows) == 32 and all(e["status"] == "done" for e in rows) and rows

        try:
            wait_for(exported, timeout=90, interval=1, what="32 exports done")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n" + "\n".join(h.tail() for h in hosts))

        # Every asset is in the CDN bucket, byte-identical to what the API serves from the blob store.
        listed = {o["Key"] for page in s3c.get_paginator("list_objects_v2").paginate(Bucket="cdn-assets")
                  for o in page.get("Contents", [])}
        variants = [http.get(f"{base}/api/v1/variants/{v['id']}").json() for v in req["variants"]]
        for v in variants:
            for kind, a in v["assets"].items():
                assert any(a["sha256"][:16] in k for k in listed), (v["id"], kind)
        v0 = variants[0]
        img = requests.get(f"{base}/api/v1/variants/{v0['id']}/image.jpeg",
                           headers={"Authorization": f"Bearer {token}"})
        assert img.status_code == 200 and hashlib.sha256(img.content).hexdigest() == v0["assets"]["jpeg"]["sha256"]
        # The generative expands ran on the gpu host, batched; the renders were shared by both render hosts.
        expands = [v for v in variants if v["generator"] and v["generator"].get("reframe") == "expand"]
        # (A variant the reconciler re-enqueues runs its expand on the render host instead: same model.)
        assert expands and all(v["generator"].get("backend") == "diffusers" for v in expands)
        assert any(v["generator"].get("queue") == "gpu" for v in expands), \
            [(v["format"], v["locale"], {k: v["generator"].get(k) for k in ("queue", "backend")}) for v in expands]
        counts = {h.name: sample_sum(h.metrics(), "marquee_render_seconds_count") for h in (render1, render2)}
        assert sum(counts.values()) == 32 and all(counts.values()), counts
        assert sample_sum(gpu.metrics(), "marquee_gpu_batch_size_count") >= 1
        exports_done = sum(sample_sum(h.metrics(), "marquee_export_seconds_count") for h in (render1, render2))
        assert exports_done >= 32  # a re-run of an export after a new target would add more
        web = requests.get(f"{base}/metrics").text
        assert sample_sum(web, "marquee_variants", status="approved") == 32
        assert sample_sum(web, "marquee_exports", status="done") == 32
        # No host kept a blob on its own disk: the var dirs hold nothing at all.
        for h in hosts:
            assert files_in(h.var) == [], (h.name, files_in(h.var))
        blob_keys = {o["Key"].rsplit("/", 1)[-1] for page in s3c.get_paginator("list_objects_v2").paginate(
            Bucket="marquee-blobs", Prefix="blobs/") for o in page.get("Contents", [])}
        assert art["sha256"] in blob_keys and {a["key"] for v in variants for a in v["assets"].values()} <= blob_keys
        # Every line each process wrote is one JSON object (gunicorn access lines included).
        for h in hosts:
            for line in h.log.read_text().splitlines():
                if line.strip():
                    json.loads(line)
        access = [json.loads(l) for l in api.log.read_text().splitlines() if '"gunicorn.access"' in l]
        assert any(a["request_id"] == "multi-host-request" and a["status"] == 202 for a in access)
        print(f"multi-host: 32 rendered in {t_rendered:.1f}s, approved and exported by "
              f"{time.monotonic() - t_request:.1f}s, whole test {time.monotonic() - t0:.1f}s; "
              f"renders per host {counts}")
    finally:
        for h in hosts:
            h.stop()
        s3.stop()
        redis.stop()
