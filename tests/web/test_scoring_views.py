"""The scoring settings pages (draft, edit with bad input, diff, activate) and the lead page's score card."""

from datetime import timedelta

from baton import clock
from baton.behaviour.services import BehaviourRequest, behaviour_record
from baton.leads.models import Lead
from baton.org.services import user_create
from baton.scoring.models import ScoringModel

from .conftest import HTMX, capture, client_for


def _rules_post(model: ScoringModel, rows: list[dict], **meta) -> dict:
    """The edit form as a browser posts it: name, thresholds, the rule rows and the band rows."""
    data = {"name": meta.get("name", model.name), "notes": "", "fit_a": 60, "fit_b": 40, "fit_c": 20,
            "engagement_1": 60, "engagement_2": 30, "engagement_3": 10,
            "rules-TOTAL_FORMS": len(rows), "rules-INITIAL_FORMS": len(rows), "rules-MIN_NUM_FORMS": 0,
            "rules-MAX_NUM_FORMS": 1000, "bands-TOTAL_FORMS": 1, "bands-INITIAL_FORMS": 1,
            "bands-MIN_NUM_FORMS": 0, "bands-MAX_NUM_FORMS": 1000,
            "bands-0-band": "handoff_ready", "bands-0-fit": "B", "bands-0-engagement": "2", "bands-0-min_total": 0}  # fmt: skip
    data.update({k: v for k, v in meta.items() if k != "name"})
    for i, row in enumerate(rows):
        for k, v in row.items():
            if k == "active":
                if v:
                    data[f"rules-{i}-active"] = "on"
            else:
                data[f"rules-{i}-{k}"] = v
    return data


ROWS = [
    {"kind": "fit", "field": "seniority", "op": "in", "value": "c_level, vp", "points": 30, "label": "Executive",
     "active": True},
    {"kind": "fit", "field": "company_size", "op": "between", "value": "200,", "points": 20, "label": "200+",
     "active": True},
    {"kind": "engagement", "field": "behaviour.email_click", "op": "count", "value": "", "points": 10, "cap": 30,
     "half_life_days": 7, "label": "Clicked", "active": True},
]  # fmt: skip


def test_only_sales_ops_and_sdr_directors_see_the_scoring_settings(org):
    assert client_for(org.sdr1).get("/settings/scoring/").status_code == 403
    assert client_for(org.director).get("/settings/scoring/").status_code == 403  # a sales director
    director = user_create("sdrdir", None, roles=["sdr_director"])
    page = client_for(director).get("/settings/scoring/")
    assert page.status_code == 200 and 'href="/settings/scoring/"' in page.content.decode()
    html = client_for(org.admin).get("/settings/scoring/").content.decode()
    assert "Active: version 1" in html and "Decision maker (title)" in html
    assert (
        'data-grade="A1" data-band="handoff_ready"' in html and 'data-grade="D4" data-band="nurture"' in html
    )


def test_draft_edit_diff_and_activate_through_the_pages(org):
    lead = capture(1, title="VP of Sales")
    client = client_for(org.admin)
    response = client.post("/settings/scoring/draft/")
    assert response.status_code == 302 and response["Location"] == "/settings/scoring/2/"
    draft = ScoringModel.objects.get(version=2)
    form = client.get("/settings/scoring/2/").content.decode()
    assert 'name="rules-0-label"' in form and "Decision maker (title)" in form
    response = client.post("/settings/scoring/2/", _rules_post(draft, ROWS, name="Seniority and decay"))
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    rules = list(draft.rules.order_by("position"))
    assert [(r.label, r.value, r.half_life_days, r.cap) for r in rules] == [
        ("Executive", ["c_level", "vp"], None, None), ("200+", [200, None], None, None), ("Clicked", "", 7.0, 30),
    ]  # fmt: skip
    page = client.get("/settings/scoring/").content.decode()
    assert 'data-change="rule_added"' in page and 'data-change="rule_removed"' in page
    assert "Seniority and decay" in page
    response = client.post("/settings/scoring/2/activate/")
    assert response.status_code == 302
    assert ScoringModel.objects.get(status="active").version == 2
    lead.refresh_from_db()
    assert (lead.score_version, lead.fit_score) == (2, 50)  # VP + 300 employees, rescored at once
    html = client.get("/settings/scoring/").content.decode()
    assert "Active: version 2" in html and "Start a draft" in html


def test_the_extra_blank_rows_a_browser_posts_are_ignored(org):
    client = client_for(org.admin)
    client.post("/settings/scoring/draft/")
    draft = ScoringModel.objects.get(version=2)
    data = _rules_post(draft, ROWS)
    # As the page renders them: 2 blank rule rows and 1 blank threshold row, with their initial values.
    data.update({"rules-TOTAL_FORMS": len(ROWS) + 2, "bands-TOTAL_FORMS": 2, "bands-1-band": "",
                 "bands-1-fit": "D", "bands-1-engagement": "4", "bands-1-min_total": 0})  # fmt: skip
    for i in (len(ROWS), len(ROWS) + 1):
        data.update({f"rules-{i}-kind": "fit", f"rules-{i}-op": "eq", f"rules-{i}-active": "on"})
    response = client.post("/settings/scoring/2/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    draft.refresh_from_db()
    assert draft.rules.count() == len(ROWS)
    assert draft.bands == [{"band": "handoff_ready", "fit": "B", "engagement": "2", "min_total": 0}]


def test_bad_rules_on_the_page_say_which_rule_and_why(org):
    client = client_for(org.admin)
    client.post("/settings/scoring/draft/")
    draft = ScoringModel.objects.get(version=2)
    bad = [dict(ROWS[0], field="shoe_size"), dict(ROWS[2], half_life_days=-1)]
    response = client.post("/settings/scoring/2/", _rules_post(draft, bad))
    assert response.status_code == 422
    html = response.content.decode()
    assert "Rule 1 (field): unknown field &#x27;shoe_size&#x27;" in html
    assert "Rule 2 (half_life_days)" in html and "above 0" in html
    out_of_order = _rules_post(draft, ROWS, fit_a=10, fit_b=40)
    response = client.post("/settings/scoring/2/", out_of_order)
    assert response.status_code == 422 and "must go down strictly" in response.content.decode()
    assert draft.rules.count() == 13  # nothing saved


def test_an_active_version_cannot_be_edited_from_the_page(org):
    client = client_for(org.admin)
    response = client.get("/settings/scoring/1/")
    assert response.status_code == 302
    assert client.post("/settings/scoring/1/activate/").status_code == 302
    assert ScoringModel.objects.get(version=1).status == "active"


def test_the_lead_page_shows_factors_with_decayed_values_and_the_version(org):
    client = client_for(org.admin)
    client.post("/settings/scoring/draft/")
    client.post("/settings/scoring/2/", _rules_post(ScoringModel.objects.get(version=2), ROWS))
    client.post("/settings/scoring/2/activate/")
    now = clock.now()
    with clock.travel_to(now - timedelta(days=8)):
        lead = capture(1, title="CEO")
    behaviour_record([BehaviourRequest("email_click", now - timedelta(days=7), lead_id=lead.pk)])
    html = client_for(org.sdr1).get(f"/leads/{lead.pk}/").content.decode()
    assert "model version 2" in html
    assert 'data-field="behaviour.email_click"' in html
    assert "1 event, worth 0.5 after decay (half-life 7 d)" in html
    assert "+5.0" in html  # 10 points × 0.5
    assert Lead.objects.get(pk=lead.pk).score_band in html
    partial = client_for(org.sdr1).get("/queue/rows/", **HTMX).content.decode()
    assert "badge band band-" in partial
