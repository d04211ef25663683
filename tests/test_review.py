"""Review decisions on real renders: 409 on concurrent decisions, shared-flag propagation,
re-render to a new revision, and the audit trail of every decision."""
from __future__ import annotations

import threading
from pathlib import Path

from review_helpers import client_for, create_request, drop_jobs, make_people, render_inline, seeded_campaign


def admin_report(app, vid):
    return app.test_client().get(f"/api/v1/variants/{vid}").get_json()["report"]


def _japanese_thumbnail(app):
    """One rendered ja-JP thumbnail and API clients of its reviewer (Japan) and of marketing."""
    people = make_people(app.test_client())
    _seeded, req = seeded_campaign(app, locales=("ja-JP",), formats=("thumbnail-small",))
    return (req["variants"][0]["id"], client_for(app, people.tokens["reviewer_jp"]),
            client_for(app, people.tokens["marketing"]))


def _by(req, locale, fmt):
    return next(v for v in req["variants"] if v["locale"] == locale and v["format"] == fmt)


def test_concurrent_decisions_second_gets_409(stack):
    app = stack.app
    people = make_people(app.test_client())
    _seeded, req = seeded_campaign(app, locales=("ja-JP",), formats=("thumbnail-small",))
    vid = req["variants"][0]["id"]
    a, b = client_for(app, people.tokens["reviewer_jp"]), client_for(app, people.tokens["reviewer_jp2"])
    barrier = threading.Barrier(2)
    results = {}

    def approve():
        barrier.wait()
        results["approve"] = a.post(f"/api/v1/variants/{vid}/approve", json={"revision": 1})

    def flag():
        barrier.wait()
        results["flag"] = b.post(f"/api/v1/variants/{vid}/flags",
                                 json={"revision": 1, "categories": ["gesture"], "comment": "rude hand sign"})

    threads = [threading.Thread(target=approve), threading.Thread(target=flag)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    codes = sorted(r.status_code for r in results.values())
    assert codes in ([200, 409], [201, 409]), {k: (r.status_code, r.get_json()) for k, r in results.items()}
    loser = next(r for r in results.values() if r.status_code == 409).get_json()
    winner_state = "approved" if results["approve"].status_code == 200 else "changes_requested"
    assert loser["details"]["current"]["status"] == winner_state
    review = a.get(f"/api/v1/variants/{vid}/review").get_json()
    assert review["status"] == winner_state
    decisions = [e for e in review["history"] if e["action"] in ("review.approve", "review.flag")]
    assert len(decisions) == 1 and decisions[0]["revision"] == 1
    # the loser's decision left nothing behind
    assert len(review["flags"]) == (1 if winner_state == "changes_requested" else 0)

    # A stale revision is a conflict too, even sequentially.
    again = b.post(f"/api/v1/variants/{vid}/approve", json={"revision": 1})
    assert again.status_code == 409 and again.get_json()["details"]["current"]["status"] == winner_state


def test_shared_flag_marks_every_variant_built_from_it(stack):
    app = stack.app
    people = make_people(app.test_client())
    seeded, req = seeded_campaign(app, locales=("ja-JP", "pt-BR"), formats=("thumbnail-small", "square"))
    admin = app.test_client()
    # a second campaign built from the same key art
    req2 = create_request(admin, seeded, ["pt-BR"], ["link-card"])
    render_inline(app, [v["id"] for v in req2["variants"]])
    drop_jobs(app, [v["id"] for v in req2["variants"]])
    jp = client_for(app, people.tokens["reviewer_jp"])
    br = client_for(app, people.tokens["reviewer_br"])
    jp_thumb, jp_square = _by(req, "ja-JP", "thumbnail-small"), _by(req, "ja-JP", "square")
    br_thumb, br_square = _by(req, "pt-BR", "thumbnail-small"), _by(req, "pt-BR", "square")
    br_card = req2["variants"][0]

    # Brazil approves one of its variants first; a key-art flag from Brazil sends it back.
    assert br.post(f"/api/v1/variants/{br_square['id']}/approve", json={"revision": 1}).status_code == 200

    # 1) localized title: marks every format of ja-JP, nothing of pt-BR
    r = jp.post(f"/api/v1/variants/{jp_thumb['id']}/flags", json={
        "revision": 1, "categories": ["translation", "spelling"], "comment": "title reads wrong",
        "scope": "localization"})
    assert r.status_code == 201, r.get_json()
    origin = r.get_json()
    sq = jp.get(f"/api/v1/variants/{jp_square['id']}/review").get_json()
    assert sq["status"] == "changes_requested"
    assert [f["origin_flag_id"] for f in sq["flags"]] == [origin["id"]]
    assert sq["flags"][0]["categories"] == ["translation", "spelling"]
    assert br.get(f"/api/v1/variants/{br_thumb['id']}/flags").get_json() == []

    # 2) key art: marks every variant of every request built from that key art in the flagger's
    #    regions, and nothing outside them
    r = jp.post(f"/api/v1/variants/{jp_square['id']}/flags", json={"revision": 1, "categories": ["gesture"]})
    assert r.status_code == 409  # already changes_requested by the shared flag
    admin_view = admin.get(f"/api/v1/variants/{br_thumb['id']}/review").get_json()
    assert admin_view["status"] == "rendered"
    # a reviewer flags the key art from the one Brazilian variant still open
    r = br.post(f"/api/v1/variants/{br_thumb['id']}/flags", json={
        "revision": 1, "categories": ["politics"], "comment": "map shows a disputed border",
        "rect": {"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.25}, "scope": "key_art"})
    assert r.status_code == 201, r.get_json()
    key_flag = r.get_json()
    prop = key_flag["propagation"]
    assert (prop["variants_flagged"], prop["variants_marked"]) == (2, 2), prop
    assert set(prop["marked_variant_ids"]) == {br_square["id"], br_card["id"]}, prop
    # ja-JP (two variants) and the en-US offset variant share the key art but are not Brazil's
    assert prop["outside_your_regions"] == 3 and "not touched" in prop["note"], prop
    for v in (br_square, br_card):
        rev = admin.get(f"/api/v1/variants/{v['id']}/review").get_json()
        assert rev["status"] == "changes_requested", (v, rev["status"])
        assert any(f["origin_flag_id"] == key_flag["id"] and f["scope"] == "key_art" for f in rev["flags"])
    for v in (jp_thumb, jp_square):
        rev = admin.get(f"/api/v1/variants/{v['id']}/review").get_json()
        assert not any(f["origin_flag_id"] == key_flag["id"] for f in rev["flags"]), rev["flags"]
    sq = admin.get(f"/api/v1/variants/{br_square['id']}/review").get_json()
    assert sq["approved_by"] is None
    shared = [e for e in sq["history"] if e["action"] == "review.flag_shared"]
    assert shared[0]["state_before"] == "approved" and shared[0]["state_after"] == "changes_requested"
    assert shared[0]["detail"]["origin_variant_id"] == br_thumb["id"]


def test_rerender_makes_new_revision_that_goes_back_to_review(sqlite_stack):
    app = sqlite_stack.app
    vid, jp, mk = _japanese_thumbnail(app)
    assert jp.post(f"/api/v1/variants/{vid}/approve", json={"revision": 1}).status_code == 200
    feed = app.test_client().get("/api/v1/exports/feed").get_json()
    assert [(i["revision"], i["current"]) for i in feed["items"]] == [(1, True)]
    first = admin_report(app, vid)
    assert first["text"]["zone"] != "top" and first["reframe"]["anchor"] is None
    # a change to the inputs of an approved variant sends it back to review
    bad = mk.post(f"/api/v1/variants/{vid}/rerender", json={"overrides": {"text_zone": "middle"}})
    assert bad.status_code == 422 and "text_zone" in bad.get_json()["message"]
    overrides = {"tagline": "故郷は、すぐそこ。", "text_zone": "top", "crop_anchor": "top"}
    r = mk.post(f"/api/v1/variants/{vid}/rerender", json={"overrides": overrides})
    assert r.status_code == 202, r.get_json()
    body = r.get_json()
    assert body["revision"] == 2 and body["status"] == "queued" and body["approved_by"] is None
    assert body["overrides"] == overrides
    # the pull feed tells integrations that revision 1 is no longer approved
    withdrawn = app.test_client().get(f"/api/v1/exports/feed?cursor={feed['next_cursor']}").get_json()
    assert [(i["revision"], i["current"]) for i in withdrawn["items"]] == [(1, False)]
    # deciding on the old revision now is a conflict
    assert jp.post(f"/api/v1/variants/{vid}/approve", json={"revision": 1}).status_code == 409
    render_inline(app, [vid])
    drop_jobs(app, [vid])
    rev = jp.get(f"/api/v1/variants/{vid}/review").get_json()
    assert rev["status"] == "in_review" and rev["revision"] == 2  # opened by the reviewer
    report = admin_report(app, vid)
    lines = [l for e in report["text"]["elements"] for l in e["lines"]]
    assert any("すぐそこ" in l for l in lines), lines  # the overridden tagline was drawn
    # ... on a window pushed up as far as the face allows; the text goes to the zone asked for
    # unless that would cover the face, and then the report says the request was refused
    assert report["reframe"]["anchor"] == "top"
    assert report["reframe"]["crop"][1] < first["reframe"]["crop"][1]
    assert report["text"]["zone_requested"] == "top"
    honoured = report["text"]["zone"] == "top"
    assert honoured or ("text_zone_override_refused" in report["flags"]
                        and report["text"]["zone_scores"]["top"]["face_overlap_px"] > 0)
    assert honoured != ("text_zone_override_refused" in report["flags"])
    assert jp.post(f"/api/v1/variants/{vid}/approve", json={"revision": 2}).status_code == 200
    hist = jp.get(f"/api/v1/variants/{vid}/review").get_json()["history"]
    actions = [(e["action"], e["revision"], e["state_before"], e["state_after"], e["actor"]) for e in reversed(hist)]
    assert ("review.approve", 1, "rendered", "approved", "reviewer_jp") in actions
    assert ("review.rerender", 1, "approved", "queued", "marketing") in actions
    assert ("review.opened", 2, "rendered", "in_review", "reviewer_jp") in actions
    assert ("review.approve", 2, "in_review", "approved", "reviewer_jp") in actions
    # each approved revision was handed to export (its pull feed), once
    with app.app_context():
        from app.extensions import db
        from app.models.export import FeedEntry

        fed = sorted(db.session.execute(db.select(FeedEntry.revision).where(FeedEntry.variant_id == vid)).scalars())
        assert fed == [1, 2]
    # "auto" drops an earlier override; the others are kept
    r3 = mk.post(f"/api/v1/variants/{vid}/rerender", json={"overrides": {"text_zone": "auto"}})
    assert r3.status_code == 202 and r3.get_json()["revision"] == 3
    assert r3.get_json()["overrides"] == {"tagline": "故郷は、すぐそこ。", "crop_anchor": "top"}
    drop_jobs(app, [vid])


def test_flag_validation_and_generator_request(sqlite_stack):
    app = sqlite_stack.app
    vid, jp, mk = _japanese_thumbnail(app)
    r = jp.post(f"/api/v1/variants/{vid}/flags", json={"revision": 1, "categories": []})
    assert r.status_code == 422 and "categories" in r.get_json()["message"]
    r = jp.post(f"/api/v1/variants/{vid}/flags", json={"revision": 1, "categories": ["weather"]})
    assert r.status_code == 422
    r = jp.post(f"/api/v1/variants/{vid}/flags", json={"revision": 1, "categories": ["other"],
                                                        "rect": {"x": 0.8, "y": 0.1, "w": 0.5, "h": 0.1}})
    assert r.status_code == 422 and "rect" in r.get_json()["message"]
    r = jp.post(f"/api/v1/variants/{vid}/flags", json={"revision": 1, "categories": ["substances", "other"],
                                                        "rect": {"x": 0.1, "y": 0.1, "w": 0.2, "h": 0.3}})
    assert r.status_code == 201
    flag = r.get_json()
    assert jp.post(f"/api/v1/variants/{vid}/generator", json={"op": "remove"}).status_code == 403
    g = mk.post(f"/api/v1/variants/{vid}/generator", json={"op": "remove", "flag_id": flag["id"]})
    assert g.status_code == 201, g.get_json()
    fix = g.get_json()
    assert fix["rect"] == flag["rect"] and fix["status"] == "done", fix  # the classical backend ran
    assert fix["result"]["mime"] == "image/png"
    png = mk.get(f"/ui/variants/{vid}/fixes/{fix['id']}.png")
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    out = Path(__file__).resolve().parent.parent / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "review-generator-remove.png").write_bytes(png.data)
    # the proposal becomes revision 2, back in review; only marketing may do that, and only once
    old_jpeg = mk.get(f"/api/v1/variants/{vid}/image.jpeg").data
    url = f"/api/v1/variants/{vid}/fixes/{fix['id']}/accept"
    assert jp.post(url).status_code == 403
    assert mk.post(f"/api/v1/variants/{vid}/fixes/999999/accept").status_code == 404
    a = mk.post(url)
    assert a.status_code == 201, a.get_json()
    assert a.get_json()["revision"] == 2 and a.get_json()["status"] == "in_review"
    again = mk.post(url)
    assert again.status_code == 409 and again.get_json()["details"]["current"]["revision"] == 2
    report = admin_report(app, vid)
    assert report["edit"]["op"] == "remove" and report["edit"]["fix_request_id"] == fix["id"]
    import io

    import numpy as np
    from PIL import Image

    new = mk.get(f"/api/v1/variants/{vid}/image.jpeg")
    assert new.status_code == 200

    def pixels(data: bytes) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float32)

    proposal, before, after = pixels(png.data), pixels(old_jpeg), pixels(new.data)
    assert np.abs(after - proposal).mean() < 3  # the revision is the proposal (JPEG-encoded)
    h, w = after.shape[:2]
    r = flag["rect"]
    y0, y1, x0, x1 = int(r["y"] * h), int((r["y"] + r["h"]) * h), int(r["x"] * w), int((r["x"] + r["w"]) * w)
    assert np.abs(after - before)[y0:y1, x0:x1].mean() > 4 * np.abs(after - before).mean() / 2
    assert jp.post(f"/api/v1/variants/{vid}/approve", json={"revision": 2}).status_code == 200
    hist = [(e["action"], e["revision"]) for e in jp.get(f"/api/v1/variants/{vid}/review").get_json()["history"]]
    assert ("review.generator_accept", 1) in hist and ("review.approve", 2) in hist


def test_changed_localization_sends_approved_variants_back(stack):
    """A change to the inputs of an approved variant sends it back to review."""
    app = stack.app
    people = make_people(app.test_client())
    _seeded, req = seeded_campaign(app, locales=("ja-JP", "pt-BR"), formats=("thumbnail-small",))
    jp_v, br_v = _by(req, "ja-JP", "thumbnail-small"), _by(req, "pt-BR", "thumbnail-small")
    jp = client_for(app, people.tokens["reviewer_jp"])
    br = client_for(app, people.tokens["reviewer_br"])
    assert jp.post(f"/api/v1/variants/{jp_v['id']}/approve", json={"revision": 1}).status_code == 200
    assert br.post(f"/api/v1/variants/{br_v['id']}/approve", json={"revision": 1}).status_code == 200
    cursor = app.test_client().get("/api/v1/exports/feed").get_json()["next_cursor"]
    with app.app_context():
        from app.extensions import db
        from app.models import TitleLocalization

        loc = db.session.scalar(db.select(TitleLocalization).where(TitleLocalization.locale == "ja-JP"))
        loc.tagline = "故郷は、遠くない。"
        db.session.commit()
    jp_state = jp.get(f"/api/v1/variants/{jp_v['id']}/review").get_json()
    assert jp_state["status"] == "changes_requested" and jp_state["approved_by"] is None
    ev = next(e for e in jp_state["history"] if e["action"] == "review.inputs_changed")
    assert ev["state_before"] == "approved" and ev["detail"]["fields"] == "tagline"
    assert br.get(f"/api/v1/variants/{br_v['id']}/review").get_json()["status"] == "approved"
    # pullers learn that the Japanese revision is withdrawn; the Brazilian one did not change
    changed = app.test_client().get(f"/api/v1/exports/feed?cursor={cursor}").get_json()["items"]
    assert [(i["locale"], i["revision"], i["current"]) for i in changed] == [("ja-JP", 1, False)]


def test_progress_api_counts_review_states(sqlite_stack):
    app = sqlite_stack.app
    people = make_people(app.test_client())
    _seeded, req = seeded_campaign(app, locales=("ja-JP",), formats=("thumbnail-small", "square"))
    jp = client_for(app, people.tokens["reviewer_jp"])
    a, b = req["variants"]
    assert jp.post(f"/api/v1/variants/{a['id']}/approve", json={"revision": 1}).status_code == 200
    p = app.test_client().get(f"/api/v1/requests/{req['id']}/progress").get_json()
    assert p["approved"] == 1 and p["rendered"] == 1 and p["total"] == 2, p
    v = app.test_client().get(f"/api/v1/variants/{a['id']}").get_json()
    assert v["approved_by"] == "reviewer_jp" and v["approved_at"]


def test_ui_sends_a_marked_area_to_the_generator_and_uses_the_proposal(sqlite_stack):
    """The variant page's forms (session + CSRF): marketing sends a rectangle to the generator,
    sees the proposal with "Use as new revision", and that makes revision 2, back in review."""
    import re

    from review_helpers import logged_in

    app = sqlite_stack.app
    make_people(app.test_client())
    _seeded, req = seeded_campaign(app, locales=("ja-JP",), formats=("square",))
    vid = req["variants"][0]["id"]
    mk, csrf = logged_in(app, "marketing")
    sent = mk.post(f"/ui/variants/{vid}/generator", data={
        "csrf_token": csrf, "op": "remove", "rect_x": "0.7", "rect_y": "0.05", "rect_w": "0.25", "rect_h": "0.3"})
    assert sent.status_code == 302
    page = mk.get(f"/ui/variants/{vid}").get_data(as_text=True)
    action = re.search(r'action="(/ui/variants/\d+/fixes/\d+/accept)"', page)
    assert action, "the proposal has no 'Use as new revision' button"
    assert mk.post(action.group(1), data={"csrf_token": "wrong"}).status_code == 400
    assert mk.post(action.group(1), data={"csrf_token": csrf}).status_code == 302
    state = app.test_client().get(f"/api/v1/variants/{vid}/review").get_json()
    assert (state["revision"], state["status"]) == (2, "in_review")
    page = mk.get(f"/ui/variants/{vid}").get_data(as_text=True)
    assert "/accept" not in page   # accepted once: the button is gone
