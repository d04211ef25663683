"""The audit trail page: translated actions and states, filters by kind and person, id-cursor paging."""
from __future__ import annotations

import re

import pytest

from review_helpers import client_for, logged_in, make_people, seeded_campaign

pytestmark = pytest.mark.service


def _actions(html: str) -> list[str]:
    return re.findall(r'<tr data-action="([^"]+)"', html)


def test_audit_page_translates_filters_and_pages(sqlite_stack, monkeypatch):
    from app.web import audit_views

    app = sqlite_stack.app
    people = make_people(app.test_client())
    _seeded, req = seeded_campaign(app, locales=("ja-JP",), formats=("thumbnail-small", "square"))
    jp = client_for(app, people.tokens["reviewer_jp"])
    first, second = (v["id"] for v in req["variants"])
    assert jp.post(f"/api/v1/variants/{first}/flags", json={"revision": 1, "categories": ["gesture"],
                                                           "comment": "手の形"}).status_code == 201
    assert jp.post(f"/api/v1/variants/{second}/approve", json={"revision": 1}).status_code == 200

    c, _token = logged_in(app, "marketing")
    html = c.get("/ui/audit", headers={"Accept-Language": "ja"}).get_data(as_text=True)  # no ui_locale set
    for shown in ("指摘", "修正依頼", "承認済み", "キャンペーンを依頼", "レンダリング済み", "ユーザーを追加",
                  "ユーザー <bdi>reviewer_jp</bdi>", '<bdi dir="ltr">ja-JP</bdi> · 正方形 1:1'):
        assert shown in html, shown
    assert "review.flag" not in re.sub(r'(data-action|title)="[^"]*"', "", html)  # codes only in attributes

    mine = c.get("/ui/audit?actor=reviewer_jp&kind=variant").get_data(as_text=True)
    assert _actions(mine) == ["review.approve", "review.flag"], _actions(mine)
    campaigns = c.get("/ui/audit?kind=render_request").get_data(as_text=True)
    assert set(_actions(campaigns)) == {"request.created"}
    assert c.get("/ui/audit?kind=nonsense&actor=").status_code == 200   # an unknown filter is ignored

    monkeypatch.setattr(audit_views, "PAGE", 2)
    page1 = c.get("/ui/audit").get_data(as_text=True)
    older = re.search(r'id="older" href="([^"]+)"', page1).group(1).replace("&amp;", "&")
    page2 = c.get(older).get_data(as_text=True)
    assert len(_actions(page1)) == 2 and _actions(page2)
    ids = lambda h: [int(i) for i in re.findall(r'<tr data-action="[^"]+" data-id="(\d+)"', h)]  # noqa: E731
    assert ids(page1) and max(ids(page2)) < min(ids(page1)), (ids(page1), ids(page2))
    reviewer, _t = logged_in(app, "reviewer_jp")
    assert reviewer.get("/ui/audit").status_code == 403
