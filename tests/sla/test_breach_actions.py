"""Breach actions beyond notify: re-route a lead whose SDR missed speed to lead, escalate to the director
above the manager; and a policy validation that knows the new actions."""

from datetime import UTC, datetime, timedelta

import pytest

from baton import clock
from baton.leads.services import lead_capture
from baton.notifications.models import Notification
from baton.org.services import team_create, user_create
from baton.sla.models import Clock, Policy
from baton.sla.services import policy_validate, sla_sweep

MON_10 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now():
    clock.set_frozen(MON_10)
    yield
    clock.set_frozen(None)


@pytest.fixture
def team(db):
    inbound = team_create("Inbound", "sdr_inbound")
    vp = user_create("vp", None, roles=["sales_vp"])
    head = user_create("head", None, roles=["sdr_director"], team=inbound, manager=vp)
    a = user_create("a", None, roles=["sdr_inbound"], team=inbound, manager=head)
    b = user_create("b", None, roles=["sdr_inbound"], team=inbound, manager=head)
    return vp, head, a, b


def test_a_missed_speed_to_lead_reroutes_the_untouched_lead(team):
    vp, head, a, b = team
    Policy.objects.filter(key="speed_to_lead").update(
        breach_actions=["notify", "reroute", "escalate_director"]
    )
    lead = lead_capture({"name": "L", "email": "l@x.cn"})
    first = lead.owner_id
    assert sla_sweep(MON_10 + timedelta(minutes=6))["sla_breached"] == 1
    lead.refresh_from_db()
    assert lead.owner_id != first and lead.owner_id in {a.pk, b.pk}
    old, new = Clock.objects.filter(lead=lead).order_by("pk")
    assert old.state == "missed" and old.stop_event == "rerouted" and old.user_id == first
    rerouted_at = MON_10 + timedelta(minutes=6)
    assert new.state == "running" and new.user_id == lead.owner_id and new.started_at == rerouted_at
    # escalate_director: the manager's manager (here the VP above the SDR director) hears of it.
    assert Notification.objects.filter(user=vp, verb="sla_escalated").count() == 1
    assert not Notification.objects.filter(user=head, verb="sla_escalated").exists()
    # The new owner has their own five minutes: no ping-pong at the next sweep.
    assert new.due_at == rerouted_at + timedelta(minutes=5)
    assert sla_sweep(rerouted_at + timedelta(minutes=1))["sla_breached"] == 0
    lead.refresh_from_db()
    assert lead.owner_id == new.user_id


def test_a_touched_lead_is_not_rerouted(team):
    Policy.objects.filter(key="speed_to_lead").update(breach_actions=["reroute"])
    lead = lead_capture({"name": "L", "email": "l@x.cn"})
    owner = lead.owner_id
    Clock.objects.filter(lead=lead).update(due_at=MON_10 - timedelta(minutes=1))
    from baton.leads.models import Lead

    Lead.objects.filter(pk=lead.pk).update(first_touch_at=MON_10, status="working")
    sla_sweep(MON_10 + timedelta(minutes=1))
    lead.refresh_from_db()
    assert lead.owner_id == owner


def test_policy_validation_knows_the_actions():
    policy_validate(target_seconds=60, reminders=[0.5], breach_actions=["reroute", "escalate_director"],
                    stop_events=["x"])  # fmt: skip
    with pytest.raises(Exception, match="unknown breach action"):
        policy_validate(target_seconds=60, reminders=[], breach_actions=["explode"], stop_events=["x"])
