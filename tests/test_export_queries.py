"""The export reads shared by the API, the UI and the CLI (app.services.exports.queries): a list
costs the same number of SQL statements however long it is, because each export's target,
variant and webhook delivery are read with it, never one more query per row."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import event

from review_helpers import create_request
from tests.conftest import seed_campaign

LOCALES = ["en-US", "fr-FR", "de-DE"]
FORMATS = ["square", "poster"]


@contextmanager
def counted_statements(app) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block."""
    from app.extensions import db

    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _seed_exports(app, client) -> tuple[int, dict[int, str]]:
    """Six variants, each exported to a storage target and a webhook target (rows written
    directly: no worker, no target is contacted). Returns the request id and, per webhook
    export, the id of its delivery."""
    from app.extensions import db
    from app.models import Export, ExportTarget, Variant, WebhookDelivery

    req = create_request(client, seed_campaign(client), LOCALES, FORMATS)
    deliveries: dict[int, str] = {}
    with app.app_context():
        bucket = ExportTarget(name="bucket", kind="http-put", url="https://cdn.example/up", options={}, secret_refs={})
        hook = ExportTarget(name="hook", kind="webhook", url="https://dam.example/hook", options={},
                            secret_refs={"secret": "HOOK_SECRET"})
        db.session.add_all([bucket, hook])
        db.session.flush()
        for v in db.session.scalars(db.select(Variant).where(Variant.request_id == req["id"]).order_by(Variant.id)):
            for target, status in ((bucket, "done"), (hook, "pending")):
                exp = Export(target_id=target.id, variant_id=v.id, revision=v.revision, request_id=v.request_id,
                             status=status, tries=1, sent=1)
                db.session.add(exp)
                db.session.flush()
                if target is hook:
                    deliveries[exp.id] = f"msg_{exp.id}"
                    db.session.add(WebhookDelivery(id=deliveries[exp.id], export_id=exp.id, event_type="asset.exported",
                                                   body="{}", status="pending", tries=0))
        db.session.commit()
    return req["id"], deliveries


def test_export_list_reads_its_deliveries_and_targets_in_one_query(sqlite_stack):
    app = sqlite_stack.app
    client = app.test_client()
    request_id, deliveries = _seed_exports(app, client)

    with counted_statements(app) as one:
        short = client.get(f"/api/v1/exports?request_id={request_id}&limit=1")
    with counted_statements(app) as all_:
        full = client.get(f"/api/v1/exports?request_id={request_id}")
    assert short.status_code == full.status_code == 200
    rows = full.get_json()
    assert len(short.get_json()) == 1 and len(rows) == 2 * len(LOCALES) * len(FORMATS)
    assert len(all_) == len(one), all_  # twelve rows cost what one row costs

    for row in rows:
        if row["kind"] == "webhook":
            assert row["target"] == "hook" and row["webhook"]["id"] == deliveries[row["id"]], row
            assert row["webhook"]["status"] == "pending" and row["webhook"]["tries"] == 0
        else:
            assert row["target"] == "bucket" and row["webhook"] is None, row

    some = next(iter(deliveries))
    detail = client.get(f"/api/v1/exports/{some}").get_json()
    assert detail["webhook"]["id"] == deliveries[some] and detail == next(r for r in rows if r["id"] == some)


def test_newest_first_list_and_counts_for_the_pages(sqlite_stack):
    """What the UI shows: the newest exports with their target and variant loaded, and the counts
    by status of a request."""
    from app.services.exports import queries

    app = sqlite_stack.app
    request_id, _ = _seed_exports(app, app.test_client())
    with app.app_context():
        with counted_statements(app) as seen:
            page = queries.list_exports(request_id=request_id, newest_first=True, limit=5)
            shown = [(e.id, e.target.name, e.variant.locale) for e in page]
        assert len(seen) == 1, seen
        assert [i for i, _, _ in shown] == sorted((i for i, _, _ in shown), reverse=True) and len(shown) == 5
        assert queries.export_counts(request_id) == {"done": 6, "pending": 6}
        assert queries.published_manifests(request_id) == []
        assert [t.name for t in queries.targets_by_name()] == ["bucket", "hook"]
