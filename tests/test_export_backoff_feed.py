"""Backoff is scheduled, not slept: a retryable failure puts the export back to pending with its
due time (Retry-After honoured) and an RQ job scheduled for then; the reconciler re-enqueues it if
Redis loses that schedule, and not before it is due. The pull feed's cursor follows commit order
and an entry comes back when its files arrive at a target."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from tests.export_servers import PutOrigin
from tests.test_export import add_target, approve_all, exports, render_request, wait_exports  # noqa: F401
from tests.test_export import own_redis, xstack  # noqa: F401  (fixtures)

pytestmark = pytest.mark.service


def test_retry_after_schedules_the_next_try_instead_of_sleeping(xstack):
    stack, client = xstack, xstack.app.test_client()
    origin = PutOrigin(fail_puts=1, retry_after="120").start()
    try:
        add_target(client, name="busy-cdn", kind="http-put", url=origin.url)
        req = render_request(stack, client, ["it-IT"], ["square"])
        approve_all(stack, req["id"])   # enqueued on the export queue; no export worker runs yet
        app = stack.app
        app.config["EXPORT_BACKOFF_MAX_S"] = 600   # let the origin's Retry-After: 120 stand
        with app.app_context():
            from rq.registry import ScheduledJobRegistry

            from app.models.base import utcnow
            from app.services.exports.reconcile import reconcile_exports
            from app.services.exports.running import run_export
            from app.queueing import get_queue

            exp = exports(stack)[0]
            before = utcnow()
            assert run_export(exp.id) == "retrying"   # returns at once: nothing sleeps for 120 s
            row = exports(stack)[0]
            assert row.status == "pending" and row.failures == 1 and row.tries == 1
            assert "HTTP 500" in row.error and "due in 120" in row.error
            due = row.next_attempt_at.replace(tzinfo=before.tzinfo) - before
            assert timedelta(seconds=119) <= due <= timedelta(seconds=125), due
            registry = ScheduledJobRegistry(queue=get_queue("export"))
            assert row.job_id in registry.get_job_ids()
            scheduled_for = registry.get_scheduled_time(row.job_id).timestamp()
            assert abs(scheduled_for - row.next_attempt_at.timestamp()) < 2
            assert reconcile_exports() == []          # scheduled: nothing to do
            # Redis loses the schedule (restart): not re-enqueued before the export is due ...
            registry.remove(row.job_id, delete_job=True)
            assert reconcile_exports() == []
            # ... and re-enqueued once it is
            from app.extensions import db
            from app.models import Export

            past = utcnow() - timedelta(seconds=60)
            db.session.execute(db.update(Export).where(Export.id == exp.id).values(next_attempt_at=past,
                                                                                   enqueued_at=past))
            db.session.commit()
            done = reconcile_exports()
            assert [d["export"] for d in done] == [exp.id], done
        stack.start_worker("export")
        wait_exports(stack, 1)
        row = exports(stack)[0]
        assert row.failures == 0 and row.next_attempt_at is None
        assert sum(origin.successful_puts().values()) == 3   # jpeg, webp, manifest: each once
    finally:
        origin.stop()


def test_feed_entry_comes_back_when_its_files_arrive(xstack):
    stack, client = xstack, xstack.app.test_client()
    origin = PutOrigin().start()
    try:
        add_target(client, name="origin", kind="http-put", url=origin.url)
        req = render_request(stack, client, ["pl-PL"], ["square"])
        approve_all(stack, req["id"])
        first = client.get("/api/v1/exports/feed").get_json()
        assert len(first["items"]) == 1
        assert all(f["urls"] == {} for f in first["items"][0]["files"])   # approved, not yet exported
        assert client.get(f"/api/v1/exports/feed?cursor={first['next_cursor']}").get_json()["items"] == []
        stack.start_worker("export")
        wait_exports(stack, 1)
        changed = client.get(f"/api/v1/exports/feed?cursor={first['next_cursor']}").get_json()
        assert [i["variant_id"] for i in changed["items"]] == [first["items"][0]["variant_id"]]
        assert changed["next_cursor"] > first["next_cursor"]
        for f in changed["items"][0]["files"]:
            assert f["urls"]["origin"].startswith(origin.url)
        # the whole feed lists the entry once, at its latest position
        assert len(client.get("/api/v1/exports/feed").get_json()["items"]) == 1
    finally:
        origin.stop()


def test_feed_sequence_is_handed_out_in_commit_order(pg_database):
    """Two transactions taking feed numbers: the second waits until the first commits, so a puller
    can never see number N+1 while N is still invisible."""
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_database)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS export_feed_counter (id INTEGER PRIMARY KEY, value INTEGER)"))
        conn.execute(text("DELETE FROM export_feed_counter"))
        conn.execute(text("INSERT INTO export_feed_counter VALUES (1, 0)"))
    from app.models import FeedCounter
    from sqlalchemy import update

    take = update(FeedCounter).where(FeedCounter.id == 1).values(value=FeedCounter.value + 1) \
        .returning(FeedCounter.value)
    got: dict[str, float | int] = {}
    a = engine.connect()
    tx = a.begin()
    got["a"] = a.execute(take).scalar()

    def second() -> None:
        with engine.begin() as b:
            got["b"] = b.execute(take).scalar()
            got["b_at"] = time.monotonic()

    t = threading.Thread(target=second)
    t.start()
    time.sleep(0.8)
    assert "b" not in got, "the second transaction took a number while the first was uncommitted"
    committed_at = time.monotonic()
    tx.commit()
    t.join(timeout=10)
    a.close()
    assert (got["a"], got["b"]) == (1, 2) and got["b_at"] >= committed_at
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE export_feed_counter"))
    engine.dispose()
