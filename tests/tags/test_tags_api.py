"""The tags API: tags, a lead's tags (visibility), tag rules (admins, validation), in the project's error format."""

import json

import pytest

from baton.tags.models import LeadTag, Tag, TagRule

RULE = {"name": "Engaged manufacturer", "tag": "hot-manufacturing",
        "condition": {"all": [{"field": "industry", "op": "eq", "value": "manufacturing"},
                              {"behaviour": "content_download", "op": "gte", "value": 2}]}}  # fmt: skip


def delete(api, path):
    return api.client.delete(f"/api/v1{path}", headers=api._headers())


def patch(api, path, body):
    return api.client.patch(f"/api/v1{path}", json.dumps(body), content_type="application/json",
                            headers=api._headers())  # fmt: skip


def test_create_and_list_tags(api_as, leads):
    api = api_as("sdr")
    r = api.post("/tags", {"name": "Key account", "colour": "blue"})
    assert r.status_code == 201, r.content
    assert {k: r.json()[k] for k in ("name", "colour", "kind", "lead_count", "created_by")} == {
        "name": "Key account", "colour": "blue", "kind": "manual", "lead_count": 0, "created_by": "sam",
    }  # fmt: skip
    r = api.post("/tags", {"name": "KEY ACCOUNT"})
    assert r.status_code == 409 and r.json()["error"] == "duplicate_tag"
    assert r.json()["detail"] == "a tag named 'Key account' already exists"
    api.post(f"/leads/{leads.sam.pk}/tags", {"names": ["key account"]})
    listed = api_as("ae").get("/tags").json()
    assert [(t["name"], t["lead_count"]) for t in listed] == [("Key account", 1)]


@pytest.mark.parametrize(
    ("payload", "status", "detail"),
    [
        ({"name": "a/b"}, 422, "may not contain '/'"),
        ({"name": ""}, 422, "a tag needs a name"),
        ({"name": "x", "colour": "pink"}, 422, "colour:"),
        ({"name": "x", "size": 3}, 422, "size: Extra inputs are not permitted"),
        ({"colour": "red"}, 422, "name: Field required"),
    ],
)
def test_bad_tags(api_as, payload, status, detail):
    r = api_as("sdr").post("/tags", payload)
    assert r.status_code == status and detail in r.json()["detail"], r.content
    assert not Tag.objects.exists()


def test_only_admins_create_automatic_tags(api_as):
    assert api_as("marketer").post("/tags", {"name": "hot", "kind": "auto"}).status_code == 403
    assert api_as("admin").post("/tags", {"name": "hot", "kind": "auto"}).status_code == 201


def test_tag_a_lead_and_remove_a_tag(api_as, leads):
    api = api_as("sdr")
    r = api.post(f"/leads/{leads.sam.pk}/tags", {"names": ["Manufacturing", "East China", "CTO"]})
    assert r.status_code == 200, r.content
    assert [(t["tag"], t["source"], t["added_by"]) for t in r.json()] == [
        ("CTO", "manual", "sam"), ("East China", "manual", "sam"), ("Manufacturing", "manual", "sam"),
    ]  # fmt: skip
    assert len(api.get(f"/leads/{leads.sam.pk}/tags").json()) == 3
    r = delete(api, f"/leads/{leads.sam.pk}/tags/east%20china")
    assert r.status_code == 200 and [t["tag"] for t in r.json()] == ["CTO", "Manufacturing"]
    r = delete(api, f"/leads/{leads.sam.pk}/tags/East China")
    assert r.status_code == 404 and r.json()["detail"] == f"lead {leads.sam.pk} has no tag 'East China'"
    r = delete(api, f"/leads/{leads.sam.pk}/tags/nonexistent")
    assert r.status_code == 404 and r.json()["detail"] == "no tag named 'nonexistent'"


def test_tagging_a_lead_you_cannot_see(api_as, leads):
    api = api_as("sdr")
    for r in (
        api.post(f"/leads/{leads.wang.pk}/tags", {"names": ["VIP"]}),
        api.get(f"/leads/{leads.wang.pk}/tags"),
        delete(api, f"/leads/{leads.wang.pk}/tags/VIP"),
        api.post("/leads/999999/tags", {"names": ["VIP"]}),
    ):
        assert r.status_code == 404 and r.json()["error"] == "not_found", r.content
    assert not LeadTag.objects.exists() and not Tag.objects.exists()


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        ({"names": []}, "give at least one tag name"),
        ({"names": ["ok", "a,b"]}, "may not contain ','"),
        ({"names": "VIP"}, "names: Input should be a valid list"),
        ({}, "names: Field required"),
    ],
)
def test_bad_lead_tags(api_as, leads, payload, detail):
    r = api_as("sdr").post(f"/leads/{leads.sam.pk}/tags", payload)
    assert r.status_code == 422 and detail in r.json()["detail"], r.content


def test_rules_over_the_api(api_as, leads):
    admin = api_as("admin")
    r = admin.post("/tag-rules", RULE)
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["name"], body["tag"], body["active"], body["position"]) == ("Engaged manufacturer",
                                                                             "hot-manufacturing", True, 10)  # fmt: skip
    assert body["description"] == 'all of [industry = "manufacturing"; content_download ≥ 2]'
    assert admin.post("/tag-rules", RULE).status_code == 409
    r = patch(admin, f"/tag-rules/{body['id']}", {"active": False, "position": 5})
    assert r.status_code == 200 and (r.json()["active"], r.json()["position"]) == (False, 5)
    r = patch(admin, f"/tag-rules/{body['id']}", {"condition": None})
    assert r.status_code == 422 and "condition: may not be null" in r.json()["detail"]
    assert patch(admin, "/tag-rules/9999", {"active": True}).status_code == 404
    listed = api_as("sdr").get("/tag-rules").json()
    assert [(r["name"], r["active"]) for r in listed] == [("Engaged manufacturer", False)]
    assert api_as("sdr").get("/tag-rules", active="true").json() == []
    # Rule tags cannot be added by hand.
    r = api_as("sdr").post(f"/leads/{leads.sam.pk}/tags", {"names": ["hot-manufacturing"]})
    assert r.status_code == 422 and r.json()["error"] == "rule_tag"


def test_applying_rules_to_all_leads(api_as, leads):
    api_as("admin").post("/tag-rules", {"name": "Manufacturers", "tag": "manufacturer",
                                        "condition": {"field": "industry", "op": "eq", "value": "manufacturing"}})  # fmt: skip
    assert api_as("sdr").post("/tag-rules/apply").status_code == 403
    r = api_as("admin").post("/tag-rules/apply")
    assert r.status_code == 200 and r.json() == {"added": 2, "removed": 0}
    tags = api_as("sdr").get(f"/leads/{leads.sam.pk}/tags").json()
    assert tags[0]["tag"] == "manufacturer" and tags[0]["rule"]["name"] == "Manufacturers"
    assert 'industry = "manufacturing": yes ("manufacturing")' in tags[0]["reason"]


@pytest.mark.parametrize(
    ("condition", "detail"),
    [
        (
            {"field": "title", "op": "regex", "value": "cto"},
            "condition.op: unknown op 'regex'; use one of eq, in",
        ),
        ("industry = manufacturing", "condition: must be an object"),
        ({"all": []}, "condition.all: must be a non-empty list"),
        (
            {"any": [{"behaviour": "tweet", "op": "gte", "value": 1}]},
            "condition.any[0].behaviour: unknown behaviour",
        ),
        (None, "condition: must be an object"),
    ],
)
def test_bad_rules(api_as, condition, detail):
    r = api_as("admin").post("/tag-rules", {**RULE, "condition": condition})
    assert r.status_code == 422, r.content
    assert r.json()["error"] == "invalid_condition" and detail in r.json()["detail"]
    assert r.json()["fields"]["condition"]
    assert not TagRule.objects.exists()


@pytest.mark.parametrize("who", ["sdr", "marketer", "ae"])
def test_only_admins_write_rules(api_as, who):
    r = api_as(who).post("/tag-rules", RULE)
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert api_as(None).get("/tag-rules").status_code == 401
