"""The SLA engine: clocks started in business time, reminders and breaches found by the sweep at any
instant (once), outcomes split system/person, the two-miss penalty and its automatic lift."""

from datetime import UTC, datetime, timedelta

import pytest

from baton import clock
from baton.core.errors import InvalidInput
from baton.leads.services import capture_clean, lead_create
from baton.notifications.models import Notification
from baton.org.services import team_create, user_create
from baton.sla.models import Calendar, Clock, Penalty, Policy
from baton.sla.services import (
    ClockStart,
    calendar_save,
    clocks_start,
    clocks_stop,
    policy_validate,
    sla_sweep,
)

# Monday 30 November 2026, 10:00 in Shanghai (the default calendar: 09:00–18:00 Mon–Fri, CN holidays).
MON_10 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now():
    clock.set_frozen(MON_10)
    yield
    clock.set_frozen(None)


@pytest.fixture
def people(db):
    sales = team_create("Sales", "sales")
    boss = user_create("boss", None, roles=["sales_director"], team=sales)
    ae = user_create("ae", None, roles=["ae"], team=sales, manager=boss)
    sdr = user_create("sdr", None, roles=["sdr_inbound"])
    leads = [lead_create(capture_clean({"name": f"L{i}", "email": f"l{i}@x{i}.cn"})) for i in range(4)]
    return boss, ae, sdr, leads


def notes(user, verb):
    return list(Notification.objects.filter(user=user, verb=verb).order_by("pk"))


def test_acceptance_is_due_two_working_days_later_with_reminders_and_one_breach(people):
    boss, ae, _, leads = people
    assert clocks_start([ClockStart("acceptance", leads[0].pk, ae.pk, MON_10)]) == 1
    c = Clock.objects.get()
    # 48 hours in whole working days: Monday 10:00 → Wednesday 10:00 Shanghai.
    assert c.due_at == datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    assert c.remind_at == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # half-way: Tuesday 10:00
    assert sla_sweep(MON_10 + timedelta(hours=1)) == {
        "sla_reminded": 0,
        "sla_breached": 0,
        "penalties_lifted": 0,
    }
    assert sla_sweep(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))["sla_reminded"] == 1
    c.refresh_from_db()
    assert c.remind_at == datetime(2026, 12, 1, 16, 24, tzinfo=UTC)  # 80%: 38.4 h → Wednesday 00:24
    assert sla_sweep(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))["sla_reminded"] == 0  # once
    # Found at any later instant, recorded at its due instant, acted on once.
    assert sla_sweep(datetime(2026, 12, 9, 0, 0, tzinfo=UTC))["sla_breached"] == 1
    assert sla_sweep(datetime(2026, 12, 9, 1, 0, tzinfo=UTC))["sla_breached"] == 0
    c.refresh_from_db()
    assert c.breached_at == c.due_at and c.state == "running"
    assert len(notes(ae, "sla_breached")) == 1 and len(notes(boss, "sla_escalated")) == 1
    assert len(notes(ae, "sla_reminder")) == 2


def test_a_policy_in_working_hours_counts_office_hours_only(people):
    _, ae, _, leads = people
    Policy.objects.filter(key="acceptance").update(working_days=False)
    clocks_start([ClockStart("acceptance", leads[0].pk, ae.pk, MON_10)])
    # 8 h on Monday, 9 h Tue–Fri (44 h), 4 h on Monday 7 December: 13:00 Shanghai.
    assert Clock.objects.get().due_at == datetime(2026, 12, 7, 5, 0, tzinfo=UTC)


def test_speed_to_lead_is_wall_clock_and_the_systems_wait_is_not_the_persons(people):
    _, _, sdr, leads = people
    captured, assigned = MON_10, MON_10 + timedelta(minutes=7)
    clocks_start([ClockStart("speed_to_lead", leads[0].pk, sdr.pk, captured, actionable_at=assigned)])
    assert Clock.objects.get().due_at == captured + timedelta(minutes=5)
    [stopped] = clocks_stop("first_touch", lead_ids=[leads[0].pk], at=assigned + timedelta(minutes=2))
    assert stopped.state == "missed" and stopped.outcome["system_seconds"] == 420
    assert stopped.outcome["person_seconds"] == 120 and not stopped.outcome["counts_against"]
    assert "the system's 7 min caused it" in stopped.outcome["why"]
    assert clocks_stop("first_touch", lead_ids=[leads[0].pk]) == []  # already stopped


def test_an_event_stops_only_the_policies_it_ends(people):
    _, ae, sdr, leads = people
    clocks_start([ClockStart("speed_to_lead", leads[1].pk, sdr.pk, MON_10),
                  ClockStart("acceptance", leads[1].pk, ae.pk, MON_10)])  # fmt: skip
    stopped = clocks_stop("handoff_accepted", lead_ids=[leads[1].pk], at=MON_10 + timedelta(hours=3))
    assert [c.policy.key for c in stopped] == ["acceptance"] and stopped[0].state == "met"
    assert Clock.objects.get(policy__key="speed_to_lead").state == "running"


def test_two_acceptance_misses_in_a_row_suspend_the_ae_for_a_month_then_the_sweep_lifts_it(people):
    boss, ae, _, leads = people
    late = MON_10 + timedelta(days=14)
    for i in (0, 1):
        clocks_start([ClockStart("acceptance", leads[i].pk, ae.pk, MON_10)])
    clocks_stop("handoff_accepted", lead_ids=[leads[0].pk], at=late)
    ae.refresh_from_db()
    assert ae.suspended_until is None  # one miss
    clocks_stop("handoff_rejected", lead_ids=[leads[1].pk], at=late + timedelta(hours=1))
    ae.refresh_from_db()
    assert ae.suspended_until == late + timedelta(hours=1) + (datetime(2027, 1, 14) - datetime(2026, 12, 14))
    penalty = Penalty.objects.get()
    assert penalty.user == ae and len(penalty.clocks) == 2 and "2 acceptance SLA misses" in penalty.reason
    assert len(notes(ae, "sla_penalty")) == 1 and len(notes(boss, "sla_penalty_report")) == 1
    # A third miss while suspended is no second penalty; after the penalty, the count starts again.
    clocks_start([ClockStart("acceptance", leads[2].pk, ae.pk, late)])
    clocks_stop("handoff_accepted", lead_ids=[leads[2].pk], at=late + timedelta(days=10))
    assert Penalty.objects.count() == 1
    assert sla_sweep(penalty.until - timedelta(seconds=1))["penalties_lifted"] == 0
    assert sla_sweep(penalty.until)["penalties_lifted"] == 1
    assert len(notes(ae, "sla_penalty_lifted")) == 1 and sla_sweep(penalty.until)["penalties_lifted"] == 0


def test_an_inactive_policy_starts_no_clocks(people):
    _, ae, _, leads = people
    Policy.objects.filter(key="acceptance").update(active=False)
    assert clocks_start([ClockStart("acceptance", leads[0].pk, ae.pk, MON_10)]) == 0


def test_a_team_calendar_overrides_the_default(people):
    _, ae, _, leads = people
    Policy.objects.filter(key="acceptance").update(working_days=False)  # counted in working hours
    calendar_save(
        name="Berlin", zone="Europe/Berlin", hours={"mon": [["09:00", "17:00"]]}, teams=[ae.team_id]
    )
    clocks_start([ClockStart("acceptance", leads[0].pk, ae.pk, MON_10)])
    # 48 h of Mondays 09:00–17:00 Berlin (8 h each): six Mondays, the last ending 17:00 CET on 4 January.
    assert Clock.objects.get().due_at == datetime(2027, 1, 4, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"zone": "Nowhere/Place", "hours": {"mon": [["09:00", "18:00"]]}}, "unknown time zone"),
        ({"zone": "UTC", "hours": {}}, "no working hours"),
        ({"zone": "UTC", "hours": {"mon": [["09:00", "18:00"]]}, "holiday_country": "ZZ"}, "no holiday list"),
        (
            {"zone": "UTC", "hours": {"mon": [["09:00", "18:00"]]}, "extra_days_off": ["31/12/2026"]},
            "not a date",
        ),
    ],
)
def test_bad_calendars_are_refused_and_nothing_is_stored(db, kwargs, words):
    before = Calendar.objects.count()
    with pytest.raises(InvalidInput, match=words):
        calendar_save(name="Bad", **kwargs)
    assert Calendar.objects.count() == before


def test_only_one_default_calendar(db):
    calendar_save(name="A", zone="UTC", hours={"mon": [["09:00", "18:00"]]}, is_default=True)
    assert list(Calendar.objects.filter(is_default=True).values_list("name", flat=True)) == ["A"]


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"target_seconds": 0}, "positive"),
        ({"reminders": [1.5]}, "between 0 and 1"),
        ({"breach_actions": ["launch_missiles"]}, "unknown breach action"),
        ({"stop_events": []}, "never stop"),
    ],
)
def test_bad_policies_are_refused(kwargs, words):
    base = {"target_seconds": 60, "reminders": [0.5], "breach_actions": ["notify"], "stop_events": ["x"]}
    with pytest.raises(InvalidInput, match=words):
        policy_validate(**{**base, **kwargs})
