"""The variant page's quality report speaks the reader's language: codes from the render report
(zones, treatments, reframe modes, element roles, overrides) become labels, numbers stay LTR."""
from __future__ import annotations

REPORT = {
    "flags": [], "faces": [[1, 2, 3, 4]], "faces_whole": True,
    "reframe": {"mode": "expand", "anchor": "left", "generated_fraction": 0.1467,
                "generator": {"backend": "classical"}},
    "text": {"zone": "right", "zone_requested": "top", "treatment": "scrim+shadow",
             "treatment_levels": {"scrim": 0.78, "shadow": 0.8, "plate": 0.0}, "min_contrast": 2.71,
             "min_text_height_px": 24, "missing_glyphs": [],
             "elements": [{"role": "title", "size_px": 125, "text_height_px": 91, "contrast": 8.04,
                           "contrast_required": 3.0, "fits": True,
                           "fonts": [{"font": "Noto Sans Arabic"}, {"font": "Noto Sans Arabic"}]},
                          {"role": "badge", "size_px": 33, "text_height_px": 24, "contrast": 2.71,
                           "contrast_required": 4.5, "fits": False, "fonts": [{"font": "Noto Sans"}]}]},
}


def test_report_codes_become_labels_in_the_readers_language(sqlite_stack):
    from app.web import report_view

    app = sqlite_stack.app
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        assert report_view.treatment(REPORT["text"]) == "スクリム + 影 (78%)"
        assert report_view.reframe(REPORT) == "生成で拡張（classical、15% 生成） · 基準：左"
        rows = report_view.text_elements(REPORT["text"])
        assert [r["role"] for r in rows] == ["タイトル", "レーティングとコピー行"]
        assert rows[0]["fonts"] == ["Noto Sans Arabic"] and rows[1]["fits"] is False
        assert report_view.overrides({"crop_anchor": "left", "tagline": "left as typed"}) == [
            ("切り抜きの基準", "左"), ("キャッチコピー", "left as typed")]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert report_view.treatment({"treatment": "none"}) == "None"
        assert report_view.reframe({"reframe": {"mode": "crop"}}) == "Cropped from the key art"
        assert report_view.treatment({"treatment": "mystery"}) == "mystery"   # unknown codes shown as is


def test_variant_page_shows_the_translated_report(sqlite_stack):
    """Through the real page, with the report a render stored."""
    from review_helpers import logged_in, make_people, seeded_campaign

    app = sqlite_stack.app
    make_people(app.test_client())
    _seeded, req = seeded_campaign(app, locales=("ja-JP",), formats=("square",))
    with app.app_context():
        from app.extensions import db
        from app.models import Variant

        vid = req["variants"][0]["id"]
        v = db.session.get(Variant, vid)
        v.report, v.status = REPORT, "rendered"
        db.session.commit()
    c, _token = logged_in(app, "reviewer_jp")
    html = c.get(f"/ui/variants/{vid}").get_data(as_text=True)
    for shown in ("位置: 右", "指定：上", "スクリム + 影 (78%)", "最低コントラスト", "2.7:1", "必要 4.5:1",
                  "レーティングとコピー行", "いいえ", 'id="text-elements"'):
        assert shown in html, shown
