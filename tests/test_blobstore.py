"""The blob store contract on both backends (a local directory and moto's S3 server on loopback),
the S3 backend's own promises (one upload per content, presigned URLs), the API streaming and
redirecting downloads from S3, and the idempotent local -> S3 migration command."""
from __future__ import annotations

import hashlib
import io
import os

import boto3
import pytest
import requests
from botocore.config import Config

from app.storage import LocalBlobStore, S3BlobStore, open_store
from tests.conftest import make_stack, seed_campaign
from tests.export_servers import CountingS3

CREDS = {"AWS_ACCESS_KEY_ID": "blob-key", "AWS_SECRET_ACCESS_KEY": "blob-secret", "AWS_DEFAULT_REGION": "us-east-1",
         "AWS_EC2_METADATA_DISABLED": "true"}


@pytest.fixture(scope="module")
def s3():
    server = CountingS3().start()
    yield server
    server.stop()


@pytest.fixture
def creds(monkeypatch):
    for k, v in CREDS.items():
        monkeypatch.setenv(k, v)


def make_bucket(s3: CountingS3, name: str) -> None:
    boto3.client("s3", endpoint_url=s3.url, region_name="us-east-1", aws_access_key_id="x",
                 aws_secret_access_key="y", config=Config(s3={"addressing_style": "path"})).create_bucket(Bucket=name)


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path, s3, creds):
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    bucket = f"contract-{os.urandom(4).hex()}"
    make_bucket(s3, bucket)
    return open_store({"BLOB_BACKEND": "s3", "S3_BUCKET": bucket, "S3_PREFIX": "marquee/", "S3_ENDPOINT": s3.url})


def test_contract(store):
    data = os.urandom(3000)
    key = store.put(data)
    assert key == hashlib.sha256(data).hexdigest()
    assert store.put(data) == key and store.count() == 1, "the same bytes are one blob"
    assert store.get(key) == data and store.exists(key) and store.size(key) == 3000
    with store.open(key) as fh:
        assert fh.read() == data
    assert b"".join(store.iter_chunks(key, chunk=1024)) == data
    other = store.put(b"other")
    assert sorted(store.keys()) == sorted([key, other])
    missing = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(missing)
    for read in (store.get, store.open, store.size):
        with pytest.raises(FileNotFoundError):
            read(missing)
    for bad in ("../../etc/passwd", key.upper(), key[:-1], ""):
        with pytest.raises(ValueError, match="not a sha256 key"):
            store.get(bad)
    store.delete(key)
    assert not store.exists(key) and list(store.keys()) == [other]
    store.ping()


def test_s3_uploads_each_content_once_under_the_prefix(s3, creds):
    make_bucket(s3, "once")
    store = open_store({"BLOB_BACKEND": "s3", "S3_BUCKET": "once", "S3_PREFIX": "p/q", "S3_ENDPOINT": s3.url})
    key = store.put(b"poster bytes")
    store.put(b"poster bytes")
    assert s3.puts("/once/") == {f"/once/p/q/{key[:2]}/{key[2:4]}/{key}": 1}


def test_s3_presigned_url_serves_the_bytes_and_local_has_none(s3, creds, tmp_path):
    make_bucket(s3, "signed")
    store = open_store({"BLOB_BACKEND": "s3", "S3_BUCKET": "signed", "S3_ENDPOINT": s3.url})
    key = store.put(b"signed bytes")
    url = store.url(key, expires_s=60)
    assert "Signature" in url or "X-Amz-Signature" in url
    assert requests.get(url, timeout=10).content == b"signed bytes"
    assert LocalBlobStore(tmp_path).url(key) is None


def test_bad_backend_and_missing_bucket_are_named(tmp_path):
    with pytest.raises(ValueError, match="MARQUEE_BLOB_BACKEND"):
        open_store({"BLOB_BACKEND": "ftp", "STORAGE_DIR": str(tmp_path)})
    with pytest.raises(ValueError, match="MARQUEE_S3_BUCKET"):
        open_store({"BLOB_BACKEND": "s3", "S3_BUCKET": ""})


def test_api_streams_from_s3_and_redirects_when_presigning(tmp_path, s3, creds):
    make_bucket(s3, "api-blobs")
    stack = make_stack(tmp_path, f"sqlite:///{tmp_path / 'var' / 'marquee.db'}", MARQUEE_BLOB_BACKEND="s3",
                       MARQUEE_S3_BUCKET="api-blobs", MARQUEE_S3_ENDPOINT=s3.url)
    client = stack.app.test_client()
    seeded = seed_campaign(client)
    art = seeded["art"]
    resp = client.get(f"/api/v1/key-art/{art['id']}/original")
    assert resp.status_code == 200 and resp.is_streamed
    body = resp.get_data()
    assert hashlib.sha256(body).hexdigest() == art["sha256"] and resp.headers["ETag"].strip('"') == art["sha256"]
    assert int(resp.headers["Content-Length"]) == len(body)
    assert not any(p.is_file() for p in (tmp_path / "var").rglob("*") if p.suffix not in (".db", ".db-wal", ".db-shm")), \
        "nothing but the SQLite file is written to the var dir"
    stack.app.config["S3_PRESIGN"] = True
    resp = client.get(f"/api/v1/key-art/{art['id']}/original")
    assert resp.status_code == 302 and resp.headers["Location"].startswith(f"{s3.url}/api-blobs/")
    assert hashlib.sha256(requests.get(resp.headers["Location"], timeout=10).content).hexdigest() == art["sha256"]


def test_migrate_to_s3_is_idempotent_and_refuses_corrupt_files(tmp_path, s3, creds):
    from app.factory import create_app

    make_bucket(s3, "migrated")
    local = LocalBlobStore(tmp_path / "assets")
    keys = [local.put(os.urandom(100 + i)) for i in range(5)]
    bad = local.put(b"will be corrupted")
    local.path(bad).write_bytes(b"bit rot")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}",
                      "STORAGE_DIR": str(tmp_path / "assets"), "S3_BUCKET": "migrated", "S3_ENDPOINT": s3.url,
                      "S3_PREFIX": "blobs"})
    runner = app.test_cli_runner()
    first = runner.invoke(args=["blobs", "migrate-to-s3"])
    assert first.exit_code == 1 and "copied 5, already there 0, corrupt 1" in first.output, first.output
    assert f"corrupt: {bad}" in first.output
    local.delete(bad)
    again = runner.invoke(args=["blobs", "migrate-to-s3"])
    assert again.exit_code == 0 and "copied 0, already there 5, corrupt 0" in again.output, again.output
    dst = S3BlobStore("migrated", "blobs", endpoint_url=s3.url)
    assert sorted(dst.keys()) == sorted(keys) and all(dst.get(k) == local.get(k) for k in keys)
    assert len(s3.puts("/migrated/")) == 5 and all(n == 1 for n in s3.puts("/migrated/").values())
    down = runner.invoke(args=["blobs", "migrate-to-s3", "--endpoint", "http://127.0.0.1:9"])
    assert down.exit_code != 0 and "cannot reach the bucket" in down.output
