"""Nothing lost, nothing duplicated: a Redis restart or a SIGKILLed export worker in the middle of an export."""
from __future__ import annotations

import time

import pytest

from tests.conftest import wait_for
from tests.export_servers import PutOrigin, RedisServer
from tests.test_export import add_target, approve_all, export_stack, exports, render_request, variants

pytestmark = [pytest.mark.service, pytest.mark.usefixtures("busy_cpus")]


def _asset_puts(origin: PutOrigin) -> dict[str, int]:
    return {p: n for p, n in origin.successful_puts().items() if "/manifests/" not in p}


def test_redis_restart_mid_export_of_50_assets(tmp_path, monkeypatch):
    redis = RedisServer(tmp_path).start()
    origin = PutOrigin(put_delay_s=0.12).start()   # slow enough to be caught in the middle
    stack = export_stack(tmp_path, monkeypatch, REDIS_URL=redis.url)
    try:
        client = stack.app.test_client()
        add_target(client, name="origin", kind="http-put", url=origin.url + "/cdn")
        # 25 variants x (JPEG + WebP) = 50 files; the WebP is made on demand by the export itself.
        req = render_request(stack, client, ["en-US", "fr-FR", "de-DE", "ja-JP", "pt-BR"],
                             ["poster", "square", "thumbnail-small", "link-card", "story"])
        slug = client.get(f"/api/v1/titles/{req['title_id']}").get_json()["slug"]
        assert all(set(v.assets) == {"jpeg"} for v in variants(stack))  # the master only, before export
        approve_all(stack, req["id"])
        stack.start_worker("export")
        stack.start_worker("export")

        wait_for(lambda: len(_asset_puts(origin)) >= 8, timeout=120, interval=0.05, what="export under way")
        arrived_before = len(_asset_puts(origin))
        run_id = redis_run_id(redis)
        redis.stop()                      # Redis dies: queue, jobs, locks: gone
        time.sleep(1.0)
        redis.start()                     # and comes back empty (no persistence)
        # A new server process that kept nothing. (Workers reconnect at once and re-register,
        # so the keyspace is not checked for emptiness: only that no queued job survived.)
        assert redis_run_id(redis) != run_id
        assert not lost_jobs_survived(redis)
        assert arrived_before < 50, "the restart must hit the middle of the export"

        try:
            wait_for(lambda: len(exports(stack)) == 25 and all(e.status == "done" for e in exports(stack)),
                     timeout=240, interval=0.5, what="every export done after the Redis restart")
        except AssertionError:
            raise AssertionError(f"{[(e.id, e.status, e.error) for e in exports(stack)]}\n{stack.worker_logs()}")
        expected = {f"/cdn/{slug}/{v.locale}/{v.format}/{a['sha256'][:16]}.{a['ext']}" for v in variants(stack)
                    for a in v.assets.values()}
        assert len(expected) == 50
        puts = _asset_puts(origin)
        assert set(puts) == expected, "every file arrived"
        assert all(n == 1 for n in puts.values()), {p: n for p, n in puts.items() if n != 1}
        assert sum(e.sent for e in exports(stack)) == 50
        for path in expected:
            body, headers = origin.objects[path]
            assert path.rsplit("/", 1)[1].split(".")[0] == headers["X-Checksum-Sha256"][:16]
        alive = [p for p in stack.workers if p.poll() is None]
        print(f"arrived before restart: {arrived_before}/50; workers alive after: {len(alive)}/{len(stack.workers)}")
    finally:
        stack.stop_all()
        origin.stop()
        redis.stop()


def redis_run_id(redis: RedisServer) -> str:
    from redis import Redis

    return Redis.from_url(redis.url).info("server")["run_id"]


def lost_jobs_survived(redis: RedisServer) -> bool:
    """True if any export job hash outlived the restart (it must not: no persistence)."""
    from redis import Redis

    return any(True for _ in Redis.from_url(redis.url).scan_iter("rq:job:*"))


def test_sigkilled_export_worker_is_taken_over_without_duplicates(tmp_path, monkeypatch):
    redis = RedisServer(tmp_path).start()
    origin = PutOrigin(put_delay_s=0.5).start()
    stack = export_stack(tmp_path, monkeypatch, REDIS_URL=redis.url)
    try:
        client = stack.app.test_client()
        add_target(client, name="origin", kind="http-put", url=origin.url)
        req = render_request(stack, client, ["en-US", "it-IT"], ["square", "poster"])
        approve_all(stack, req["id"])
        worker = stack.start_worker("export")
        wait_for(lambda: len(_asset_puts(origin)) >= 1 and any(e.status == "running" for e in exports(stack)),
                 timeout=60, interval=0.05, what="an export running")
        stack.kill_worker(worker)
        running = [e.id for e in exports(stack) if e.status == "running"]
        assert running, "the kill must interrupt an export"
        stack.start_worker("export")
        try:
            wait_for(lambda: all(e.status == "done" for e in exports(stack)), timeout=120,
                     what="the interrupted export taken over (heartbeat stale) and finished")
        except AssertionError:
            raise AssertionError(f"{[(e.id, e.status, e.error) for e in exports(stack)]}\n{stack.worker_logs()}")
        puts = _asset_puts(origin)
        assert len(puts) == 8 and all(n == 1 for n in puts.values()), puts
        with stack.app.app_context():
            from app.extensions import db
            from app.models import AuditEvent

            requeued = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "export.requeued")).all()
            assert {e.entity_id for e in requeued} >= set(running)
    finally:
        stack.stop_all()
        origin.stop()
        redis.stop()
