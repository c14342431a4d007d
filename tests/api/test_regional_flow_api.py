"""The regional flow (SDR → regional director → dispatch to an AE), re-routing and strikes on breach,
eligibility of the month's list and leave — over the REST API, with the SLA engine's sweep."""

from datetime import UTC, datetime, timedelta

import pytest

from baton import clock
from baton.handoffs.models import Handoff
from baton.org.models import EligibleListEntry, Leave
from baton.routing.models import RoutingDecision
from baton.routing.services import policy_activate, policy_draft_save
from baton.sla.models import Clock, Penalty, Policy

from .test_relay_api import walk_to_handoff

pytestmark = pytest.mark.django_db
TUE_10 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _now():
    clock.set_frozen(TUE_10)
    yield
    clock.set_frozen(None)


def regional_policy(org):
    draft = policy_draft_save("handoff", {
        "rules": [{"key": "east", "name": "East goes through its director", "conditions": [
            {"field": "region", "op": "eq", "value": "East"}],
            "destination": {"type": "director"}, "strategy": "director_dispatch"}],
        "fallback": {"key": "fallback", "name": "Regional AEs", "destination": {"type": "region_team", "role": "ae"},
                     "strategy": "round_robin"},
    }, actor=org["admin"])  # fmt: skip
    policy_activate("handoff", draft.version, actor=org["admin"])


def test_director_dispatches_to_an_ae_with_clocks_and_notifications(org, api_as, lead_payload):
    regional_policy(org)
    _, sdr, handoff = walk_to_handoff(api_as, lead_payload)
    assert handoff["ae"]["username"] == "dir_east" and handoff["awaiting_dispatch"] is True
    clock_ = Clock.objects.get(handoff_id=handoff["id"])
    assert clock_.policy.key == "director_dispatch" and clock_.user_id == org["director"].pk
    assert clock_.due_at == TUE_10 + timedelta(hours=4)  # 4 business hours, within Tuesday
    director = api_as("director")
    r = director.post(f"/handoffs/{handoff['id']}/accept")
    assert r.status_code == 409 and "dispatch" in r.json()["detail"]
    options = director.get(f"/handoffs/{handoff['id']}/dispatch").json()
    assert {o["user"]["username"] for o in options} == {"ae1", "ae2"}  # the East AEs
    assert all(o["eligible"] for o in options)
    r = director.post(f"/handoffs/{handoff['id']}/dispatch", {"to": "dir_east"})
    assert r.status_code == 422 and "yourself" in r.json()["detail"]
    r = director.post(f"/handoffs/{handoff['id']}/dispatch", {"to": "sdr1"})
    assert r.status_code == 422 and "not an account executive" in r.json()["detail"]
    r = director.post(f"/handoffs/{handoff['id']}/dispatch", {"to": "nobody"})
    assert r.status_code == 422
    clock.set_frozen(TUE_10 + timedelta(hours=1))
    r = director.post(f"/handoffs/{handoff['id']}/dispatch", {"to": "ae2", "note": "you know them"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["ae"]["username"] == "ae2" and body["dispatcher"]["username"] == "dir_east"
    assert body["awaiting_dispatch"] is False
    clock_.refresh_from_db()
    assert clock_.state == "met" and clock_.stop_event == "dispatched"
    acceptance = Clock.objects.get(handoff_id=handoff["id"], policy__key="acceptance")
    assert acceptance.user_id == org["ae2"].pk and acceptance.state == "running"
    assert datetime.fromisoformat(body["due_at"]) == acceptance.due_at == TUE_10 + timedelta(hours=49)
    verbs = [n["verb"] for n in sdr.get("/notifications").json()]
    assert "handoff_dispatched" in verbs
    assert [n["verb"] for n in api_as("ae2").get("/notifications").json()][0] == "handoff_received"
    r = director.post(f"/handoffs/{handoff['id']}/dispatch", {"to": "ae1"})
    assert r.status_code in (403, 409)  # no longer theirs to dispatch
    r = api_as("ae2").post(f"/handoffs/{handoff['id']}/accept")
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    acceptance.refresh_from_db()
    assert acceptance.state == "met"


def test_dispatch_refuses_an_ae_who_cannot_take_it_and_says_why(org, api_as, lead_payload):
    regional_policy(org)
    _, _, handoff = walk_to_handoff(api_as, lead_payload)
    Leave.objects.create(
        user=org["ae1"], starts_at=TUE_10 - timedelta(days=1), ends_at=TUE_10 + timedelta(days=3)
    )
    director = api_as("director")
    options = {o["user"]["username"]: o for o in director.get(f"/handoffs/{handoff['id']}/dispatch").json()}
    assert not options["ae1"]["eligible"] and options["ae1"]["reason"].startswith("on leave until")
    r = director.post(f"/handoffs/{handoff['id']}/dispatch", {"to": "ae1"})
    assert r.status_code == 409 and "on leave" in r.json()["detail"]
    assert Handoff.objects.get().awaiting_dispatch is True  # nothing half-applied


def test_the_months_eligible_list_decides_who_receives_mqls(org, api_as, lead_payload):
    EligibleListEntry.objects.create(month="2026-11", user=org["ae2"], added_at=TUE_10)
    _, _, handoff = walk_to_handoff(api_as, lead_payload)
    assert handoff["ae"]["username"] == "ae2"
    decision = RoutingDecision.objects.filter(kind="handoff").latest("pk")
    assert {
        "user_id": org["ae1"].pk,
        "username": "ae1",
        "reason": "not on the eligible list for 2026-11",
    } in (decision.explanation["skipped"])
    assert decision.policy_version == 1 and decision.rule == "fallback"


def test_a_region_whose_aes_are_all_away_widens_to_every_ae(org, api_as, lead_payload):
    for ae in ("ae1", "ae2"):
        org[ae].suspended_until = TUE_10 + timedelta(days=30)
        org[ae].save()
    _, _, handoff = walk_to_handoff(api_as, lead_payload)
    assert handoff["ae"]["username"] == "ae_w"
    explanation = RoutingDecision.objects.filter(kind="handoff").latest("pk").explanation
    assert explanation["pool"] == "ae:all" and "nobody in ae:east could take it" in explanation["note"]


def test_nobody_eligible_refuses_the_handoff_with_the_reasons(org, api_as, lead_payload):
    for ae in ("ae1", "ae2", "ae_w"):
        org[ae].suspended_until = TUE_10 + timedelta(days=30)
        org[ae].save()
    lead = api_as("admin").post("/leads", lead_payload).json()
    sdr = api_as(lead["owner"]["username"])
    sdr.post(
        f"/leads/{lead['id']}/touches", {"channel": "call", "outcome": "connected", "duration_seconds": 240}
    )
    sdr.put(f"/leads/{lead['id']}/qualification", {"budget": "met", "authority": "met", "need": "met"})
    r = sdr.post(f"/leads/{lead['id']}/handoff", {})
    assert r.status_code == 409 and "suspended until" in r.json()["detail"]
    assert not Handoff.objects.exists()


def test_a_breach_reroutes_the_handoff_and_two_breaches_suspend(org, api_as, lead_payload):
    from baton.worker import sweep

    Policy.objects.filter(key="acceptance").update(
        breach_actions=["notify", "escalate_manager", "strike", "reroute"]
    )
    _, _, first = walk_to_handoff(api_as, lead_payload)
    missed_by = first["ae"]["username"]
    due = datetime.fromisoformat(first["due_at"])
    sweep(due + timedelta(minutes=1))
    h = Handoff.objects.get(pk=first["id"])
    assert h.ae.username != missed_by and h.ae.username in {"ae1", "ae2"}  # moved to the other East AE
    old, new = Clock.objects.filter(handoff=h, policy__key="acceptance").order_by("pk")
    assert old.state == "missed" and old.stop_event == "rerouted" and new.state == "running"
    assert h.due_at == new.due_at > due
    timeline = list(h.lead.events.filter(kind="routed").values_list("reason", flat=True))
    assert any(reason.startswith(f"re-routed from {org[missed_by].label}") for reason in timeline)
    # One strike so far: no penalty yet.
    assert not Penalty.objects.exists()
    # A second miss by the same AE in a row: no MQLs for a month.
    clock.set_frozen(due + timedelta(hours=2))
    other = {**lead_payload, "email": "second@x.cn", "name": "李四"}
    while True:
        _, _, second = walk_to_handoff(api_as, other)
        if second["ae"]["username"] == missed_by:
            break
        Handoff.objects.filter(pk=second["id"]).update(status="accepted")
        other = {**other, "email": "n" + other["email"]}
    sweep(datetime.fromisoformat(second["due_at"]) + timedelta(minutes=1))
    penalty = Penalty.objects.get()
    assert penalty.user.username == missed_by and len(penalty.clocks) == 2
    org[missed_by].refresh_from_db()
    assert org[missed_by].suspended_until == penalty.until


def test_a_lead_rule_sends_big_accounts_to_the_director_who_dispatches(org, api_as, lead_payload):
    org["director"].roles.create(role="sdr_director")
    draft = policy_draft_save("lead", {
        "rules": [{"key": "big", "name": "Big companies via the director", "conditions": [
            {"field": "company_size", "op": "gte", "value": 1000}],
            "destination": {"type": "director"}, "strategy": "director_dispatch"}],
        "fallback": {"key": "fallback", "name": "Inbound SDRs", "destination": {"type": "role", "role": "sdr_inbound"},
                     "strategy": "round_robin"},
    }, actor=org["admin"])  # fmt: skip
    policy_activate("lead", draft.version, actor=org["admin"])
    admin = api_as("admin")
    small = admin.post("/leads", {**lead_payload, "company_size": 50}).json()
    assert small["owner"]["username"] in {"sdr1", "sdr2"}
    big = admin.post("/leads", {**lead_payload, "email": "big@corp.cn", "company_size": 5000}).json()
    assert big["owner"]["username"] == "dir_east"
    decision = RoutingDecision.objects.filter(lead_id=big["id"]).get()
    assert decision.rule == "big" and decision.explanation["trace"][0]["matched"] is True
    dispatch_clock = Clock.objects.get(lead_id=big["id"])
    assert dispatch_clock.policy.key == "director_dispatch"
    director = api_as("director")
    r = director.post(f"/leads/{big['id']}/dispatch", {"to": "director"})
    assert r.status_code == 422
    r = api_as("sdr1").post(f"/leads/{big['id']}/dispatch", {"to": "sdr2"})
    assert r.status_code in (403, 404)
    r = director.post(f"/leads/{big['id']}/dispatch", {"to": "sdr2"})
    assert r.status_code == 200, r.content
    assert r.json()["owner"]["username"] == "sdr2"
    dispatch_clock.refresh_from_db()
    assert dispatch_clock.state == "met"
    speed = Clock.objects.get(lead_id=big["id"], policy__key="speed_to_lead")
    assert speed.user_id == org["sdr2"].pk and speed.started_at == TUE_10  # their own five minutes


def test_policy_validation_lists_every_problem(org):
    from baton.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as err:
        policy_draft_save("lead", {"rules": [
            {"conditions": [{"field": "shoe_size", "op": "eq", "value": 3}], "destination": {"type": "team"},
             "strategy": "weighted_round_robin"}]}, actor=org["admin"])  # fmt: skip
    problems = err.value.details["problems"]
    assert any("unknown field 'shoe_size'" in p for p in problems)
    assert any("team_id" in p for p in problems)
    assert any("weights" in p for p in problems)
    assert any("fallback" in p for p in problems)


def test_a_rep_removed_while_holding_work_hands_it_on(org, api_as, lead_payload):
    from baton.leads.models import Lead
    from baton.notifications.models import Notification

    _, _, handoff = walk_to_handoff(api_as, lead_payload)
    holder = handoff["ae"]["username"]
    other = ({"ae1", "ae2"} - {holder}).pop()
    new_lead = api_as("admin").post("/leads", {**lead_payload, "email": "fresh@x.cn"}).json()
    sdr_name = new_lead["owner"]["username"]
    r = api_as("sdr1").post(f"/routing/people/{holder}/remove")
    assert r.status_code == 403
    r = api_as("admin").post(f"/routing/people/{holder}/remove")
    assert r.status_code == 200, r.content
    assert r.json() == {"username": holder, "handoffs_moved": 1, "handoffs_stuck": [], "leads_rerouted": 0,
                        "leads_to_pool": 0}  # fmt: skip
    h = Handoff.objects.get(pk=handoff["id"])
    assert h.ae.username == other
    assert Clock.objects.get(handoff=h, state="running").user.username == other
    assert Notification.objects.filter(user=org["director"], verb="rep_removed").exists()
    r = api_as("admin").post(f"/routing/people/{holder}/remove")
    assert r.status_code == 409
    # An SDR leaves: the untouched new lead goes to the other SDR, not to the pool.
    r = api_as("admin").post(f"/routing/people/{sdr_name}/remove")
    assert r.json()["leads_rerouted"] == 1
    lead = Lead.objects.get(pk=new_lead["id"])
    assert lead.owner.username == ({"sdr1", "sdr2"} - {sdr_name}).pop()
    # The last AE of the region leaves while holding it: nobody else can take it; it is listed.
    r = api_as("admin").post(f"/routing/people/{other}/remove")
    body = r.json()
    assert body["handoffs_moved"] == 1  # to the West AE (the region has nobody left: all AEs)
    r = api_as("admin").post("/routing/people/ae_w/remove")
    assert r.json()["handoffs_stuck"] == [handoff["id"]]
