"""The behaviour API: bulk recording (roles, validation, idempotency) and a lead's behaviour (visibility)."""

from datetime import timedelta

import pytest

from baton.behaviour.models import BehaviourEvent

from .conftest import NOW, T0

WHEN = (T0 + timedelta(hours=1)).isoformat()


def item(**kw) -> dict:
    return {"kind": "page_visit", "occurred_at": WHEN, "detail": {"url": "https://acme.cn/pricing"}, **kw}


def test_record_a_batch_and_replay_it(api_as, leads):
    api = api_as("marketer")
    batch = [
        item(email=leads.sam.email, external_id="v1"),
        item(lead_id=leads.wang.pk, kind="signup", channel="wechat", external_id="s1"),
        item(phone=leads.sam.phone, kind="content_download", detail={"title": "MES 白皮书", "campaign": "Q4"},
             data={"file": "mes.pdf"}, external_id="d1"),
    ]  # fmt: skip
    r = api.post("/behaviour/events", batch)
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["created"], body["duplicates"], body["unmatched"]) == (3, 0, 0)
    assert [i["status"] for i in body["items"]] == ["created"] * 3
    assert [i["lead_id"] for i in body["items"]] == [leads.sam.pk, leads.wang.pk, leads.sam.pk]
    again = api.post("/behaviour/events", batch)
    assert again.status_code == 200
    assert (again.json()["created"], again.json()["duplicates"]) == (0, 3)
    assert [i["event_id"] for i in again.json()["items"]] == [i["event_id"] for i in body["items"]]
    assert BehaviourEvent.objects.count() == 3


def test_unknown_leads_refuse_the_batch_unless_skipped(api_as, leads):
    api = api_as("admin")
    batch = [item(lead_id=leads.sam.pk), item(email="ghost@nowhere.cn")]
    r = api.post("/behaviour/events", batch)
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_input"
    assert r.json()["detail"] == (
        "1 of 2 items are not valid, nothing was stored: item 1: lead: no lead with e-mail ghost@nowhere.cn"
    )
    assert r.json()["items"] == {"1": {"fields": {"lead": "no lead with e-mail ghost@nowhere.cn"}}}
    r = api.post("/behaviour/events?skip_unknown_leads=true", batch)
    assert r.status_code == 201
    assert (r.json()["created"], r.json()["unmatched"]) == (1, 1)
    assert r.json()["items"][1] == {"item": 1, "status": "unmatched", "lead_id": None, "event_id": None,
                                    "reason": "no lead with e-mail ghost@nowhere.cn"}  # fmt: skip


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        ([item(kind="tweet", lead_id=1)], "the event is not valid: kind: unknown kind 'tweet'"),
        (
            [item(lead_id=1, occurred_at=(NOW + timedelta(days=1)).isoformat())],
            "occurred_at: is in the future",
        ),
        (
            [item(lead_id=1, occurred_at=(T0 - timedelta(days=1)).isoformat())],
            "is before the lead was created",
        ),
        ([item(lead_id=1, occurred_at="2026-11-02T10:00:00")], "occurred_at: needs a UTC offset"),
        ([item(lead_id=1, occurred_at="yesterday")], "0.occurred_at: Input should be a valid datetime"),
        ([item(lead_id=1, colour="red")], "0.colour: Extra inputs are not permitted"),
        ([item(lead_id=1, detail={"author": "x"})], "0.detail.author: Extra inputs are not permitted"),
        ({"kind": "page_visit"}, "Input should be a valid list"),
    ],
)
def test_bad_items_are_refused_with_their_place(api_as, leads, payload, detail):
    if isinstance(payload, list):
        payload = [{**p, "lead_id": leads.sam.pk} if "lead_id" in p else p for p in payload]
    r = api_as("admin").post("/behaviour/events", payload)
    assert r.status_code == 422, r.content
    assert detail in r.json()["detail"], r.json()["detail"]
    assert not BehaviourEvent.objects.exists()


def test_at_most_5000_items(api_as, leads):
    r = api_as("admin").post("/behaviour/events", [item(lead_id=leads.sam.pk)] * 5001)
    assert r.status_code == 422 and r.json()["error"] == "too_many_items"
    assert r.json()["detail"] == "at most 5000 events per request; got 5001"


def test_tokens_and_roles(api_as, leads):
    assert api_as(None).post("/behaviour/events", [item(lead_id=leads.sam.pk)]).status_code == 401
    r = api_as("ae").post("/behaviour/events", [item(lead_id=leads.sam.pk)])
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert api_as("sdr").post("/behaviour/events", [item(lead_id=leads.sam.pk)]).status_code == 201
    # An SDR cannot reach another SDR's lead: it is unknown to them.
    r = api_as("sdr").post("/behaviour/events", [item(lead_id=leads.wang.pk)])
    assert r.status_code == 422 and "does not exist or is not visible to you" in r.json()["detail"]
    assert api_as("admin").post("/behaviour/events", raw="[{nope").json()["error"] == "malformed_json"


def test_a_leads_behaviour_newest_first_with_visibility(api_as, leads):
    api_as("admin").post("/behaviour/events", [
        item(lead_id=leads.sam.pk, occurred_at=(T0 + timedelta(hours=h)).isoformat(), kind=kind, external_id=f"e{h}")
        for h, kind in ((1, "email_open"), (2, "email_click"), (3, "email_open"))
    ])  # fmt: skip
    r = api_as("sdr").get(f"/leads/{leads.sam.pk}/behaviour")
    assert r.status_code == 200
    rows = r.json()
    assert [(e["kind"], e["external_id"]) for e in rows] == [("email_open", "e3"), ("email_click", "e2"),
                                                             ("email_open", "e1")]  # fmt: skip
    assert rows[0]["detail"] == {"url": "https://acme.cn/pricing"} and rows[0]["recorded_by"] == "root"
    assert len(api_as("sdr").get(f"/leads/{leads.sam.pk}/behaviour", kind="email_open").json()) == 2
    assert len(api_as("sdr").get(f"/leads/{leads.sam.pk}/behaviour", limit=1).json()) == 1
    counts = api_as("sdr").get(f"/leads/{leads.sam.pk}/behaviour/counts").json()
    assert counts["email_open"] == 2 and counts["email_click"] == 1 and counts["signup"] == 0
    r = api_as("sdr").get(f"/leads/{leads.sam.pk}/behaviour", kind="tweet")
    assert r.status_code == 422 and "unknown kind" in r.json()["detail"]
    assert api_as("sdr").get(f"/leads/{leads.sam.pk}/behaviour", limit=0).status_code == 422
    r = api_as("sdr2").get(f"/leads/{leads.sam.pk}/behaviour")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert api_as("sdr2").get(f"/leads/{leads.sam.pk}/behaviour/counts").status_code == 404
