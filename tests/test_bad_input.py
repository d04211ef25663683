"""Each kind of bad input gets a 4xx JSON error naming the problem, and stores nothing."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from tests.conftest import jpeg_bytes, seed_campaign


def _counts(stack) -> dict:
    with stack.app.app_context():
        from app.extensions import db
        from app.models import KeyArt, RenderRequest, Title, Variant
        from app.services import blob_store

        return {"key_art": db.session.query(KeyArt).count(), "requests": db.session.query(RenderRequest).count(),
                "variants": db.session.query(Variant).count(), "titles": db.session.query(Title).count(),
                "blobs": blob_store().count()}


@pytest.fixture
def seeded(sqlite_stack):
    client = sqlite_stack.app.test_client()
    return sqlite_stack, client, seed_campaign(client)


def _upload(client, title_id: int, data: bytes, name: str = "art.jpg"):
    return client.post(f"/api/v1/titles/{title_id}/key-art", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image: the classic decompression bomb."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = zlib.compress(b"\x00" * (width + 1) * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def _assert_error(resp, status: int, *words: str) -> None:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.is_json, resp.get_data(as_text=True)[:200]
    message = resp.get_json()["message"].lower()
    for w in words:
        assert w.lower() in message, message


@pytest.mark.parametrize("name,data,words", [
    ("not-an-image", b"%PDF-1.4 this is a pdf, not a picture" * 10, ["not an image"]),
    ("empty", b"", ["empty"]),
    ("truncated", None, ["truncated"]),
    ("bomb", _bomb_png(20000, 20000), ["decompression bomb"]),
    ("bmp", None, ["unsupported image format bmp"]),  # GIF is accepted now (its first frame)
])
def test_bad_upload_is_refused_and_nothing_stored(seeded, astronaut, name, data, words):
    stack, client, s = seeded
    if name == "truncated":
        full = jpeg_bytes(astronaut)
        data = full[: len(full) // 2]
    if name == "bmp":
        buf = io.BytesIO()
        astronaut.save(buf, "BMP")
        data = buf.getvalue()
    before = _counts(stack)
    _assert_error(_upload(client, s["title"]["id"], data), 422, *words)
    assert _counts(stack) == before


def test_upload_over_size_limit(tmp_path):
    from tests.conftest import make_stack

    stack = make_stack(tmp_path, f"sqlite:///{tmp_path / 'var' / 'm.db'}", MARQUEE_MAX_UPLOAD_MB="1")
    client = stack.app.test_client()
    s = seed_campaign(client)
    before = _counts(stack)
    noise = Image.effect_noise((1400, 1400), 80).convert("RGB")
    big = jpeg_bytes(noise)
    assert len(big) > 1024 * 1024
    _assert_error(_upload(client, s["title"]["id"], big), 413, "larger than the limit of 1 mib")
    assert _counts(stack) == before


def test_upload_without_file_field(seeded):
    stack, client, s = seeded
    resp = client.post(f"/api/v1/titles/{s['title']['id']}/key-art", data={"other": "x"},
                       content_type="multipart/form-data")
    _assert_error(resp, 422, "file")


def test_upload_for_missing_title(seeded, astronaut):
    stack, client, _ = seeded
    before = _counts(stack)
    _assert_error(_upload(client, 9999, jpeg_bytes(astronaut)), 404, "title 9999 does not exist")
    assert _counts(stack) == before


def _request(client, s, **over):
    body = {"title_id": s["title"]["id"], "key_art_id": s["art"]["id"], "brand_kit_id": s["kit"]["id"],
            "locales": ["en-US"], "formats": ["poster"]}
    body.update(over)
    return client.post("/api/v1/requests", json=body)


@pytest.mark.parametrize("over,status,words", [
    ({"locales": ["xx-YY"]}, 422, ["xx-yy"]),
    ({"locales": ["en-GB"]}, 422, ["not supported"]),
    ({"formats": ["billboard"]}, 422, ["unknown format", "billboard"]),
    ({"locales": []}, 422, ["matrix is empty"]),
    ({"formats": []}, 422, ["matrix is empty"]),
    ({"title_id": 4242}, 404, ["title 4242 does not exist"]),
    ({"brand_kit_id": 4242}, 404, ["brand kit 4242 does not exist"]),
    ({"key_art_id": 4242}, 404, ["key art 4242 does not exist"]),
    ({"locales": "en-US"}, 422, ["locales"]),
])
def test_bad_request_matrix(seeded, over, status, words):
    stack, client, s = seeded
    before = _counts(stack)
    _assert_error(_request(client, s, **over), status, *words)
    assert _counts(stack) == before


def test_missing_fields(seeded):
    stack, client, s = seeded
    before = _counts(stack)
    resp = client.post("/api/v1/requests", json={"locales": ["en-US"]})
    _assert_error(resp, 422, "title_id", "missing")
    assert _counts(stack) == before


def test_malformed_json(seeded):
    stack, client, s = seeded
    before = _counts(stack)
    resp = client.post("/api/v1/requests", data=b'{"title_id": 1,,,', content_type="application/json")
    _assert_error(resp, 400, "not valid json")
    assert _counts(stack) == before


def test_unknown_kit_folder(seeded):
    stack, client, _ = seeded
    _assert_error(client.post("/api/v1/brand-kits/import", json={"folder": "nope"}), 404, "no brand kit folder")
    _assert_error(client.post("/api/v1/brand-kits/import", json={"folder": "../etc"}), 400, "lowercase")


def test_unknown_route_and_missing_variant_are_json(seeded):
    stack, client, _ = seeded
    _assert_error(client.get("/api/v1/variants/777"), 404, "variant 777 does not exist")
    _assert_error(client.get("/api/v1/nothing-here"), 404, "not found")


def test_title_with_unknown_locale(seeded):
    stack, client, _ = seeded
    before = _counts(stack)
    resp = client.post("/api/v1/titles", json={"slug": "x", "original_title": "X", "original_locale": "en-US",
                                               "localizations": [{"locale": "qq-ZZ", "title": "?"}]})
    _assert_error(resp, 422, "qq-zz")
    assert _counts(stack) == before
