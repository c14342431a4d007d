"""The routing API: policy versions (list, read, draft, edit, replay, activate), the month's eligible list,
leaves and territories; bad input named problem by problem; readers and writers."""

from baton.leads.services import lead_capture
from baton.org.models import Team
from baton.routing.models import RoutingDecision, RoutingPolicy, RoutingTally, Territory


def definition(team_id: int, **rule_over) -> dict:
    return {
        "rules": [{"key": "seo", "name": "SEO leads", "conditions": [{"field": "source", "op": "eq", "value": "seo"}],
                   "destination": {"type": "team", "team_id": team_id}, "strategy": "weighted_round_robin",
                   "options": {"weights": {"sdr1": 3, "sdr2": 1}}, **rule_over}],
        "fallback": {"key": "fallback", "name": "Inbound", "destination": {"type": "team", "team_id": team_id},
                     "strategy": "round_robin"},
    }  # fmt: skip


def test_policies_read_draft_edit_replay_activate(org, api_as):
    inbound = Team.objects.get(name="Inbound").pk
    for i, source in enumerate(["seo", "other", "seo"]):
        lead_capture({"name": f"L{i}", "email": f"l{i}@f{i}.com", "source": source})
    admin = api_as("admin")
    listed = admin.get("/routing/policies")
    assert listed.status_code == 200
    assert [(p["kind"], p["version"], p["state"]) for p in listed.json()] == [
        ("handoff", 1, "active"),
        ("lead", 1, "active"),
    ]
    assert [p["kind"] for p in admin.get("/routing/policies", kind="lead").json()] == ["lead"]
    v1 = admin.get("/routing/policies/lead/1").json()
    assert v1["definition"]["fallback"]["destination"] == {
        "type": "role",
        "role": "sdr_inbound",
        "pool": "inbound-sdr",
    }

    created = admin.post(
        "/routing/policies/lead", {"definition": definition(inbound), "note": "SEO weighted"}
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["version"], body["state"], body["note"], body["created_by"]) == (
        2,
        "draft",
        "SEO weighted",
        "admin",
    )
    assert body["definition"]["rules"][0]["options"]["weights"] == {"sdr1": 3.0, "sdr2": 1.0}

    edited = admin.put(
        "/routing/policies/lead/2", {"definition": definition(inbound, name="SEO 3:1"), "note": "v2"}
    )
    assert edited.status_code == 200 and edited.json()["definition"]["rules"][0]["name"] == "SEO 3:1"

    decisions, tallies = (
        RoutingDecision.objects.count(),
        list(RoutingTally.objects.values_list("user", "count")),
    )
    replay = admin.post("/routing/policies/lead/replay", {"version": 2, "last": 10})
    assert replay.status_code == 200
    r = replay.json()
    assert r["items"] == 3 and len(r["rows"]) == 3 and r["version"] == 2
    assert {row["rule"] for row in r["rows"]} == {"SEO 3:1", "Inbound"}
    assert sum(r["actual"].values()) == 3 and sum(r["would"].values()) == 3
    assert r["changed"] == sum(row["changed"] for row in r["rows"])
    unsaved = admin.post(
        "/routing/policies/lead/replay", {"definition": definition(inbound), "last": 2}
    ).json()
    assert unsaved["items"] == 2 and unsaved["version"] is None
    assert RoutingDecision.objects.count() == decisions
    assert list(RoutingTally.objects.values_list("user", "count")) == tallies

    activated = admin.post("/routing/policies/lead/2/activate")
    assert activated.status_code == 200 and activated.json()["state"] == "active"
    assert admin.get("/routing/policies/lead/1").json()["state"] == "retired"
    refused = admin.put("/routing/policies/lead/2", {"definition": definition(inbound)})
    assert refused.status_code == 409 and refused.json()["error"] == "policy_not_draft"
    lead = lead_capture({"name": "New", "email": "new@new.com", "source": "seo"})
    assert RoutingDecision.objects.get(lead=lead).policy_version == 2


def test_a_bad_policy_is_refused_with_every_problem(org, api_as):
    admin = api_as("admin")
    bad = {"rules": [
        {"key": "a", "conditions": [{"field": "shoe_size", "op": "eq", "value": 1}],
         "destination": {"type": "team", "team_id": 1}},
        {"key": "b", "conditions": [{"field": "source", "op": "in", "value": []}],
         "destination": {"type": "director"}, "strategy": "round_robin"},
        {"key": "c", "destination": {"type": "role", "role": "sdr_inbound"}, "strategy": "weighted_round_robin"},
    ]}  # fmt: skip
    response = admin.post("/routing/policies/lead", {"definition": bad})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_input"
    problems = body["problems"]
    assert any("unknown field 'shoe_size'" in p for p in problems)
    assert any("in needs a non-empty list" in p for p in problems)
    assert any("director_dispatch" in p for p in problems)
    assert any("weighted round robin needs weights" in p for p in problems)
    assert any("needs a fallback" in p for p in problems)
    assert len(problems) == 5
    unknown_team = definition(99999)
    response = admin.post("/routing/policies/lead", {"definition": unknown_team})
    assert response.status_code == 422 and any(
        "team 99999 does not exist" in p for p in response.json()["problems"]
    )
    assert admin.post("/routing/policies/mql", {"definition": definition(1)}).status_code == 422
    assert admin.post("/routing/policies/lead", {"definition": {}, "extra": 1}).status_code == 422
    assert admin.post("/routing/policies/lead", raw="{not json").status_code == 400
    assert admin.get("/routing/policies/lead/9").status_code == 404
    assert admin.post("/routing/policies/lead/9/activate").status_code == 404
    both = admin.post("/routing/policies/lead/replay", {"version": 1, "definition": definition(1)})
    assert both.status_code == 422 and "either definition or version" in both.json()["detail"]
    assert admin.post("/routing/policies/lead/replay", {"version": 1, "last": 0}).status_code == 422
    assert RoutingPolicy.objects.count() == 2


def test_only_ops_admins_write_managers_read_and_replay(org, api_as):
    inbound = Team.objects.get(name="Inbound").pk
    director, sdr = api_as("director"), api_as("sdr1")
    assert director.get("/routing/policies").status_code == 200
    assert director.get("/routing/policies/handoff/1").status_code == 200
    assert director.post("/routing/policies/lead/replay", {"version": 1}).status_code == 200
    assert director.get("/routing/eligible/2026-12").status_code == 200
    assert director.get("/routing/territories").status_code == 200
    for call in (
        lambda c: c.post("/routing/policies/lead", {"definition": definition(inbound)}),
        lambda c: c.put("/routing/policies/lead/1", {"definition": definition(inbound)}),
        lambda c: c.post("/routing/policies/lead/1/activate"),
        lambda c: c.put("/routing/eligible/2026-12", {"usernames": ["ae1"]}),
        lambda c: c.post("/routing/leaves", {"username": "ae1", "starts_at": "2026-12-01T00:00:00Z",
                                             "ends_at": "2026-12-02T00:00:00Z"}),
        lambda c: c.put("/routing/territories", {"name": "East", "owner": "ae1", "regions": ["East"]}),
    ):  # fmt: skip
        for client in (director, sdr):
            response = call(client)
            assert response.status_code == 403, response.content
            assert response.json()["error"] == "forbidden"
    for path in ("/routing/policies", "/routing/policies/lead/1", "/routing/eligible/2026-12", "/routing/leaves",
                 "/routing/territories"):  # fmt: skip
        assert sdr.get(path).status_code == 403
    assert sdr.post("/routing/policies/lead/replay", {"version": 1}).status_code == 403
    assert api_as(None).get("/routing/policies").status_code == 401
    assert RoutingPolicy.objects.count() == 2 and not Territory.objects.exists()


def test_eligible_list_leaves_and_territories(org, api_as):
    admin = api_as("admin")
    assert admin.get("/routing/eligible/2026-12").json() == {
        "month": "2026-12",
        "usernames": [],
        "has_list": False,
    }
    put = admin.put("/routing/eligible/2026-12", {"usernames": ["ae2", "ae1"]})
    assert put.status_code == 200 and put.json() == {
        "month": "2026-12",
        "usernames": ["ae1", "ae2"],
        "has_list": True,
    }
    unknown = admin.put("/routing/eligible/2026-12", {"usernames": ["ae1", "ghost"]})
    assert unknown.status_code == 422 and unknown.json()["unknown"] == ["ghost"]
    assert admin.get("/routing/eligible/2026-12").json()["usernames"] == ["ae1", "ae2"]
    assert admin.put("/routing/eligible/December", {"usernames": []}).status_code == 422
    assert admin.put("/routing/eligible/2026-1", {"usernames": ["ae1"]}).status_code == 422
    assert admin.put("/routing/eligible/2026-12", {"usernames": []}).json()["has_list"] is False

    leave = admin.post("/routing/leaves", {"username": "ae1", "starts_at": "2030-01-01T00:00:00+08:00",
                                           "ends_at": "2030-01-08T00:00:00+08:00", "note": "holiday"})  # fmt: skip
    assert (
        leave.status_code == 201 and leave.json()["username"] == "ae1" and leave.json()["note"] == "holiday"
    )
    assert [x["username"] for x in admin.get("/routing/leaves").json()] == ["ae1"]
    backwards = admin.post("/routing/leaves", {"username": "ae1", "starts_at": "2030-01-08T00:00:00Z",
                                               "ends_at": "2030-01-01T00:00:00Z"})  # fmt: skip
    assert backwards.status_code == 422 and "ends after it starts" in backwards.json()["detail"]
    nobody = admin.post("/routing/leaves", {"username": "ghost", "starts_at": "2030-01-01T00:00:00Z",
                                            "ends_at": "2030-01-02T00:00:00Z"})  # fmt: skip
    assert nobody.status_code == 422 and "ghost" in nobody.json()["detail"]

    saved = admin.put("/routing/territories", {"name": "East coast", "owner": "ae1", "regions": ["East", " "],
                                              "cities": ["Shanghai"]})  # fmt: skip
    assert saved.status_code == 200
    assert saved.json() | {"id": 0} == {"id": 0, "name": "East coast", "owner": "ae1", "regions": ["East"],
                                        "cities": ["Shanghai"], "industries": [], "active": True}  # fmt: skip
    again = admin.put("/routing/territories", {"name": "East coast", "owner": "ae2", "regions": ["East"]})
    assert again.json()["id"] == saved.json()["id"] and again.json()["owner"] == "ae2"
    assert [t["name"] for t in admin.get("/routing/territories").json()] == ["East coast"]
    empty = admin.put("/routing/territories", {"name": "Everything", "owner": "ae1"})
    assert empty.status_code == 422 and "at least one region" in empty.json()["detail"]
    assert (
        admin.put("/routing/territories", {"name": "X", "owner": "ghost", "regions": ["X"]}).status_code
        == 422
    )
