"""Every route x every role x in/out of scope, enumerated from app.url_map so that routes added
later are covered without editing this test.

Two kinds of assertion: (1) what the product promises, written out here independently of the
code (anonymous gets 401 or the login page, reviewers only reach review/variant routes and get
404 outside their regions, integrations never decide, only admins manage people); (2) that the
answer for every (route, method, role) is exactly what app.auth's policy declares."""
from __future__ import annotations

import re

import pytest

from review_helpers import client_for, make_people, seeded_campaign

PUBLIC = {"static", "web.login", "api-docs.openapi_json"}
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
        conv = rule._converters[arg].__class__.__name__
        if arg in ids:
            values[arg] = ids[arg]
        elif conv == "IntegerConverter":
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
