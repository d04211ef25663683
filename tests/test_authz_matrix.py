"""Every route x every role x in/out of scope, enumerated from app.url_map so that routes added
later are covered without editing this test.

Two kinds of assertion: (1) what the product promises, written out here independently of the
code (anonymous gets 401 or the login page, reviewers only reach review/variant routes and get
404 outside their regions, integrations never decide, only admins manage people); (2) that the
answer for every (route, method, role) is exactly what app.auth's policy declares."""
from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter

from review_helpers import client_for, make_people, seeded_campaign

PUBLIC = {"static", "web.login", "api-docs.openapi_json",
          "health.healthz", "health.readyz", "health.metrics"}  # probes; the proxy keeps /readyz, /metrics internal
DECISIONS = {("review.Approve", "POST"), ("review.Flags", "POST"), ("web.approve", "POST"), ("web.flag", "POST"),
             ("review.UndoApproval", "POST"), ("review.Reopen", "POST"), ("web.undo", "POST"), ("web.reopen", "POST"),
             ("review.ResolveFlag", "POST"), ("web.flag_resolve", "POST")}
FIXES = {("review.Rerender", "POST"), ("review.GeneratorEdit", "POST"), ("review.AcceptProposal", "POST"),
         ("web.rerender", "POST"), ("web.generator", "POST"), ("web.accept_proposal", "POST")}
PEOPLE_ADMIN = re.compile(r"^auth\.(Users|UserDetail|UserTokens|TokenDetail)$")
#: export targets name CDN URLs and the variables holding their secrets: admins only, API and UI
TARGETS_ADMIN = re.compile(r"^(exports\.(Targets|TargetDetail)|web\.export_target(s|_\w+))$")
#: what a reviewer may reach at all (anything else: 403)
REVIEWER_REACH = re.compile(
    r"^(review\.|auth\.Me$|variants\.|web\.(?!audit$|rerender$|generator$|accept_proposal$|export))")


def _url(rule, ids) -> str:
    values = {}
    for arg in rule.arguments:
        conv = rule._converters[arg]
        if arg in ids:
            values[arg] = ids[arg]
        elif isinstance(conv, IntegerConverter):  # the API's id converter is one
            values[arg] = 1
        elif arg == "kind":
            values[arg] = "jpeg"
        else:
            values[arg] = "x"
    return rule.build(values, append_unknown=False)[1]


@pytest.fixture
def world(sqlite_stack):
    app = sqlite_stack.app
    admin = app.test_client()
    people = make_people(admin)
    seeded, req = seeded_campaign(app, locales=("ja-JP",), formats=("thumbnail-small",))
    vid = req["variants"][0]["id"]
    jp = client_for(app, people.tokens["reviewer_jp"])
    flag = jp.post(f"/api/v1/variants/{vid}/flags", json={
        "revision": 1, "categories": ["other"], "rect": {"x": .1, "y": .1, "w": .2, "h": .2}}).get_json()
    fix = admin.post(f"/api/v1/variants/{vid}/generator", json={"op": "remove", "flag_id": flag["id"]}).get_json()
    victim = admin.post("/api/v1/users", json={"username": "victim", "role": "integration"}).get_json()
    tok = admin.post(f"/api/v1/users/{victim['id']}/tokens", json={"name": "x"}).get_json()
    target = admin.post("/api/v1/export-targets", json={  # a public address literal: no DNS needed
        "name": "cdn", "kind": "http-put", "url": "https://93.184.216.34/cdn/"}).get_json()
    ids = {"variant_id": vid, "request_id": req["id"], "title_id": seeded["title"]["id"],
           "key_art_id": seeded["art"]["id"], "kit_id": seeded["kit"]["id"], "user_id": victim["id"],
           "token_id": tok["id"], "flag_id": flag["id"], "fix_id": fix["id"], "target_id": target["id"]}
    return app, people, ids


def test_every_route_every_role(world):
    from app.auth import allowed_roles

    app, people, ids = world
    personas = {"anonymous": None, "admin": app.config["TEST_ADMIN_TOKEN"],
                "marketing": people.tokens["marketing"], "reviewer_in": people.tokens["reviewer_jp"],
                "reviewer_out": people.tokens["reviewer_br"], "integration": people.tokens["integration"]}
    role_of = {"reviewer_in": "reviewer", "reviewer_out": "reviewer"}
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
    checked, failures = 0, []
    # writes last, deletes very last, so that reads see the world as set up
    calls = [(rule, m) for rule in rules for m in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    calls.sort(key=lambda c: {"GET": 0, "POST": 1, "PATCH": 1, "PUT": 1, "DELETE": 2}[c[1]])
    for rule, method in calls:
        url = _url(rule, ids)
        ep = rule.endpoint
        for who, token in personas.items():
            role = role_of.get(who, who)
            resp = client_for(app, token).open(url, method=method, json={} if method != "GET" else None)
            code = resp.status_code
            checked += 1
            why = f"{who} {method} {url} ({ep}) -> {code} {resp.get_data()[:160]!r}"
            if ep in PUBLIC:
                if code in (401, 403):
                    failures.append("public route refused: " + why)
                continue
            if who == "anonymous":
                expect_ok = (code == 401) if url.startswith("/api/") else \
                    (code == 302 and "/ui/login" in resp.headers.get("Location", ""))
                if not expect_ok:
                    failures.append("anonymous not refused: " + why)
                continue
            # (1) promises, independent of the policy code
            promised_forbidden = (
                (role != "admin" and PEOPLE_ADMIN.match(ep))
                or (role != "admin" and TARGETS_ADMIN.match(ep))
                or (role in ("marketing", "integration") and (ep, method) in DECISIONS)
                or (role in ("reviewer", "integration") and (ep, method) in FIXES)
                or (role == "reviewer" and not REVIEWER_REACH.match(ep))
                or (role == "integration" and ep.startswith("web."))
            )
            if promised_forbidden and code != 403:
                failures.append("should be 403: " + why)
            if role == "admin" and code in (401, 403):
                failures.append("admin refused: " + why)
            if who == "reviewer_out" and 200 <= code < 400 and set(rule.arguments) & {
                    "variant_id", "request_id", "flag_id"}:
                failures.append("out-of-scope reviewer got through: " + why)
            if who == "reviewer_out" and not promised_forbidden and "variant_id" in rule.arguments \
                    and code != 404:
                failures.append("out-of-scope reviewer should get 404: " + why)
            # (2) the answer matches the declared policy
            with app.app_context():
                allowed = role in allowed_roles(ep, method, rule.arguments)
            if allowed and code in (401, 403):
                failures.append("policy allows but refused: " + why)
            if not allowed and code != 403:
                failures.append("policy forbids but not 403: " + why)
    assert checked > 200, checked
    assert not failures, "\n".join(failures)


def test_reviewer_scope_in_lists(world):
    """Lists never show out-of-scope items: the queue and the request matrix are filtered."""
    app, people, ids = world
    br = client_for(app, people.tokens["reviewer_br"])
    jp = client_for(app, people.tokens["reviewer_jp"])
    assert br.get("/api/v1/review/queue").get_json() == []
    assert br.get(f"/api/v1/review/requests/{ids['request_id']}").status_code == 404
    m = jp.get(f"/api/v1/review/requests/{ids['request_id']}").get_json()
    assert {v["locale"] for v in m["variants"]} == {"ja-JP"}


# --- shared flags: every scope x role x region --------------------------------------------------

#: who flags, and the locales/regions they act in (None: everywhere). Written out here, not read
#: from the code: admins reach every region, reviewers their own regions or locales only.
FLAGGERS = {"admin": None, "reviewer_jp": {"regions": {"JP"}}, "reviewer_jp2": {"locales": {"ja-JP"}},
            "reviewer_br": {"regions": {"BR"}}, "reviewer_sa": {"regions": {"SA"}},
            "marketing": "forbidden", "integration": "forbidden"}
SCOPES_ALL = ("variant", "localization", "key_art")
FINISHED_STATES = ("rendered", "in_review", "approved")


def _reaches(flagger: str, locale: str) -> bool:
    spec = FLAGGERS[flagger]
    if spec is None:
        return True
    if spec == "forbidden":
        return False
    return locale in spec.get("locales", ()) or locale.split("-")[1] in spec.get("regions", ())


@pytest.fixture
def shared_world(sqlite_stack):
    """Requests from one key art and one title: ja-JP and pt-BR in two requests (three formats in
    all), and an en-US poster (made by offset_ids) outside every reviewer's regions."""
    from review_helpers import create_request, drop_jobs, render_inline

    app = sqlite_stack.app
    admin = app.test_client()
    people = make_people(admin)
    seeded, req = seeded_campaign(app, locales=("ja-JP", "pt-BR"), formats=("thumbnail-small", "square"))
    req2 = create_request(admin, seeded, ["ja-JP", "pt-BR"], ["thumbnail-small"])
    render_inline(app, [v["id"] for v in req2["variants"]])
    drop_jobs(app, [v["id"] for v in req2["variants"]])
    from app.extensions import db
    from app.models import RenderRequest, Variant

    with app.app_context():  # with the en-US variant offset_ids left from the same key art
        rows = db.session.execute(db.select(Variant.id, Variant.locale, Variant.format, Variant.request_id)
                                  .join(RenderRequest).where(RenderRequest.key_art_id == seeded["art"]["id"])).all()
    variants = {vid: {"id": vid, "locale": loc, "format": fmt, "request_id": rid} for vid, loc, fmt, rid in rows}
    assert {v["locale"] for v in variants.values()} == {"en-US", "ja-JP", "pt-BR"} and len(variants) == 7
    return app, people, variants, req["id"]


def _reset(app, people, variants) -> None:
    """Every variant back to rendered, then each square approved by its own region's reviewer."""
    from app.extensions import db
    from app.models import Variant

    with app.app_context():
        db.session.execute(db.update(Variant).where(Variant.id.in_(list(variants))).values(
            status="rendered", approved_by=None, approved_at=None))
        db.session.commit()
    for vid, v in variants.items():
        if v["format"] == "square":
            who = "reviewer_jp" if v["locale"] == "ja-JP" else "reviewer_br"
            r = client_for(app, people.tokens[who]).post(f"/api/v1/variants/{vid}/approve", json={"revision": 1})
            assert r.status_code == 200, r.get_json()


def _states(app, variants) -> dict[int, tuple[str, str | None]]:
    from app.extensions import db
    from app.models import Variant

    with app.app_context():
        rows = db.session.execute(db.select(Variant.id, Variant.status, Variant.approved_by)
                                  .where(Variant.id.in_(list(variants)))).all()
        return {vid: (status, by) for vid, status, by in rows}


def test_shared_flag_reaches_only_the_flaggers_regions(shared_world):
    """A flag with a shared scope sends back the variants built from the same input that the flagger
    may act on, and leaves every other region's variants (and approvals) exactly as they were."""
    app, people, variants, first = shared_world
    tokens = {"admin": app.config["TEST_ADMIN_TOKEN"], **people.tokens}
    origins = [vid for vid, v in variants.items() if v["format"] == "thumbnail-small" and v["request_id"] == first]
    assert len(origins) == 2
    checked, failures = 0, []
    for scope in SCOPES_ALL:
        for flagger in FLAGGERS:
            for origin in origins:
                _reset(app, people, variants)
                before = _states(app, variants)
                o = variants[origin]
                r = client_for(app, tokens[flagger]).post(f"/api/v1/variants/{origin}/flags", json={
                    "revision": 1, "categories": ["other"], "comment": f"{scope} by {flagger}", "scope": scope})
                after = _states(app, variants)
                checked += 1
                case = f"{flagger} flags {o['locale']} {o['format']} with scope {scope}"
                if FLAGGERS[flagger] == "forbidden":
                    expect_code = 403
                elif not _reaches(flagger, o["locale"]):
                    expect_code = 404
                else:
                    expect_code = 201
                if r.status_code != expect_code:
                    failures.append(f"{case}: {r.status_code}, expected {expect_code}: {r.get_json()}")
                    continue
                shared = set()
                if scope == "key_art":
                    shared = set(variants) - {origin}
                elif scope == "localization":
                    shared = {vid for vid, v in variants.items() if v["locale"] == o["locale"]} - {origin}
                reached = {vid for vid in shared if _reaches(flagger, variants[vid]["locale"])}
                changed = set()
                if expect_code == 201:
                    changed = {origin} | {vid for vid in reached if before[vid][0] in FINISHED_STATES}
                for vid in variants:
                    want = ("changes_requested", None) if vid in changed else before[vid]
                    if after[vid] != want:
                        v = variants[vid]
                        failures.append(f"{case}: {v['locale']} {v['format']} (request {v['request_id']}) is "
                                        f"{after[vid]}, expected {want}")
                if expect_code == 201:
                    prop = r.get_json().get("propagation") or {}
                    got = (prop.get("scope"), set(prop.get("flagged_variant_ids", ())),
                           set(prop.get("marked_variant_ids", ())), prop.get("outside_your_regions"))
                    want = (scope, reached, changed - {origin}, len(shared - reached))
                    if got != want:
                        failures.append(f"{case}: propagation {prop}, expected {want}")
                    if len(shared - reached) and "not touched" not in prop.get("note", ""):
                        failures.append(f"{case}: the response does not say that others were not touched: {prop}")
    assert checked == len(SCOPES_ALL) * len(FLAGGERS) * 2
    assert not failures, "\n".join(failures)


def test_jp_key_art_flag_leaves_the_br_approval_alone(shared_world):
    """Issue 11's case, step by step: Brazil approved its square; Japan flags the key art."""
    app, people, variants, _first = shared_world
    _reset(app, people, variants)
    jp_thumb = next(vid for vid, v in variants.items() if v["locale"] == "ja-JP" and v["format"] == "thumbnail-small")
    br_square = next(vid for vid, v in variants.items() if v["locale"] == "pt-BR" and v["format"] == "square")
    jp = client_for(app, people.tokens["reviewer_jp"])
    r = jp.post(f"/api/v1/variants/{jp_thumb}/flags", json={"revision": 1, "categories": ["other"],
                                                            "scope": "key_art"})
    assert r.status_code == 201, r.get_json()
    assert _states(app, variants)[br_square] == ("approved", "reviewer_br")
    prop = r.get_json().get("propagation")
    assert prop["outside_your_regions"] == 4 and prop["variants_marked"] == 2, prop
    br_view = client_for(app, people.tokens["reviewer_br"]).get(f"/api/v1/variants/{br_square}/review").get_json()
    assert br_view["flags"] == [] and not any(e["action"] == "review.flag_shared" for e in br_view["history"])
