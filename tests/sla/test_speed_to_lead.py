"""Speed to lead through the relay: routing starts the clock, the first touch stops it, the sweep finds a miss."""

from datetime import UTC, datetime, timedelta

import pytest

from baton import clock
from baton.leads.services import lead_capture, lead_disqualify, touch_log
from baton.notifications.models import Notification
from baton.org.services import team_create, user_create
from baton.sla.models import Clock
from baton.worker import sweep

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@pytest.fixture
def sdr(db):
    team = team_create("Inbound SDR", "sdr_inbound")
    return user_create("sam", None, roles=["sdr_inbound"], team=team)


def capture(n):
    with clock.travel_to(T0):
        return lead_capture({"name": f"Lead {n}", "email": f"b{n}@acme{n}.com", "company": f"Acme {n}",
                             "source": "trial_signup"})  # fmt: skip


def test_routing_starts_the_clock_and_the_first_touch_stops_it(sdr):
    lead = capture(1)
    c = Clock.objects.get(lead=lead)
    assert (c.policy.key, c.user_id, c.started_at, c.due_at) == (
        "speed_to_lead",
        sdr.pk,
        T0,
        T0 + timedelta(minutes=5),
    )
    touch_log(lead, sdr, channel="call", outcome="no_answer", occurred_at=T0 + timedelta(minutes=3))
    c.refresh_from_db()
    assert c.state == "met" and c.stopped_at == T0 + timedelta(minutes=3) and c.outcome["seconds"] == 180


def test_the_sweep_finds_an_untouched_lead_past_five_minutes_once(sdr):
    lead = capture(2)
    assert sweep(T0 + timedelta(minutes=4))["sla_breached"] == 0
    assert sweep(T0 + timedelta(minutes=6))["sla_breached"] == 1
    assert sweep(T0 + timedelta(minutes=7))["sla_breached"] == 0
    note = Notification.objects.get(user=sdr, verb="sla_breached")
    assert note.params["count"] == 1 and note.link == f"/leads/{lead.pk}/"
    touch_log(lead, sdr, channel="call", outcome="connected", occurred_at=T0 + timedelta(minutes=9))
    c = Clock.objects.get(lead=lead)
    assert c.state == "missed" and c.outcome["late_seconds"] == 240 and c.outcome["counts_against"]


def test_disqualifying_stops_the_clock(sdr):
    lead = capture(3)
    with clock.travel_to(T0 + timedelta(minutes=2)):
        lead_disqualify(lead, sdr, "spam")
    c = Clock.objects.get(lead=lead)
    assert (c.state, c.stop_event) == ("met", "disqualified")


def test_the_lead_page_shows_its_clocks(sdr, client):
    lead = capture(4)
    sweep(T0 + timedelta(minutes=6))
    client.force_login(sdr)
    with clock.travel_to(T0 + timedelta(minutes=7)):
        html = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "SLA clocks" in html and "Speed to lead" in html and "breached: was due" in html
