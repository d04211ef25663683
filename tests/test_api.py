"""REST API behaviour beyond the happy path: spec, key-art ingest, kit versions, variant detail."""
from __future__ import annotations

import hashlib
import io
import shutil

import numpy as np
from PIL import Image, ImageCms

from tests.conftest import jpeg_bytes, seed_campaign


def test_openapi_spec_is_generated_from_code(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for p in ("/api/v1/requests", "/api/v1/requests/{request_id}/progress", "/api/v1/titles/{title_id}/key-art",
              "/api/v1/variants/{variant_id}", "/api/v1/brand-kits/import"):
        assert p in paths, sorted(paths)
    post = paths["/api/v1/requests"]["post"]
    assert "202" in post["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in post.get("parameters", []))


def _upload(client, title_id, data, name="a.jpg"):
    return client.post(f"/api/v1/titles/{title_id}/key-art", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_exif_orientation_applied_and_original_kept_byte_exact(sqlite_stack, astronaut):
    client = sqlite_stack.app.test_client()
    s = seed_campaign(client)
    wide = astronaut.crop((0, 0, 512, 300))  # 512x300, landscape
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    data = jpeg_bytes(wide, exif=exif.tobytes())
    resp = _upload(client, s["title"]["id"], data)
    assert resp.status_code == 201
    art = resp.get_json()
    assert (art["width"], art["height"]) == (300, 512)  # working copy is upright (portrait)
    assert art["sha256"] == hashlib.sha256(data).hexdigest()
    original = client.get(f"/api/v1/key-art/{art['id']}/original")
    assert original.data == data and original.mimetype == "image/jpeg"
    again = _upload(client, s["title"]["id"], data)
    assert again.status_code == 200 and again.get_json()["id"] == art["id"]


ADOBE_RGB = "/usr/share/color/icc/compatibleWithAdobeRGB1998.icc"  # Debian's icc-profiles-free


def test_adobe_rgb_key_art_converted_to_srgb_working_copy(sqlite_stack):
    client = sqlite_stack.app.test_client()
    s = seed_campaign(client)
    icc = open(ADOBE_RGB, "rb").read()
    tagged = Image.new("RGB", (320, 320), (40, 190, 60))  # a green well inside Adobe RGB, outside sRGB's
    buf = io.BytesIO()
    tagged.save(buf, "TIFF", icc_profile=icc)
    data = buf.getvalue()
    resp = _upload(client, s["title"]["id"], data, "adobe.tif")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    art = resp.get_json()
    assert art["mime"] == "image/tiff" and "adobe" in art["color_profile"].lower()
    with sqlite_stack.app.app_context():
        from app.models import KeyArt
        from app.extensions import db
        from app.services import blob_store

        row = db.session.get(KeyArt, art["id"])
        working = Image.open(io.BytesIO(blob_store().get(row.working_key))).convert("RGB")
        assert blob_store().get(row.original_key) == data
    expected = ImageCms.profileToProfile(tagged, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                         ImageCms.createProfile("sRGB"), outputMode="RGB")
    got = np.asarray(working, dtype=int)[32, 32]
    assert np.abs(got - np.asarray(expected, dtype=int)[32, 32]).max() <= 2
    assert np.abs(got - np.array([40, 190, 60])).max() > 15, got  # really converted, not passed through


def test_kit_import_is_versioned_and_immutable(sqlite_stack, tmp_path):
    app = sqlite_stack.app
    kits = tmp_path / "kits"
    shutil.copytree(app.config["BRAND_KITS_DIR"], kits)
    app.config["BRAND_KITS_DIR"] = str(kits)
    client = app.test_client()
    first = client.post("/api/v1/brand-kits/import", json={"folder": "marquee-default"})
    assert first.status_code == 201 and first.get_json()["version"] == 1
    same = client.post("/api/v1/brand-kits/import", json={"folder": "marquee-default"})
    assert same.status_code == 200 and same.get_json()["id"] == first.get_json()["id"]
    kit_yaml = kits / "marquee-default" / "kit.yaml"
    kit_yaml.write_text(kit_yaml.read_text().replace('text: "#ffffff"', 'text: "#fff8e0"'))
    changed = client.post("/api/v1/brand-kits/import", json={"folder": "marquee-default"})
    assert changed.status_code == 201 and changed.get_json()["version"] == 2
    listed = client.get("/api/v1/brand-kits").get_json()
    assert [k["version"] for k in listed] == [1, 2]
    assert client.get(f"/api/v1/brand-kits/{first.get_json()['id']}").get_json()["spec"]["palette"]["text"] == "#ffffff"


def test_title_localizations_and_releases_round_trip(client):
    s = seed_campaign(client)
    title = client.get(f"/api/v1/titles/{s['title']['id']}").get_json()
    assert len(title["localizations"]) == 19
    ja = next(l for l in title["localizations"] if l["locale"] == "ja-JP")
    assert ja["title"] == "軌道の彼方へ"
    de = next(r for r in title["releases"] if r["region"] == "DE")
    assert de["age_rating"] == "FSK 12" and de["release_date"] == "2027-03-05"
    dup = client.post("/api/v1/titles", json={"slug": s["title"]["slug"], "original_title": "x",
                                              "original_locale": "en-US"})
    assert dup.status_code == 409 and "already exists" in dup.get_json()["message"]
