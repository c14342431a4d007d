"""Qualification over the API: a lead's frameworks, templates (ops admins) and gates (admins, managers)."""

import pytest

from baton.qualification.models import CriterionAnswer, Framework, GateRule


def test_get_and_put_a_leads_qualification(api_as, leads):
    sam = api_as("sam")
    r = sam.get(f"/leads/{leads.sam.pk}/qualification")
    assert r.status_code == 200
    body = r.json()
    assert [f["key"] for f in body["frameworks"]] == ["bant", "champ", "meddic", "profile"]
    assert body["gate_passed"] is False and body["gate_source"] == "default"
    assert body["gate_rules"][0]["threshold"] == "≥ 3" and body["missing"] == [
        "budget",
        "authority",
        "need",
        "timing",
    ]

    r = sam.put(f"/leads/{leads.sam.pk}/qualification/meddic", {"criteria": {
        "champion": {"state": "met", "note": "the CIO pushes for us"}, "metrics": {"state": "not_met"},
    }})  # fmt: skip
    assert r.status_code == 200, r.content
    meddic = next(f for f in r.json()["frameworks"] if f["key"] == "meddic")
    assert (meddic["met"], meddic["total"], meddic["percent"]) == (1, 6, 17)
    champion = next(c for c in meddic["criteria"] if c["key"] == "champion")
    assert champion["note"] == "the CIO pushes for us" and champion["set_by"] == "sam" and champion["set_at"]
    # Only the note: the state stays.
    r = sam.put(
        f"/leads/{leads.sam.pk}/qualification/meddic", {"criteria": {"champion": {"note": "CIO + CFO"}}}
    )
    champion = next(c for f in r.json()["frameworks"] if f["key"] == "meddic" for c in f["criteria"]
                    if c["key"] == "champion")  # fmt: skip
    assert (champion["state"], champion["note"]) == ("met", "CIO + CFO")
    history = sam.get(f"/leads/{leads.sam.pk}/qualification/history", framework="meddic").json()
    assert [(h["criterion"], h["state"], h["note"]) for h in history] == [
        ("champion", "met", "CIO + CFO"), ("metrics", "not_met", ""), ("champion", "met", "the CIO pushes for us"),
    ]  # fmt: skip


def test_the_bant_shorthand_and_the_gate(api_as, leads):
    sam = api_as("sam")
    r = sam.put(f"/leads/{leads.sam.pk}/qualification", {"budget": "met", "authority": "met", "need": "met",
                                                          "notes": {"need": "CRM replacement"}})  # fmt: skip
    body = r.json()
    assert (
        r.status_code == 200 and body["gate_passed"] and body["gate"] == "BANT 3 of 4 met (gate: at least 3)"
    )
    assert (body["budget"], body["timing"], body["notes"]) == ("met", "unknown", {"need": "CRM replacement"})
    r = sam.post(f"/leads/{leads.sam.pk}/handoff", {"note": "demo next week"})
    assert r.status_code == 201, r.content
    packet = r.json()["packet"]["qualification"]
    assert packet["notes"] == {"need": "CRM replacement"} and packet["gate_passed"]
    assert {f["key"] for f in packet["frameworks"]} == {"bant", "champ", "meddic", "profile"}


@pytest.mark.parametrize(("path", "payload", "status", "detail"), [
    ("/qualification/spin", {"criteria": {"a": {"state": "met"}}}, 422, "unknown qualification framework 'spin'"),
    ("/qualification/bant", {"criteria": {"budgett": {"state": "met"}}}, 422, "unknown BANT criteria: 'budgett'"),
    ("/qualification/bant", {"criteria": {"budget": {"state": "yes"}}}, 422, "criteria.budget.state"),
    ("/qualification/bant", {"criteria": {}}, 422, "nothing to set"),
    ("/qualification/bant", {"budget": "met"}, 422, "criteria"),
    ("/qualification", {"budget": "maybe"}, 422, "budget"),
    ("/qualification", {"notes": {"budgett": "x"}}, 422, "notes for unknown criteria: budgett"),
])  # fmt: skip
def test_bad_answers_get_a_clear_4xx_and_change_nothing(api_as, leads, path, payload, status, detail):
    r = api_as("sam").put(f"/leads/{leads.sam.pk}{path}", payload)
    assert r.status_code == status, r.content
    assert detail in r.json()["detail"]
    assert not CriterionAnswer.objects.exists()


def test_who_may_see_and_set_a_leads_qualification(api_as, leads):
    body = {"criteria": {"budget": {"state": "met"}}}
    assert api_as("wang").get(f"/leads/{leads.sam.pk}/qualification").status_code == 404  # not visible
    assert api_as("wang").put(f"/leads/{leads.sam.pk}/qualification/bant", body).status_code == 404
    assert api_as("sales_director").put(f"/leads/{leads.sam.pk}/qualification/bant", body).status_code == 404
    assert (
        api_as("director").put(f"/leads/{leads.sam.pk}/qualification/bant", body).status_code == 200
    )  # Sam's manager
    assert api_as(None).get(f"/leads/{leads.sam.pk}/qualification").status_code == 401


def test_admins_manage_framework_templates(api_as, org):
    admin, sam = api_as("admin"), api_as("sam")
    listed = sam.get("/qualification/frameworks").json()
    assert [f["key"] for f in listed] == ["bant", "champ", "meddic", "profile"]
    profile = sam.get("/qualification/frameworks/profile").json()
    assert len(profile["criteria"]) == 15 and profile["criteria"][0]["label_zh"] == "所属行业符合"

    payload = {"key": "spin", "name": "SPIN", "name_zh": "SPIN 销售法",
               "criteria": [{"key": "situation", "label": "Situation"}, {"key": "problem", "label": "Problem"}]}  # fmt: skip
    assert sam.post("/qualification/frameworks", payload).status_code == 403
    r = admin.post("/qualification/frameworks", payload)
    assert r.status_code == 201 and [c["key"] for c in r.json()["criteria"]] == ["situation", "problem"]
    assert admin.post("/qualification/frameworks", payload).json()["error"] == "framework_exists"

    r = admin.patch("/qualification/frameworks/spin", {"name": "SPIN selling", "criteria": [
        {"key": "problem", "active": False}, {"key": "need_payoff", "label": "Need-payoff", "label_zh": "需求回报"},
    ]})  # fmt: skip
    assert r.status_code == 200, r.content
    assert [(c["key"], c["active"]) for c in r.json()["criteria"]] == [
        ("situation", True), ("problem", False), ("need_payoff", True),
    ]  # fmt: skip
    assert sam.patch("/qualification/frameworks/spin", {"name": "x"}).status_code == 403
    assert admin.patch("/qualification/frameworks/spin", {"name": None}).status_code == 422
    assert admin.patch("/qualification/frameworks/spin", {"colour": "red"}).status_code == 422
    assert admin.patch("/qualification/frameworks/nope", {"name": "x"}).status_code == 404
    r = admin.patch("/qualification/frameworks/spin", {"criteria": [{"key": "Bad Key", "label": "x"}]})
    assert r.status_code == 422 and "must start with a letter" in r.json()["detail"]
    assert admin.delete("/qualification/frameworks/spin/criteria/need_payoff").status_code == 204
    assert Framework.objects.get(key="spin").criteria.count() == 2


def test_an_answered_criterion_cannot_be_deleted_over_the_api(api_as, leads):
    api_as("sam").put(f"/leads/{leads.sam.pk}/qualification/champ", {"criteria": {"money": {"state": "met"}}})
    r = api_as("admin").delete("/qualification/frameworks/champ/criteria/money")
    assert r.status_code == 409 and r.json()["error"] == "criterion_answered"
    r = api_as("admin").patch(
        "/qualification/frameworks/champ", {"criteria": [{"key": "money", "active": False}]}
    )
    assert r.status_code == 200
    r = api_as("sam").get(f"/leads/{leads.sam.pk}/qualification").json()
    champ = next(f for f in r["frameworks"] if f["key"] == "champ")
    assert champ["total"] == 3 and "money" not in [c["key"] for c in champ["criteria"]]


def test_team_gates_over_the_api(api_as, org, leads):
    admin, dora, sam = api_as("admin"), api_as("director"), api_as("sam")
    assert sam.get("/qualification/gates").status_code == 403
    gates = dora.get("/qualification/gates").json()
    assert [g["team"] for g in gates] == [
        None,
        "Inbound A",
        "Inbound B",
        "SDR",
    ]  # the default, then her teams
    assert gates[0]["rules"][0] == {"framework": "bant", "name": "BANT", "kind": "at_least", "count": 3,
                                    "numerator": 0, "denominator": 1, "threshold": "≥ 3"}  # fmt: skip
    rules = {"rules": [{"framework": "profile", "kind": "more_than", "numerator": 2, "denominator": 3}]}
    r = dora.put(f"/qualification/gates/teams/{org.team_a.pk}", rules)
    assert (
        r.status_code == 200 and r.json()["source"] == "team" and r.json()["rules"][0]["threshold"] == "> 2/3"
    )
    assert (
        api_as("sales_director").put(f"/qualification/gates/teams/{org.team_a.pk}", rules).status_code == 403
    )
    assert dora.put("/qualification/gates/default", rules).status_code == 403
    r = sam.get(f"/leads/{leads.sam.pk}/qualification").json()
    assert r["gate_source"] == "team" and r["gate_team"] == "Inbound A" and len(r["missing"]) == 15

    r = admin.put(f"/qualification/gates/teams/{org.sdr_root.pk}", {"rules": [
        {"framework": "bant", "kind": "at_least", "count": 9}]})  # fmt: skip
    assert r.status_code == 422 and "can never pass" in r.json()["detail"]
    r = admin.put(
        f"/qualification/gates/teams/{org.sdr_root.pk}", {"rules": [{"framework": "bant", "kind": "most"}]}
    )
    assert r.status_code == 422
    assert admin.put("/qualification/gates/teams/999999", rules).status_code == 404
    assert admin.put("/qualification/gates/default", {"rules": []}).status_code == 422
    r = admin.put(f"/qualification/gates/teams/{org.team_a.pk}", {"rules": []})
    assert r.status_code == 200 and r.json()["source"] == "default"
    assert not GateRule.objects.exclude(team=None).exists()
