"""Exports end to end: real renders by a worker, a real S3 protocol server (moto over HTTP on loopback),
an HTTP PUT origin and a webhook receiver on loopback, real RQ export workers."""
from __future__ import annotations

import hashlib
import io
import json
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from PIL import Image

from app.export.webhook import new_secret
from tests.conftest import drop_schema, make_stack, seed_campaign, wait_for
from tests.export_servers import CountingS3, PutOrigin, RedisServer, WebhookReceiver

pytestmark = pytest.mark.service

WHSEC = new_secret()
EXPORT_ENV = {
    "MARQUEE_EXPORT_ALLOW_PRIVATE": "1",       # the test servers are on loopback
    "MARQUEE_EXPORT_BACKOFF_S": "0.05",
    "MARQUEE_EXPORT_BACKOFF_MAX_S": "0.5",
    "MARQUEE_EXPORT_MAX_TRIES": "4",
    "MARQUEE_EXPORT_STALE_S": "8",
    "AWS_EC2_METADATA_DISABLED": "true",       # boto3 never looks for the cloud metadata service
    "MARQUEE_TEST_S3_KEY": "testing-key",
    "MARQUEE_TEST_S3_SECRET": "testing-secret-value-4242",
    "MARQUEE_TEST_WHSEC": WHSEC,
}


@pytest.fixture(scope="session")
def own_redis(tmp_path_factory):
    """This module's own Redis: job ids of other test runs sharing one Redis can never collide with ours."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


def export_stack(tmp_path, monkeypatch, database_url: str | None = None, **extra: str):
    env = {**EXPORT_ENV, **extra}
    for k, v in env.items():
        monkeypatch.setenv(k, v)   # this process reads the referenced secrets too (in-process runs)
    return make_stack(tmp_path, database_url or f"sqlite:///{tmp_path / 'var' / 'marquee.db'}", **env)


@pytest.fixture
def xstack(tmp_path, monkeypatch, own_redis):
    stack = export_stack(tmp_path, monkeypatch, REDIS_URL=own_redis.url)
    yield stack
    stack.stop_all()


@pytest.fixture
def s3():
    server = CountingS3().start()
    yield server
    server.stop()


def s3_client(server: CountingS3):
    return boto3.client("s3", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="testing-key",
                        aws_secret_access_key="testing-secret-value-4242",
                        config=Config(s3={"addressing_style": "path"}))


def variants(stack):
    with stack.app.app_context():
        from app.extensions import db
        from app.models import Variant

        db.session.expire_all()
        return db.session.scalars(db.select(Variant).order_by(Variant.id)).all()


def exports(stack, **where):
    with stack.app.app_context():
        from app.extensions import db
        from app.models import Export

        db.session.expire_all()
        q = db.select(Export).order_by(Export.id)
        for k, v in where.items():
            q = q.where(getattr(Export, k) == v)
        rows = db.session.scalars(q).all()
        for r in rows:
            db.session.expunge(r)
        return rows


def render_request(stack, client, locales, formats) -> dict:
    """Render for real with a worker on the render queue; returns the request."""
    s = seed_campaign(client)
    resp = client.post("/api/v1/requests", json={
        "title_id": s["title"]["id"], "key_art_id": s["art"]["id"], "brand_kit_id": s["kit"]["id"],
        "locales": locales, "formats": formats})
    assert resp.status_code == 202, resp.get_data(as_text=True)
    req = resp.get_json()
    worker = stack.start_worker("render")
    def rendered() -> bool:
        mine = [v for v in variants(stack) if v.request_id == req["id"]]
        assert not any(v.status == "failed" for v in mine), [(v.id, v.error) for v in mine]
        return all(v.status == "rendered" for v in mine)

    try:
        wait_for(rendered, timeout=240, what="renders")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{stack.worker_logs()}")
    stack.kill_worker(worker)
    return req


def approve_all(stack, request_id: int, approver: str = "alice@example.com") -> None:
    """What review does on approval (status, who, when), then the hook it calls."""
    with stack.app.app_context():
        from app.extensions import db
        from app.models import Variant
        from app.models.base import utcnow
        from app.services.exports.scheduling import on_variant_approved

        vs = db.session.scalars(db.select(Variant).where(Variant.request_id == request_id)
                                .order_by(Variant.id)).all()
        for v in vs:
            v.status, v.approved_by, v.approved_at = "approved", approver, utcnow()
        db.session.commit()
        for v in vs:
            on_variant_approved(v)


def add_target(client, **body) -> dict:
    resp = client.post("/api/v1/export-targets", json=body)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.get_json()


def wait_exports(stack, n: int, timeout: float = 120, status: str = "done"):
    def ready():
        rows = exports(stack)
        return len(rows) == n and all(r.status == status for r in rows)

    try:
        wait_for(ready, timeout=timeout, what=f"{n} exports {status}")
    except AssertionError:
        raise AssertionError(f"{[(e.id, e.status, e.error) for e in exports(stack)]}\n{stack.worker_logs()}")


def test_s3_upload_rerun_manifest_headers(xstack, s3):
    stack, client = xstack, xstack.app.test_client()
    s3_client(s3).create_bucket(Bucket="cdn-assets")
    target = add_target(client, name="cdn-s3", kind="s3", url=s3.url,
                        options={"bucket": "cdn-assets", "prefix": "marquee", "region": "us-east-1"},
                        secret_refs={"access_key_id": "MARQUEE_TEST_S3_KEY",
                                     "secret_access_key": "MARQUEE_TEST_S3_SECRET"})
    assert "secret_refs" not in target and target["secrets_configured"] == ["access_key_id", "secret_access_key"]
    assert "MARQUEE_TEST_S3" not in json.dumps(client.get("/api/v1/export-targets").get_json())

    req = render_request(stack, client, ["en-US", "ja-JP"], ["poster", "square"])
    approve_all(stack, req["id"])
    stack.start_worker("export")
    wait_exports(stack, 4)

    bucket = s3_client(s3)
    listed = sorted(o["Key"] for o in bucket.list_objects_v2(Bucket="cdn-assets")["Contents"])
    vs = variants(stack)
    with stack.app.app_context():
        from app.services import blob_store

        store = blob_store()
        title_slug = client.get(f"/api/v1/titles/{req['title_id']}").get_json()["slug"]
        expected = {}
        for v in vs:
            for kind, a in v.assets.items():
                key = f"marquee/{title_slug}/{v.locale}/{v.format}/{a['sha256'][:16]}.{a['ext']}"
                expected[key] = (store.get(a["key"]), a)
    manifest_key = f"marquee/{title_slug}/manifests/request-{req['id']}.json"
    assert listed == sorted([*expected, manifest_key])
    for key, (data, meta) in expected.items():
        obj = bucket.get_object(Bucket="cdn-assets", Key=key)
        body = obj["Body"].read()
        assert body == data and hashlib.sha256(body).hexdigest() == meta["sha256"]
        assert obj["ContentType"] == meta["mime"]
        assert obj["CacheControl"] == "public, max-age=31536000, immutable"
        assert obj["Metadata"]["sha256"] == meta["sha256"]
        assert s3.puts(key) == {f"/cdn-assets/{key}": 1}, "each asset is PUT exactly once"

    manifest = json.loads(bucket.get_object(Bucket="cdn-assets", Key=manifest_key)["Body"].read())
    assert manifest["request_id"] == req["id"] and manifest["target"] == "cdn-s3"
    assert len(manifest["assets"]) == len(expected) == 8
    by_url = {a["url"]: a for a in manifest["assets"]}
    for key, (data, meta) in expected.items():
        entry = by_url[f"{s3.url}/cdn-assets/{key}"]
        v = next(v for v in vs if v.id == entry["variant_id"])
        assert entry["sha256"] == meta["sha256"] and entry["bytes"] == len(data) == meta["bytes"]
        assert (entry["locale"], entry["format"], entry["revision"]) == (v.locale, v.format, v.revision)
        assert entry["size"] == f"{v.width}x{v.height}" and entry["mime"] == meta["mime"]
        assert entry["approved_by"] == "alice@example.com" and entry["approved_at"].startswith(
            v.approved_at.isoformat()[:19])
    head = bucket.head_object(Bucket="cdn-assets", Key=manifest_key)
    assert head["ContentType"] == "application/json" and head["CacheControl"] == "no-cache"
    api_manifests = client.get(f"/api/v1/requests/{req['id']}/manifests").get_json()
    assert api_manifests[0]["manifest"] == manifest and api_manifests[0]["entries"] == 8

    # Re-run the whole request: every object is already there with its checksum: no PUT at all.
    puts_before = s3.puts()
    last_modified = {k: bucket.head_object(Bucket="cdn-assets", Key=k)["LastModified"] for k in expected}
    resp = client.post(f"/api/v1/requests/{req['id']}/export", json={"rerun": True})
    assert resp.status_code == 202, resp.get_data(as_text=True)
    # 3 tries each: two files (a HEAD finds each already there) and the manifest
    wait_for(lambda: all(e.status == "done" and e.finished_at and e.tries == 3 for e in exports(stack)),
             timeout=60, what="re-run done")
    assert s3.puts() == puts_before, "a re-run sent something again"
    assert all(e.sent == 2 for e in exports(stack))   # counted from the first run only
    assert {k: bucket.head_object(Bucket="cdn-assets", Key=k)["LastModified"] for k in expected} == last_modified

    # Lose one object at the target: the next re-run sends exactly that one.
    lost = sorted(expected)[0]
    bucket.delete_object(Bucket="cdn-assets", Key=lost)
    client.post(f"/api/v1/requests/{req['id']}/export", json={"rerun": True})
    wait_for(lambda: s3.puts(lost)[f"/cdn-assets/{lost}"] == 2, timeout=60, what="the lost object re-sent")
    wait_exports(stack, 4)
    after = s3.puts()
    assert after - puts_before == {f"/cdn-assets/{lost}": 1}
    assert "testing-secret-value-4242" not in stack.worker_logs()


def test_http_put_origin_fails_twice_then_accepts_and_webhook_after_assets(xstack):
    stack, client = xstack, xstack.app.test_client()
    origin = PutOrigin(fail_puts=2).start()

    def assets_there(event) -> bool:
        return all(origin.successful_puts()[urlsplit(f["urls"]["origin"]).path] == 1 for f in event["data"]["files"])

    rx = WebhookReceiver(WHSEC, fail_first=1, check_arrived=assets_there).start()
    try:
        add_target(client, name="origin", kind="http-put", url=origin.url + "/origin",
                   options={"headers": {"X-Tenant": "marquee"}})
        add_target(client, name="dam-hook", kind="webhook", url=rx.url,
                   secret_refs={"secret": "MARQUEE_TEST_WHSEC"})
        req = render_request(stack, client, ["de-DE"], ["thumbnail-small"])
        approve_all(stack, req["id"], approver="bob@example.com")
        stack.start_worker("export")
        wait_exports(stack, 2)

        v = variants(stack)[0]
        assert origin.successful_puts() == {
            f"/origin/{req_title(client, req)}/de-DE/thumbnail-small/{a['sha256'][:16]}.{a['ext']}": 1
            for a in v.assets.values()} | {f"/origin/{req_title(client, req)}/manifests/request-{req['id']}.json": 1}
        failed_puts = [p for m, p, s in origin.log if m == "PUT" and s == 500]
        assert len(failed_puts) == 2, origin.log
        for path, (body, headers) in origin.objects.items():
            if "/manifests/" in path:
                continue
            assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert headers["X-Tenant"] == "marquee"
            assert hashlib.sha256(body).hexdigest() == headers["X-Checksum-Sha256"]
        put_export = next(e for e in exports(stack) if e.target_id == 1)
        # 2 objects and the manifest, and 2 failed tries among them, each retry scheduled (not slept)
        assert put_export.tries == 3 + 2 and put_export.sent == 2 and put_export.failures == 0
        with stack.app.app_context():
            from app.extensions import db
            from app.models import AuditEvent

            scheduled = db.session.scalars(db.select(AuditEvent).where(
                AuditEvent.entity_type == "export", AuditEvent.entity_id == put_export.id,
                AuditEvent.action == "export.retry_scheduled")).all()
            assert len(scheduled) == 2 and all("HTTP 500" in e.detail["error"] for e in scheduled)

        # Webhook: signed (verified by the reference library), retried after a 503 with the same id,
        # processed once, and it arrived after the assets were at the origin.
        assert rx.rejected == 0 and rx.not_yet_there == []
        assert len(rx.events) == 1
        msg_id, event = next(iter(rx.events.items()))
        assert [d[0] for d in rx.deliveries] == [msg_id, msg_id] and [d[1] for d in rx.deliveries] == [503, 204]
        assert event["type"] == "asset.exported"
        data = event["data"]
        assert (data["variant_id"], data["locale"], data["format"], data["revision"]) == (v.id, "de-DE",
                                                                                           "thumbnail-small", 1)
        assert data["approved_by"] == "bob@example.com"
        assert {f["sha256"] for f in data["files"]} == {a["sha256"] for a in v.assets.values()}
        assert data["manifests"]["origin"].endswith(f"/manifests/request-{req['id']}.json")
        hook = client.get("/api/v1/exports?status=done").get_json()
        webhook_row = next(e for e in hook if e["kind"] == "webhook")
        assert webhook_row["webhook"]["id"] == msg_id and webhook_row["webhook"]["tries"] == 2
    finally:
        origin.stop()
        rx.stop()


def test_targets_deliver_the_encodings_they_name(xstack):
    """One variant, two origins: one names AVIF and JPEG, one names nothing (JPEG and WebP). Each
    gets its encodings once; the AVIF and the WebP are each made once, from the JPEG master."""
    stack, client = xstack, xstack.app.test_client()
    avif_origin, default_origin = PutOrigin().start(), PutOrigin().start()
    try:
        add_target(client, name="avif-cdn", kind="http-put", url=avif_origin.url + "/a", encodings=["avif", "jpeg"])
        add_target(client, name="origin", kind="http-put", url=default_origin.url + "/d")
        req = render_request(stack, client, ["ar-SA"], ["link-card"])
        approve_all(stack, req["id"])
        stack.start_worker("export")
        wait_exports(stack, 2)

        v = variants(stack)[0]
        assert set(v.assets) == {"jpeg", "webp", "avif"}
        assert v.assets["avif"]["from"] == v.assets["webp"]["from"] == v.assets["jpeg"]["sha256"]
        slug = req_title(client, req)

        def files(prefix: str, kinds: list[str]) -> dict[str, int]:
            return {f"/{prefix}/{slug}/ar-SA/link-card/{v.assets[k]['sha256'][:16]}.{v.assets[k]['ext']}": 1
                    for k in kinds} | {f"/{prefix}/{slug}/manifests/request-{req['id']}.json": 1}

        assert avif_origin.successful_puts() == files("a", ["jpeg", "avif"])
        assert default_origin.successful_puts() == files("d", ["jpeg", "webp"])
        path = next(p for p in avif_origin.objects if p.endswith(".avif"))
        body, headers = avif_origin.objects[path]
        assert headers["Content-Type"] == "image/avif"
        assert Image.open(io.BytesIO(body)).size == (v.width, v.height)
        manifest = json.loads(next(b for p, (b, _) in avif_origin.objects.items() if "/manifests/" in p))
        assert sorted(a["mime"] for a in manifest["assets"]) == ["image/avif", "image/jpeg"]
    finally:
        avif_origin.stop()
        default_origin.stop()


def req_title(client, req) -> str:
    return client.get(f"/api/v1/titles/{req['title_id']}").get_json()["slug"]


def test_failed_export_is_visible_and_retryable(xstack):
    stack, client = xstack, xstack.app.test_client()
    origin = PutOrigin(fail_puts=100, retry_after="0").start()
    try:
        add_target(client, name="flaky", kind="http-put", url=origin.url, formats=["square"])
        add_target(client, name="eu-only", kind="http-put", url=origin.url + "/eu", regions=["FR"])
        req = render_request(stack, client, ["en-US"], ["square", "poster"])
        approve_all(stack, req["id"])
        assert len(exports(stack)) == 1, "filters: format square only, and no FR region in the request"
        stack.start_worker("export")
        wait_exports(stack, 1, status="failed")
        failed = client.get("/api/v1/exports?status=failed").get_json()
        assert len(failed) == 1 and failed[0]["tries"] == 4
        assert "HTTP 500" in failed[0]["error"] and "flaky" in failed[0]["error"]
        assert client.post(f"/api/v1/exports/{failed[0]['id']}/retry").status_code == 202
        again = client.post(f"/api/v1/exports/{failed[0]['id']}/retry")
        assert again.status_code in (202, 409)
        origin.fail_puts = 0
        wait_exports(stack, 1)
        assert sum(origin.successful_puts().values()) == 3   # jpeg, webp, manifest: each once
        assert client.post(f"/api/v1/exports/{failed[0]['id']}/retry").status_code == 409
    finally:
        origin.stop()


def test_pull_feed_since_cursor(xstack):
    stack, client = xstack, xstack.app.test_client()
    req = render_request(stack, client, ["en-US", "fr-FR"], ["square"])
    empty = client.get("/api/v1/exports/feed").get_json()
    assert empty == {"items": [], "next_cursor": 0}
    approve_all(stack, req["id"])
    page = client.get("/api/v1/exports/feed?limit=1").get_json()
    assert len(page["items"]) == 1
    rest = client.get(f"/api/v1/exports/feed?cursor={page['next_cursor']}").get_json()
    items = page["items"] + rest["items"]
    assert [i["locale"] for i in items] == ["en-US", "fr-FR"]
    vs = {v.id: v for v in variants(stack)}
    for item in items:
        v = vs[item["variant_id"]]
        assert item["current"] and item["revision"] == v.revision
        assert {f["sha256"] for f in item["files"]} == {a["sha256"] for a in v.assets.values()}
        for f in item["files"]:
            got = client.get(f["download_url"])
            assert hashlib.sha256(got.data).hexdigest() == f["sha256"]
    assert client.get(f"/api/v1/exports/feed?cursor={rest['next_cursor']}").get_json()["items"] == []
    assert client.get("/api/v1/exports/feed?cursor=-1").status_code == 422


def test_target_validation_errors_name_the_problem(xstack):
    client = xstack.app.test_client()
    cases = [
        ({"name": "a", "kind": "ftp", "url": "http://127.0.0.1/"}, "kind"),
        ({"name": "a", "kind": "s3", "url": "http://127.0.0.1:9"}, "bucket"),
        ({"name": "a", "kind": "webhook", "url": "http://127.0.0.1:9/"}, "secret"),
        ({"name": "a", "kind": "webhook", "url": "http://127.0.0.1:9/", "secret_refs": {"secret": "lower-case"}},
         "environment variables"),
        ({"name": "a", "kind": "http-put", "url": "gopher://127.0.0.1/"}, "scheme"),
        ({"name": "a", "kind": "http-put", "url": "http://127.0.0.1/", "formats": ["poster", "nope"]}, "nope"),
        ({"name": "a", "kind": "http-put", "url": "http://127.0.0.1/", "options": {"mode": "rsync"}}, "mode"),
        ({"name": "a", "kind": "http-put", "url": "http://127.0.0.1/", "encodings": ["jpeg", "png"]}, "unknown encoding(s) 'png'"),
        ({"name": "a", "kind": "http-put", "url": "http://127.0.0.1/", "encodings": []}, "at least one"),
        ({"name": "a", "kind": "http-put", "url": "http://127.0.0.1/", "encodings": ["avif", "avif"]}, "once"),
    ]
    for body, word in cases:
        resp = client.post("/api/v1/export-targets", json=body)
        assert resp.status_code == 422, (body, resp.get_data(as_text=True))
        assert word in resp.get_json()["message"], (word, resp.get_json())
    ok = add_target(client, name="a", kind="http-put", url="http://127.0.0.1:9/")
    assert ok["encodings"] == ["jpeg", "webp"]            # what a target names nothing delivers
    assert client.patch(f"/api/v1/export-targets/{ok['id']}", json={"encodings": ["gif"]}).status_code == 422
    avif = client.patch(f"/api/v1/export-targets/{ok['id']}", json={"encodings": ["avif"]})
    assert avif.status_code == 200 and avif.get_json()["encodings"] == ["avif"]
    assert client.post("/api/v1/export-targets", json={"name": "a", "kind": "http-put",
                                                       "url": "http://127.0.0.1:9/"}).status_code == 409
    patched = client.patch(f"/api/v1/export-targets/{ok['id']}", json={"enabled": False, "regions": ["fr"]})
    assert patched.status_code == 200 and patched.get_json()["regions"] == ["FR"]
    assert client.delete(f"/api/v1/export-targets/{ok['id']}").status_code == 204
    assert client.get(f"/api/v1/export-targets/{ok['id']}").status_code == 404


@pytest.mark.parametrize("db_kind", ["postgres"])
def test_s3_export_on_postgres(tmp_path, monkeypatch, pg_database, s3, own_redis, db_kind):
    """The same path on PostgreSQL: claims, the manifest lock and uniqueness under a real server."""
    stack = export_stack(tmp_path, monkeypatch, pg_database, REDIS_URL=own_redis.url)
    try:
        client = stack.app.test_client()
        s3_client(s3).create_bucket(Bucket="pg-assets")
        add_target(client, name="pg-s3", kind="s3", url=s3.url, options={"bucket": "pg-assets"},
                   secret_refs={"access_key_id": "MARQUEE_TEST_S3_KEY", "secret_access_key": "MARQUEE_TEST_S3_SECRET"})
        req = render_request(stack, client, ["es-MX", "pt-BR"], ["square"])
        approve_all(stack, req["id"])
        stack.start_worker("export")
        stack.start_worker("export")   # two workers racing on one manifest
        wait_exports(stack, 2)
        keys = [o["Key"] for o in s3_client(s3).list_objects_v2(Bucket="pg-assets")["Contents"]]
        assert len(keys) == 5
        manifest_key = next(k for k in keys if "/manifests/" in k)
        manifest = json.loads(s3_client(s3).get_object(Bucket="pg-assets", Key=manifest_key)["Body"].read())
        assert sorted({a["locale"] for a in manifest["assets"]}) == ["es-MX", "pt-BR"] and len(manifest["assets"]) == 4
        assert all(n == 1 for p, n in s3.puts("/pg-assets/").items() if "/manifests/" not in p)
    finally:
        stack.stop_all()
        drop_schema(stack)


def test_reconciler_schedules_an_approval_whose_hook_died(xstack):
    """The hook recorded the approval, then the process died before creating exports: the reconciler
    finds the approval and exports it. A target created later does not backfill old approvals."""
    stack, client = xstack, xstack.app.test_client()
    origin = PutOrigin().start()
    try:
        add_target(client, name="origin", kind="http-put", url=origin.url)
        req = render_request(stack, client, ["ko-KR"], ["square"])
        with stack.app.app_context():
            from app.extensions import db
            from app.models import FeedEntry, Variant
            from app.models.base import utcnow
            from app.services.exports.feed import next_feed_seq
            from app.services.exports.reconcile import reconcile_exports

            v = db.session.scalars(db.select(Variant).where(Variant.request_id == req["id"])).one()
            v.status, v.approved_by, v.approved_at = "approved", "carol@example.com", utcnow()
            db.session.add(FeedEntry(variant_id=v.id, revision=v.revision, seq=next_feed_seq()))
            db.session.commit()
            assert exports(stack) == []
            done = reconcile_exports()
            assert [d["reason"] for d in done] == ["approved, never scheduled"]
            assert reconcile_exports() == []   # scheduled once, not again
        stack.start_worker("export")
        wait_exports(stack, 1)
        assert sum(origin.successful_puts().values()) == 3
        add_target(client, name="late", kind="http-put", url=origin.url + "/late")
        with stack.app.app_context():
            from app.services.exports.reconcile import reconcile_exports

            assert reconcile_exports() == [] and len(exports(stack)) == 1
    finally:
        origin.stop()


def test_revision_superseded_before_export_is_not_sent(xstack):
    """Re-rendered (new revision, approval cleared) between approval and export: nothing leaves."""
    stack, client = xstack, xstack.app.test_client()
    origin = PutOrigin().start()
    secret_rx = WebhookReceiver(WHSEC).start()
    try:
        add_target(client, name="origin", kind="http-put", url=origin.url)
        add_target(client, name="hook", kind="webhook", url=secret_rx.url, secret_refs={"secret": "MARQUEE_TEST_WHSEC"})
        req = render_request(stack, client, ["th-TH"], ["square"])
        approve_all(stack, req["id"])
        with stack.app.app_context():
            from app.extensions import db
            from app.models import Variant
            from app.services.exports.running import run_export

            v = db.session.scalars(db.select(Variant).where(Variant.request_id == req["id"])).one()
            v.revision, v.status, v.approved_by, v.approved_at = 2, "queued", None, None
            db.session.commit()
            storage = next(e for e in exports(stack) if e.target_id == 1)
            assert run_export(storage.id) == "superseded"
        states = {e.target_id: (e.status, e.error) for e in exports(stack)}
        assert states[1][0] == "superseded" and "revision 2" in states[1][1]
        assert states[2][0] == "superseded"
        assert origin.log == [] and secret_rx.deliveries == []
        assert client.post(f"/api/v1/exports/{storage.id}/retry").status_code == 409
    finally:
        origin.stop()
        secret_rx.stop()


def test_roles_targets_admin_only_feed_for_integrations(xstack):
    admin = xstack.app.test_client()
    tokens = {}
    for name, role in (("mkt", "marketing"), ("cdn-bot", "integration"), ("rev", "reviewer")):
        body = {"username": name, "role": role, "locales": [], "regions": ["US"] if role == "reviewer" else []}
        if role != "integration":
            body["password"] = "correct horse battery"
        user = admin.post("/api/v1/users", json=body)
        assert user.status_code == 201, user.get_data(as_text=True)
        tokens[role] = admin.post(f"/api/v1/users/{user.get_json()['id']}/tokens", json={"name": "t"}).get_json()["token"]
    target = add_target(admin, name="origin", kind="http-put", url="http://127.0.0.1:9/")
    body = {"name": "x", "kind": "http-put", "url": "http://127.0.0.1:9/"}
    for role in ("marketing", "integration", "reviewer"):
        c = xstack.app.test_client(as_token=tokens[role])
        assert c.get("/api/v1/export-targets").status_code == 403, role
        assert c.post("/api/v1/export-targets", json=body).status_code == 403, role
        assert c.patch(f"/api/v1/export-targets/{target['id']}", json={"enabled": False}).status_code == 403, role
    integration = xstack.app.test_client(as_token=tokens["integration"])
    assert integration.get("/api/v1/exports/feed").status_code == 200
    assert integration.get("/api/v1/exports").status_code == 200
    assert integration.post("/api/v1/exports/1/retry").status_code == 403
    assert xstack.app.test_client(as_token=None).get("/api/v1/exports/feed").status_code == 401
