"""API -> Redis -> a real worker process -> JPEGs of the right sizes, on SQLite and PostgreSQL."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from app.render.formats import FORMATS
from tests.conftest import seed_campaign, wait_for, wait_request_settled

pytestmark = pytest.mark.service


def test_request_renders_on_real_worker(stack):
    client = stack.app.test_client()
    seeded = seed_campaign(client)
    formats = list(FORMATS)
    resp = client.post("/api/v1/requests", json={
        "title_id": seeded["title"]["id"], "key_art_id": seeded["art"]["id"],
        "brand_kit_id": seeded["kit"]["id"], "locales": ["en-US", "ar-SA", "ja-JP"], "formats": formats},
        headers={"Idempotency-Key": "e2e-1"})
    assert resp.status_code == 202, resp.get_data(as_text=True)
    req = resp.get_json()
    assert len(req["variants"]) == 3 * len(formats)
    assert {v["status"] for v in req["variants"]} == {"queued"}

    again = client.post("/api/v1/requests", json={
        "title_id": seeded["title"]["id"], "key_art_id": seeded["art"]["id"],
        "brand_kit_id": seeded["kit"]["id"], "locales": ["en-US"], "formats": ["poster"]},
        headers={"Idempotency-Key": "e2e-1"})
    assert again.status_code == 202 and again.get_json()["id"] == req["id"]

    stack.start_worker("render")
    prog = wait_request_settled(client, stack, req["id"], timeout=240)
    assert prog["rendered"] == prog["total"] == 3 * len(formats), prog

    for v in client.get(f"/api/v1/requests/{req['id']}").get_json()["variants"]:
        fmt = FORMATS[v["format"]]
        img_resp = client.get(v["links"]["jpeg"])
        assert img_resp.status_code == 200
        assert img_resp.mimetype == "image/jpeg"
        assert img_resp.headers["ETag"].strip('"') == v["assets"]["jpeg"]["sha256"]
        img = Image.open(io.BytesIO(img_resp.data))
        assert img.format == "JPEG" and img.size == (fmt.width, fmt.height)
        cached = client.get(v["links"]["jpeg"], headers={"If-None-Match": img_resp.headers["ETag"]})
        assert cached.status_code == 304
        webp = client.get(v["links"]["webp"])
        assert webp.mimetype == "image/webp"
        assert Image.open(io.BytesIO(webp.data)).size == (fmt.width, fmt.height)
        assert v["report"]["faces_whole"] is True

    with stack.app.app_context():
        from app.extensions import db
        from app.models import Variant

        counts = [v.render_count for v in db.session.scalars(db.select(Variant)).all()]
        assert counts == [1] * len(counts)


def test_failed_render_records_the_error(sqlite_stack):
    stack = sqlite_stack
    client = stack.app.test_client()
    seeded = seed_campaign(client)
    with stack.app.app_context():
        from app.extensions import db
        from app.models import KeyArt
        from app.services import blob_store

        blob_store().delete(db.session.get(KeyArt, seeded["art"]["id"]).working_key)
    req = client.post("/api/v1/requests", json={
        "title_id": seeded["title"]["id"], "key_art_id": seeded["art"]["id"],
        "brand_kit_id": seeded["kit"]["id"], "locales": ["it-IT"], "formats": ["square"]}).get_json()
    stack.start_worker("render")
    vid = req["variants"][0]["id"]
    v = wait_for(lambda: (lambda d: d if d["status"] == "failed" else None)(
        client.get(f"/api/v1/variants/{vid}").get_json()), timeout=60, what="the failure to be recorded")
    assert v["error"].startswith("FileNotFoundError") and v["assets"] is None
    assert client.get(f"/api/v1/requests/{req['id']}/progress").get_json()["failed"] == 1
    img = client.get(f"/api/v1/variants/{vid}/image.jpeg")
    assert img.status_code == 409 and "failed" in img.get_json()["message"]
