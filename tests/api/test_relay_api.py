"""The whole relay over the REST API, and the bad inputs of each step."""

from datetime import UTC, datetime, timedelta

import pytest

from baton import clock
from baton.handoffs.models import Handoff
from baton.leads.models import Lead, LeadEvent
from baton.pipeline.models import Stage

pytestmark = pytest.mark.django_db


def capture(api, payload, **headers):
    return api.post("/leads", payload, headers=headers or None)


def test_capture_normalises_scores_routes_and_records(api_as, lead_payload):
    api = api_as("admin")
    r = capture(api, lead_payload)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["email"] == "Wang.Wei@example-corp.cn"
    assert body["phone"] == "+8613800138000"
    assert body["owner"]["username"] in {"sdr1", "sdr2"}
    assert body["score"] > 0 and body["grade"]
    assert body["routed_at"] is not None
    kinds = list(LeadEvent.objects.filter(lead_id=body["id"]).values_list("kind", flat=True))
    assert kinds[:3] == ["captured", "scored", "routed"]


def test_round_robin_alternates_between_inbound_sdrs(api_as, lead_payload):
    api = api_as("admin")
    owners = [
        capture(api, {**lead_payload, "email": f"p{i}@x{i}.cn"}).json()["owner"]["username"] for i in range(6)
    ]
    assert owners.count("sdr1") == owners.count("sdr2") == 3
    assert owners[0] != owners[1]


def test_idempotency_key_replays_and_rejects_a_different_body(api_as, lead_payload):
    api = api_as("admin")
    first = capture(api, lead_payload, **{"Idempotency-Key": "abc-1"})
    again = capture(api, lead_payload, **{"Idempotency-Key": "abc-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert Lead.objects.count() == 1
    other = capture(api, {**lead_payload, "name": "李娜"}, **{"Idempotency-Key": "abc-1"})
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"
    assert Lead.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "status", "needle"),
    [
        ({"email": "a@b.cn"}, 422, "name"),
        ({"name": "X"}, 422, "e-mail or a phone"),
        ({"name": "X", "email": "not-an-email"}, 422, "email"),
        ({"name": "X", "phone": "12"}, 422, "phone"),
        ({"name": "X", "email": "a@b.cn", "source": "carrier_pigeon"}, 422, "source"),
        ({"name": "X", "email": "a@b.cn", "company_size": "many"}, 422, "company_size"),
        ({"name": "X", "email": "a@b.cn", "colour": "red"}, 422, "colour"),
        ({"name": 5, "email": "a@b.cn"}, 422, "name"),
    ],
)
def test_capture_rejects_bad_input_and_writes_nothing(api_as, payload, status, needle):
    r = capture(api_as("admin"), payload)
    assert r.status_code == status, r.content
    body = r.json()
    assert body["error"] == "invalid_input"
    assert needle in body["detail"]
    assert Lead.objects.count() == 0


def test_malformed_json_and_missing_or_bad_token(api_as, org):
    api = api_as("admin")
    r = api.post("/leads", raw="{not json")
    assert r.status_code == 400 and r.json()["error"] == "malformed_json"
    anonymous = api_as(None)
    r = anonymous.post("/leads", {"name": "X", "email": "a@b.cn"})
    assert r.status_code == 401 and "Authorization" in r.json()["detail"]
    anonymous.token = "bt_forged"
    r = anonymous.get("/me")
    assert r.status_code == 401 and "invalid" in r.json()["detail"]
    assert Lead.objects.count() == 0


def test_expired_token_is_refused(org):
    from api_client import Api

    from baton.org.services import token_create

    token = token_create(org["sdr1"], ttl_days=1)
    api = Api(token)
    assert api.get("/me").status_code == 200
    with clock.travel_to(datetime.now(UTC) + timedelta(days=2)):
        r = api.get("/me")
    assert r.status_code == 401 and "expired" in r.json()["detail"]


def walk_to_handoff(api_as, lead_payload):
    lead = capture(api_as("admin"), lead_payload).json()
    sdr = api_as(lead["owner"]["username"])
    r = sdr.post(
        f"/leads/{lead['id']}/touches", {"channel": "call", "outcome": "connected", "duration_seconds": 240}
    )
    assert r.status_code == 201, r.content
    r = sdr.put(
        f"/leads/{lead['id']}/qualification",
        {"budget": "met", "authority": "met", "need": "met", "notes": {"need": "CRM replacement"}},
    )
    assert r.status_code == 200 and r.json()["gate_passed"], r.content
    r = sdr.post(f"/leads/{lead['id']}/handoff", {"note": "wants a demo next week"})
    assert r.status_code == 201, r.content
    return lead, sdr, r.json()


def test_full_relay_over_the_api(api_as, lead_payload):
    with clock.travel_to(datetime(2026, 11, 24, 2, 0, tzinfo=UTC)):  # a Tuesday, 10:00 in Shanghai
        lead, sdr, handoff = walk_to_handoff(api_as, lead_payload)
    assert handoff["ae"]["username"] in {"ae1", "ae2"}  # the East region's AEs
    assert handoff["packet"]["qualification"]["notes"]["need"] == "CRM replacement"
    # 48 hours counted in working days: Tuesday → Thursday, same time.
    assert datetime.fromisoformat(handoff["due_at"]) == datetime(2026, 11, 26, 2, 0, tzinfo=UTC)

    ae = api_as(handoff["ae"]["username"])
    inbox = ae.get("/handoffs").json()
    assert [h["id"] for h in inbox] == [handoff["id"]]
    r = ae.post(f"/handoffs/{handoff['id']}/accept")
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert ae.get(f"/leads/{lead['id']}").json()["status"] == "sql"
    r = ae.post(f"/leads/{lead['id']}/opportunity", {"amount": "250000.00", "name": "示例科技 CRM"})
    assert r.status_code == 201, r.content
    opp = r.json()
    again = ae.post(f"/leads/{lead['id']}/opportunity", {"amount": "250000.00"})
    assert again.status_code == 200 and again.json()["id"] == opp["id"]
    won = Stage.objects.get(kind="won")
    r = ae.post(f"/opportunities/{opp['id']}/stage", {"stage_id": won.pk})
    assert r.status_code == 200 and r.json()["closed_at"] is not None
    statuses = [e["to_status"] for e in sdr.get(f"/leads/{lead['id']}/events").json() if e["to_status"]]
    assert statuses[::-1] == ["new", "working", "mql", "sql", "converted"]


def test_handoff_gate_and_wrong_user_and_reject_without_reason(api_as, lead_payload):
    lead = capture(api_as("admin"), lead_payload).json()
    sdr = api_as(lead["owner"]["username"])
    other_sdr = api_as("sdr2" if lead["owner"]["username"] == "sdr1" else "sdr1")
    assert other_sdr.get(f"/leads/{lead['id']}").status_code == 404  # row-level visibility
    sdr.post(f"/leads/{lead['id']}/touches", {"channel": "call", "outcome": "no_answer"})
    sdr.put(f"/leads/{lead['id']}/qualification", {"budget": "met", "need": "met"})
    r = sdr.post(f"/leads/{lead['id']}/handoff", {})
    assert r.status_code == 409 and r.json()["error"] == "gate_not_passed"
    assert "Authority" in r.json()["detail"] and r.json()["missing"] == ["authority", "timing"]
    assert Handoff.objects.count() == 0
    sdr.put(f"/leads/{lead['id']}/qualification", {"timing": "met"})
    handoff = sdr.post(f"/leads/{lead['id']}/handoff", {}).json()
    wrong_ae = api_as("ae_w")
    assert wrong_ae.post(f"/handoffs/{handoff['id']}/accept").status_code == 404
    right = api_as(handoff["ae"]["username"])
    other_ae = api_as("ae2" if handoff["ae"]["username"] == "ae1" else "ae1")
    assert other_ae.post(f"/handoffs/{handoff['id']}/accept").status_code == 404
    director = api_as("director")  # sees the handoff (their subtree) but may not accept for the AE
    r = director.post(f"/handoffs/{handoff['id']}/accept")
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    r = right.post(f"/handoffs/{handoff['id']}/reject", {"reason": ""})
    assert r.status_code == 422 and "reason" in r.json()["detail"]
    r = right.post(f"/handoffs/{handoff['id']}/reject", {"reason": "made_up"})
    assert r.status_code == 422 and "no_budget" in r.json()["detail"]
    assert Handoff.objects.get().status == "pending"
    until = (clock.now() + timedelta(days=30)).date().isoformat()
    r = right.post(
        f"/handoffs/{handoff['id']}/reject", {"reason": "bad_timing", "note": "Q3", "nurture_until": until}
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert Lead.objects.get().status == "nurturing"
    r = right.post(f"/handoffs/{handoff['id']}/accept")
    assert r.status_code == 409 and r.json()["error"] == "handoff_decided"
    notes = sdr.get("/notifications").json()
    assert any(n["verb"] == "handoff_rejected" and "Timing" in n["message"] for n in notes)


def test_illegal_transitions_are_refused(api_as, lead_payload):
    lead = capture(api_as("admin"), lead_payload).json()
    sdr = api_as(lead["owner"]["username"])
    r = sdr.post(f"/leads/{lead['id']}/status", {"status": "nurturing"})
    assert r.status_code == 200
    r = sdr.post(f"/leads/{lead['id']}/status", {"status": "sql"})
    assert r.status_code == 422
    r = sdr.post(f"/leads/{lead['id']}/status", {"status": "disqualified"})
    assert r.status_code == 409 and r.json()["error"] == "reason_required"
    r = sdr.post(f"/leads/{lead['id']}/status", {"status": "bogus"})
    assert r.status_code == 409 and "unknown" in r.json()["detail"]
    r = sdr.post(f"/leads/{lead['id']}/handoff", {})
    assert r.status_code == 409
    r = sdr.post(f"/leads/{lead['id']}/opportunity", {"amount": 5})
    assert r.status_code == 409
    assert Lead.objects.get().status == "nurturing"


def test_acceptance_skips_the_weekend_and_china_holidays(api_as, lead_payload):
    with clock.travel_to(datetime(2026, 11, 27, 9, 0, tzinfo=UTC)):  # Friday 17:00 in Shanghai
        _, _, handoff = walk_to_handoff(api_as, lead_payload)
    assert datetime.fromisoformat(handoff["due_at"]) == datetime(
        2026, 12, 1, 9, 0, tzinfo=UTC
    )  # Tuesday 17:00
    Handoff.objects.all().delete()
    Lead.objects.all().delete()
    with clock.travel_to(datetime(2026, 9, 30, 2, 0, tzinfo=UTC)):  # Wednesday 30 Sep, before National Day
        _, _, handoff = walk_to_handoff(api_as, {**lead_payload, "email": "n@day.cn"})
    due = datetime.fromisoformat(handoff["due_at"])
    assert due.date() >= datetime(2026, 10, 8).date()  # 1–7 October are holidays


def test_sweep_marks_overdue_handoffs_once(api_as, lead_payload):
    from baton.worker import sweep

    _, _, handoff = walk_to_handoff(api_as, lead_payload)
    due = Handoff.objects.get().due_at  # the JSON carries milliseconds only
    assert abs(datetime.fromisoformat(handoff["due_at"]) - due) < timedelta(milliseconds=1)
    assert sweep(due - timedelta(seconds=1))["handoffs_overdue"] == 0
    assert sweep(due)["handoffs_overdue"] == 1
    assert sweep(due + timedelta(hours=1))["handoffs_overdue"] == 0
    h = Handoff.objects.get()
    assert h.overdue_at == due
    assert LeadEvent.objects.filter(kind="handoff_overdue", lead=h.lead).count() == 1
    ae = api_as(handoff["ae"]["username"])
    with clock.travel_to(due - timedelta(minutes=1)):
        assert ae.get(f"/handoffs/{h.pk}").json()["overdue"] is False
    with clock.travel_to(due + timedelta(minutes=1)):
        body = ae.get(f"/handoffs/{h.pk}").json()
    assert body["overdue"] is True and body["seconds_left"] == -60
    # The AE hears from the SLA engine (the breach), the SDR from the handoff sweep (to follow up).
    assert ae.get("/notifications").json()[0]["verb"] == "sla_breached"
    sdr = api_as(Handoff.objects.get().sdr.username)
    assert "handoff_overdue" in [n["verb"] for n in sdr.get("/notifications").json()]


def test_web_form_capture_honeypot_and_unknown_key(org, client):
    from baton.leads.models import WebForm

    WebForm.objects.create(name="Trial", key="trial-2026", source="trial_signup", created_at=clock.now())
    r = client.post(
        "/api/v1/forms/trial-2026", {"name": "赵六", "phone": "13900139000"}, content_type="application/json"
    )
    assert r.status_code == 201 and r.json()["id"]
    lead = Lead.objects.get()
    assert lead.source == "trial_signup" and lead.owner is not None
    r = client.post(
        "/api/v1/forms/trial-2026",
        {"name": "bot", "phone": "13900139001", "website_url": "http://spam"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["id"] is None
    r = client.post(
        "/api/v1/forms/nope", {"name": "x", "phone": "13900139002"}, content_type="application/json"
    )
    assert r.status_code == 404
    assert Lead.objects.count() == 1


def test_openapi_document_is_served(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/leads" in paths and "/api/v1/handoffs/{handoff_id}/accept" in paths


def test_interactive_docs_are_served_without_a_cdn(client):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    html = r.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html
