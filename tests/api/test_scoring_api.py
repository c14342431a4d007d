"""The scoring API: models (list, read, draft, edit with clear errors, diff, activate) and a lead's score."""

from api_client import Api

from baton.leads.services import lead_capture
from baton.org.services import token_create, user_create

CLICKS = {"kind": "engagement", "field": "behaviour.email_click", "op": "count", "points": 5, "cap": 20,
          "half_life_days": 14, "label": "Clicked"}  # fmt: skip


def test_anyone_reads_the_models_only_editors_change_them(org, api_as):
    sdr = api_as("sdr1")
    listed = sdr.get("/scoring/models")
    assert listed.status_code == 200 and [m["version"] for m in listed.json()] == [1]
    active = sdr.get("/scoring/models/active").json()
    assert active["status"] == "active" and len(active["rules"]) == 13
    assert active["grades"] == {"fit": [60, 40, 20], "engagement": [60, 30, 10]}
    assert active["bands"][0] == {"band": "handoff_ready", "fit": "A", "engagement": "2", "min_total": 0}
    assert sdr.post("/scoring/models", {}).status_code == 403
    assert sdr.get("/scoring/models/9").status_code == 404


def test_draft_edit_diff_activate_over_the_api(org, api_as):
    lead_capture({"name": "Lead", "email": "l@firm.com", "title": "CEO"})
    admin = api_as("admin")
    created = admin.post("/scoring/models", {"name": "Clicks count"})
    assert (
        created.status_code == 201 and created.json()["version"] == 2 and created.json()["status"] == "draft"
    )
    assert admin.post("/scoring/models", {}).json()["error"] == "draft_exists"
    rules = [*created.json()["rules"], CLICKS]
    updated = admin.put("/scoring/models/2/rules", rules)
    assert updated.status_code == 200 and updated.json()["rules"][-1]["half_life_days"] == 14
    diff = admin.get("/scoring/models/2/diff").json()
    assert diff == [{"what": "rule_added", "label": "Clicked", "kind": "engagement",
                     "changes": {"kind": [None, "engagement"], "field": [None, "behaviour.email_click"],
                                 "op": [None, "count"], "value": [None, ""], "points": [None, 5], "cap": [None, 20],
                                 "half_life_days": [None, 14.0]}}]  # fmt: skip
    activated = admin.post("/scoring/models/2/activate", {})
    assert activated.status_code == 200
    body = activated.json()
    assert body["model"]["status"] == "active" and body["recompute"]["leads"] == 1
    assert admin.get("/scoring/models/1").json()["status"] == "retired"
    assert admin.post("/scoring/models/1/activate", {}).json()["error"] == "scoring_model_not_draft"
    assert admin.put("/scoring/models/2", {"name": "x"}).status_code == 409


def test_bad_drafts_get_clear_errors(org, api_as):
    admin = api_as("admin")
    admin.post("/scoring/models", {})
    bad = admin.put(
        "/scoring/models/2/rules", [{**CLICKS, "half_life_days": -1}, {**CLICKS, "op": "sum", "label": "x"}]
    )
    assert bad.status_code == 422
    body = bad.json()
    assert body["error"] == "invalid_input"
    assert (
        "rules[0].half_life_days" in body["detail"]
        and "rules[1].op: unknown operator 'sum'" in body["detail"]
    )
    assert {"rules[0].half_life_days", "rules[1].op"} <= set(body["fields"])
    assert body["fields"]["rules[1].cap"] == "only count rules have a cap"
    order = admin.put("/scoring/models/2", {"grades": {"fit": [20, 40, 60], "engagement": [60, 30, 10]}})
    assert order.status_code == 422 and "grades.fit" in order.json()["fields"]
    bands = admin.put(
        "/scoring/models/2", {"bands": [{"band": "sdr_queue"}, {"band": "handoff_ready", "fit": "A"}]}
    )
    assert bands.status_code == 422 and "never applies" in bands.json()["fields"]["bands[1]"]
    unknown = admin.put("/scoring/models/2", {"colour": "red"})
    assert unknown.status_code == 422
    assert admin.delete("/scoring/models/2").status_code == 204
    assert admin.delete("/scoring/models/1").status_code == 409


def test_an_sdr_director_owns_the_model_too(org):
    director = user_create("sdrdir", None, roles=["sdr_director"])
    api = Api(token_create(director))
    assert api.post("/scoring/models", {}).status_code == 201


def test_a_lead_score_explained(org, api_as):
    lead = lead_capture({"name": "Lead", "email": "l@firm.com", "title": "CTO", "company_size": 500,
                         "source": "trial_signup"})  # fmt: skip
    body = api_as("admin").get(f"/leads/{lead.pk}/score").json()
    assert body["version"] == 1 and body["total"] == lead.score and body["grade"] == lead.grade
    assert body["band"] == lead.score_band and body["band_reason"].startswith(lead.grade)
    assert {f["label"] for f in body["factors"]} >= {"Decision maker (title)", "Company size ≥ 200"}
    assert body["stored"]["version"] == 1
    other = "sdr2" if lead.owner.username == "sdr1" else "sdr1"
    assert api_as(lead.owner.username).get(f"/leads/{lead.pk}/score").status_code == 200
    assert api_as(other).get(f"/leads/{lead.pk}/score").status_code == 404  # not their lead
