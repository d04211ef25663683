"""Encode on demand: a render stores only the JPEG master; WebP and AVIF are made from it when
first asked for, recorded beside it, and served from the blob store after that."""
from __future__ import annotations

import io
import re

import numpy as np
from PIL import Image

from PIL import features

from app.render.encode import DERIVE_VERSION, derive, encode
from tests.review_helpers import logged_in, make_people, seeded_campaign


def _one_rendered_variant(app, locale: str, fmt: str) -> int:
    """A campaign with one variant, rendered in this process (JPEG master only): its id."""
    _seeded, req = seeded_campaign(app, locales=(locale,), formats=(fmt,))
    return req["variants"][0]["id"]


def test_derive_is_the_master_pixels_in_another_encoding(astronaut):
    master = encode(astronaut.resize((300, 450)), "jpeg")
    webp = derive(master.data, "webp")
    assert webp.kind == "webp" and Image.open(io.BytesIO(webp.data)).format == "WEBP"
    a = np.asarray(Image.open(io.BytesIO(master.data)).convert("RGB"), dtype=np.int16)
    b = np.asarray(Image.open(io.BytesIO(webp.data)).convert("RGB"), dtype=np.int16)
    assert a.shape == b.shape
    assert np.abs(a - b).mean() < 3.0   # quality 86 of the same decoded pixels
    try:
        derive(master.data, "jpeg")
    except ValueError as exc:
        assert "not derived" in str(exc)
    else:
        raise AssertionError("the master is never derived")


def test_render_stores_jpeg_and_webp_is_made_once_on_demand(sqlite_stack):
    app = sqlite_stack.app
    client = app.test_client()
    vid = _one_rendered_variant(app, "en-US", "banner")

    v = client.get(f"/api/v1/variants/{vid}").get_json()
    assert set(v["assets"]) == {"jpeg"}                 # only the master at render time
    assert set(v["links"]) >= {"jpeg", "webp"}           # webp is still offered
    with app.app_context():
        from app.services import blob_store
        before = blob_store().count()

    first = client.get(v["links"]["webp"])
    assert first.status_code == 200 and first.mimetype == "image/webp"
    assert Image.open(io.BytesIO(first.data)).size == (v["width"], v["height"])
    after = client.get(f"/api/v1/variants/{vid}").get_json()
    rec = after["assets"]["webp"]
    assert rec["from"] == v["assets"]["jpeg"]["sha256"] and rec["v"] == DERIVE_VERSION
    assert first.headers["ETag"].strip('"') == rec["sha256"]
    assert after["assets"]["jpeg"] == v["assets"]["jpeg"]
    with app.app_context():
        from app.services import blob_store
        assert blob_store().count() == before + 1

    second = client.get(v["links"]["webp"], headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 304
    again = client.get(v["links"]["webp"])
    assert again.data == first.data
    with app.app_context():
        from app.services import blob_store
        assert blob_store().count() == before + 1        # served from the store, not encoded again

    missing = client.get(f"/api/v1/variants/{vid}/image.png")
    assert missing.status_code == 404
    assert missing.get_json()["message"] == f"variant {vid} has no 'png' encoding; offered: jpeg, webp, avif"


def test_avif_is_the_master_pixels_smaller_than_webp(astronaut):
    """Pillow's wheels carry libavif (setup installs them); without it this fails rather than skips."""
    assert features.check("avif"), "Pillow was built without AVIF support"
    master = encode(astronaut.resize((600, 900)), "jpeg")
    avif, webp = derive(master.data, "avif"), derive(master.data, "webp")
    img = Image.open(io.BytesIO(avif.data))
    assert img.format == "AVIF" and avif.mime == "image/avif" and avif.ext == "avif"
    a = np.asarray(Image.open(io.BytesIO(master.data)).convert("RGB"), dtype=np.int16)
    b = np.asarray(img.convert("RGB"), dtype=np.int16)
    assert a.shape == b.shape
    assert np.abs(a - b).mean() < 3.0
    assert len(avif.data) < len(webp.data) < len(master.data)


def test_avif_is_made_once_on_demand_through_the_api(sqlite_stack):
    app = sqlite_stack.app
    client = app.test_client()
    vid = _one_rendered_variant(app, "ja-JP", "link-card")

    v = client.get(f"/api/v1/variants/{vid}").get_json()
    assert set(v["assets"]) == {"jpeg"} and set(v["links"]) >= {"jpeg", "webp", "avif"}
    first = client.get(v["links"]["avif"])
    assert first.status_code == 200 and first.mimetype == "image/avif"
    assert Image.open(io.BytesIO(first.data)).size == (v["width"], v["height"])
    after = client.get(f"/api/v1/variants/{vid}").get_json()
    assert set(after["assets"]) == {"jpeg", "avif"}       # only what was asked for was made
    assert after["assets"]["avif"]["from"] == v["assets"]["jpeg"]["sha256"]
    with app.app_context():
        from app.services import blob_store
        stored = blob_store().count()
    again = client.get(v["links"]["avif"])
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    with app.app_context():
        from app.services import blob_store
        assert blob_store().count() == stored             # served from the store, not encoded again


def test_askers_at_once_derive_each_encoding_once_and_keep_every_record(sqlite_stack, monkeypatch, busy_cpus):
    """Two exports asking for the AVIF and a third for the WebP of one variant at the same moment
    (threads, each with its own session, on a loaded host): the AVIF is encoded once and both
    askers get the same record, and neither record overwrites the other."""
    import threading
    import time

    from app.extensions import db
    from app.models import Variant
    from app.services import encodings

    app = sqlite_stack.app
    vid = _one_rendered_variant(app, "hi-IN", "link-card")

    made, real = [], encodings.derive

    def slow_derive(data: bytes, kind: str):
        made.append(kind)
        time.sleep(0.3)   # an encode long enough for the others to arrive while it runs
        return real(data, kind)

    monkeypatch.setattr(encodings, "derive", slow_derive)
    start, got, errors = threading.Barrier(3), {}, []

    def ask(i: int, kind: str) -> None:
        try:
            with app.app_context():
                v = db.session.get(Variant, vid)
                start.wait()
                got[i] = encodings.asset(v, kind)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=a) for a in ((0, "avif"), (1, "avif"), (2, "webp"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(made) == ["avif", "webp"]
    assert got[0] == got[1] and got[0]["mime"] == "image/avif" and got[2]["mime"] == "image/webp"
    with app.app_context():
        assets = db.session.get(Variant, vid).assets
    assert set(assets) == {"jpeg", "webp", "avif"}
    assert assets["avif"] == got[0] and assets["webp"] == got[2]


def test_the_variant_page_downloads_every_encoding(sqlite_stack):
    """A reviewer downloads the JPEG, WebP and AVIF from the variant page (the AVIF made on that
    first download and kept); a reviewer of another region gets no file; an unknown kind is 404."""
    app = sqlite_stack.app
    make_people(app.test_client())
    vid = _one_rendered_variant(app, "ja-JP", "thumbnail-small")
    c, _token = logged_in(app, "reviewer_jp")
    html = c.get(f"/ui/variants/{vid}").get_data(as_text=True)
    links = dict(re.findall(r'<a href="(/ui/variants/\d+/download\.\w+)" download="([^"]+)"', html))
    assert sorted(links) == sorted(f"/ui/variants/{vid}/download.{k}" for k in ("jpeg", "webp", "avif"))
    assert all(name.endswith(("-ja-JP-thumbnail-small-r1.jpg", ".webp", ".avif")) for name in links.values())
    assert "ダウンロード" in html                               # the reviewer's UI language
    for url in links:
        r = c.get(url)
        assert r.status_code == 200, url
        img = Image.open(io.BytesIO(r.data))
        assert img.format == {"jpeg": "JPEG", "webp": "WEBP", "avif": "AVIF"}[url.rsplit(".", 1)[1]]
        assert img.size == (640, 360)
    assets = app.test_client().get(f"/api/v1/variants/{vid}").get_json()["assets"]
    assert set(assets) == {"jpeg", "webp", "avif"}
    assert c.get(f"/ui/variants/{vid}/download.png").status_code == 404
    other, _ = logged_in(app, "reviewer_br")
    assert other.get(f"/ui/variants/{vid}/download.avif").status_code in (403, 404)
