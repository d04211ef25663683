"""The campaigns list shows each campaign's variants per state, counted within the reader's scope."""
from __future__ import annotations

import re

import pytest

from review_helpers import client_for, logged_in, make_people, seeded_campaign

pytestmark = pytest.mark.service


def _states(html: str) -> dict[str, int]:
    cell = re.search(r'<td class="states">(.*?)</td>', html, re.S).group(1)
    return {s: int(n) for s, n in re.findall(r'<span class="badge (\w+)">[^<]*</span> (\d+)', cell)}


def test_campaign_list_counts_states_within_scope(sqlite_stack):
    app = sqlite_stack.app
    people = make_people(app.test_client())
    _seeded, req = seeded_campaign(app, locales=("ja-JP", "pt-BR"), formats=("thumbnail-small", "square"))
    ja = [v["id"] for v in req["variants"] if v["locale"] == "ja-JP"]
    jp = client_for(app, people.tokens["reviewer_jp"])
    assert jp.post(f"/api/v1/variants/{ja[0]}/approve", json={"revision": 1}).status_code == 200

    marketing, _t = logged_in(app, "marketing")
    assert _states(marketing.get("/ui/campaigns").get_data(as_text=True)) == {"rendered": 3, "approved": 1}
    reviewer, _t = logged_in(app, "reviewer_jp")
    html = reviewer.get("/ui/campaigns").get_data(as_text=True)
    assert _states(html) == {"rendered": 1, "approved": 1}     # the Brazilian variants are not counted
    reviewer_br, _t = logged_in(app, "reviewer_br")
    assert _states(reviewer_br.get("/ui/campaigns").get_data(as_text=True)) == {"rendered": 2}
