"""SLA clocks: due instants in business time, reminders, outcomes split system/person, the penalty."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baton.core.calendar import between, calendar_from_config
from baton.core.sla import (
    acceptance_penalty,
    add_months,
    clock_outcome,
    clock_plan,
    counts_against_person,
)

CAL = calendar_from_config(
    {"zone": "Asia/Shanghai", "hours": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}
)
MON_10 = datetime(2026, 11, 30, 10, 0, tzinfo=CAL.tz)
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


def test_acceptance_48_business_hours_and_reminders():
    plan = clock_plan(CAL, MON_10, 48 * 3600, [0.5, 0.75])
    # 9 h a day: 8 h Monday, then 9 h Tue–Fri = 44 h; 4 more on the next Monday.
    assert plan.due_at == datetime(2026, 12, 7, 13, 0, tzinfo=CAL.tz)
    assert plan.reminders == (
        datetime(2026, 12, 2, 16, 0, tzinfo=CAL.tz),  # 24 h: 8 + 9 + 7
        datetime(2026, 12, 4, 10, 0, tzinfo=CAL.tz),  # 36 h: 8 + 9 + 9 + 9 + 1
    )


def test_speed_to_lead_in_wall_clock_time():
    plan = clock_plan(None, MON_10, 300)
    assert plan.due_at == MON_10 + timedelta(minutes=5) and plan.reminders == ()


def test_a_resumed_clock_counts_only_what_is_left():
    plan = clock_plan(CAL, MON_10, 10 * 3600, [0.5], already_used=6 * 3600)
    assert plan.due_at == MON_10 + timedelta(hours=4)
    assert plan.reminders == ()  # the half-way mark is behind it


@settings(max_examples=150, deadline=None)
@given(
    start=instants, target=st.integers(60, 100 * 3600), fractions=st.lists(st.floats(0.01, 0.99), max_size=3)
)
def test_the_due_instant_is_exactly_the_target_in_business_time(start, target, fractions):
    plan = clock_plan(CAL, start, target, fractions)
    assert between(CAL, start, plan.due_at) == pytest.approx(target, abs=1e-6)
    assert list(plan.reminders) == sorted(plan.reminders)
    assert all(start <= r <= plan.due_at for r in plan.reminders)


@pytest.mark.parametrize("target, fractions", [(0, []), (-5, []), (60, [1.0]), (60, [0])])
def test_bad_targets_and_reminders(target, fractions):
    with pytest.raises(ValueError):
        clock_plan(CAL, MON_10, target, fractions)


def test_a_miss_caused_by_the_system_is_not_the_persons():
    captured = MON_10
    assigned = captured + timedelta(minutes=7)  # routing waited on enrichment
    touched = assigned + timedelta(minutes=2)
    out = clock_outcome(
        None, started_at=captured, stopped_at=touched, target_seconds=300, actionable_at=assigned
    )
    assert (out.met, out.system_seconds, out.person_seconds, out.late_seconds) == (False, 420, 120, 240)
    assert not counts_against_person(out, 300) and "the system's 7 min caused it" in out.explanation
    slow = clock_outcome(None, started_at=captured, stopped_at=assigned + timedelta(minutes=9),
                         target_seconds=300, actionable_at=assigned)  # fmt: skip
    assert counts_against_person(slow, 300) and "the person took 9 min" in slow.explanation


@settings(max_examples=150, deadline=None)
@given(a=instants, b=instants, c=instants, target=st.integers(60, 10**6))
def test_outcome_parts_add_up(a, b, c, target):
    start, actionable, stop = sorted((a, b, c))
    out = clock_outcome(
        CAL, started_at=start, stopped_at=stop, target_seconds=target, actionable_at=actionable
    )
    assert out.system_seconds + out.person_seconds == pytest.approx(out.business_seconds)
    assert out.met == (out.business_seconds <= target) and out.late_seconds >= 0
    assert not counts_against_person(out, target) or not out.met


def test_two_misses_in_a_row_suspend_for_a_month():
    now = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    assert not acceptance_penalty([False], now).suspend
    assert not acceptance_penalty([False, True], now).suspend
    decision = acceptance_penalty([True, False, False], now)
    assert decision.suspend and decision.until == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    assert "2 acceptance SLA misses in a row" in decision.explanation
    already = acceptance_penalty([False, False, False], now, suspended_until=now + timedelta(days=3))
    assert not already.suspend and already.explanation == "already suspended"


@given(at=instants, months=st.integers(0, 40))
def test_add_months_lands_in_the_right_month(at, months):
    later = add_months(at, months)
    assert (later.year * 12 + later.month) - (at.year * 12 + at.month) == months
    assert later.day <= at.day and later.time() == at.time()
