from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baton.core import sla
from baton.core.qualification import BANT_CRITERIA, bant_gate

states = st.fixed_dictionaries({c: st.sampled_from(["met", "not_met", "unknown"]) for c in BANT_CRITERIA})


@given(states, st.integers(0, 4))
def test_gate_passes_iff_enough_criteria_are_met(s, required):
    result = bant_gate(s, required)
    met = sum(v == "met" for v in s.values())
    assert result.met == met and result.passed == (met >= required)
    assert set(result.missing) == {c for c, v in s.items() if v != "met"}


def test_gate_rejects_unknown_criteria_and_states():
    with pytest.raises(ValueError, match="unknown BANT criterion"):
        bant_gate({"budgett": "met"}, 3)
    with pytest.raises(ValueError, match="must be one of"):
        bant_gate({"budget": "yes"}, 3)


@given(st.datetimes(timezones=st.just(UTC)), st.integers(-(10**6), 10**6))
def test_countdown_and_overdue_agree(start, offset):
    due = sla.acceptance_due(start)
    assert due - start == timedelta(hours=48)
    now = due + timedelta(seconds=offset)
    c = sla.countdown(due, now)
    assert c.remaining_seconds == -offset
    assert sla.is_overdue(due, now) == (offset >= 0)


def test_acceptance_due_is_48_hours_by_default():
    t = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    assert sla.acceptance_due(t) == datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
