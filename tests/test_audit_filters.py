"""The audit trail says what was decided and why (categories, comments, override values), and
filters by campaign, date and person-vs-automatic; campaigns name the person who asked; the
quality report starts with a verdict in words."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from conftest import seed_campaign
from review_helpers import client_for, create_request, drop_jobs, logged_in, make_people, offset_ids, render_inline

pytestmark = pytest.mark.service


def _actions(html: str) -> list[str]:
    return re.findall(r'<tr data-action="([^"]+)"', html)


def test_audit_details_filters_requester_and_verdict(sqlite_stack):
    app = sqlite_stack.app
    admin = app.test_client()
    people = make_people(admin)
    seeded = seed_campaign(admin)
    offset_ids(app, seeded)
    mk_api = client_for(app, people.tokens["marketing"])
    a = create_request(mk_api, seeded, ["ja-JP"], ["square"])   # marketing asks: no requester in the body
    b = create_request(admin, seeded, ["pt-BR"], ["square"])
    ids = [a["variants"][0]["id"], b["variants"][0]["id"]]
    render_inline(app, ids)
    drop_jobs(app, ids)
    assert a["requester"] == "marketing"
    jp = client_for(app, people.tokens["reviewer_jp"])
    assert jp.post(f"/api/v1/variants/{ids[0]}/flags", json={"revision": 1, "categories": ["gesture", "politics"],
                                                             "comment": "手の形と地図"}).status_code == 201
    assert mk_api.post(f"/api/v1/variants/{ids[0]}/rerender",
                       json={"revision": 1, "overrides": {"tagline": "ただいま。", "text_zone": "top"}}).status_code == 202
    drop_jobs(app, ids)

    c, _t = logged_in(app, "marketing")
    html = c.get("/ui/audit").get_data(as_text=True)
    for shown in ("Gesture or body language, Politics, maps or flags", "手の形と地図", "ただいま。", "Text zone", "Top"):
        assert shown in html, shown
    only_a = c.get(f"/ui/audit?request_id={a['id']}").get_data(as_text=True)
    assert "review.flag" in _actions(only_a) and "request.created" in _actions(only_a)
    only_b = c.get(f"/ui/audit?request_id={b['id']}").get_data(as_text=True)
    assert "review.flag" not in _actions(only_b) and "variant.rendered" in _actions(only_b)
    people_only = c.get("/ui/audit?people=1").get_data(as_text=True)
    assert "variant.rendered" not in _actions(people_only) and "review.flag" in _actions(people_only)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert _actions(c.get(f"/ui/audit?since={tomorrow}").get_data(as_text=True)) == []
    assert "review.flag" in _actions(c.get(f"/ui/audit?until={tomorrow}&since=2000-01-01").get_data(as_text=True))
    assert c.get("/ui/audit?since=yesterday&request_id=x").status_code == 200  # unreadable filters are ignored

    campaigns = c.get("/ui/campaigns").get_data(as_text=True)
    assert re.search(rf">{a['id']}</a>.*?<td>marketing<br>", campaigns, re.S)

    page = c.get(f"/ui/variants/{ids[1]}").get_data(as_text=True)  # the verdict comes before the numbers
    verdict = re.search(r'id="report-verdict"><strong>([^<]+)</strong>', page).group(1)
    assert verdict.startswith(("Ready: ", "Check before approving")), verdict
    assert page.index('id="report-verdict"') < page.index('id="report-numbers"')
