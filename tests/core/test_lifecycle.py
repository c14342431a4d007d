import pytest
from hypothesis import given
from hypothesis import strategies as st

from baton.core.errors import IllegalTransition
from baton.core.lifecycle import TRANSITIONS, LeadStatus, allowed_next, plan_transition

statuses = st.sampled_from(list(LeadStatus))


@given(statuses, statuses, st.text(max_size=20), st.booleans())
def test_a_transition_is_allowed_exactly_when_the_table_says_so(current, target, reason, had_mql):
    allowed = target in TRANSITIONS[current]
    needs_reason = target == LeadStatus.DISQUALIFIED or (current, target) in {
        (LeadStatus.MQL, LeadStatus.NURTURING),
        (LeadStatus.SQL, LeadStatus.NURTURING),
    }
    if allowed and (reason.strip() or not needs_reason):
        plan = plan_transition(current, target, reason, had_mql_this_cycle=had_mql)
        assert (plan.from_status, plan.to_status) == (current, target)
        assert plan.starts_new_cycle == (target == LeadStatus.WORKING and had_mql)
    else:
        with pytest.raises(IllegalTransition) as err:
            plan_transition(current, target, reason, had_mql_this_cycle=had_mql)
        assert str(current.value) in err.value.message


def test_error_names_the_allowed_moves():
    with pytest.raises(IllegalTransition) as err:
        plan_transition("new", "sql")
    assert "working" in err.value.message and err.value.details["allowed"] == allowed_next("new")


def test_unknown_status_is_refused():
    with pytest.raises(IllegalTransition, match="unknown"):
        plan_transition("new", "won")


def test_every_state_can_be_left_and_reached():
    reachable = {LeadStatus.NEW}
    frontier = [LeadStatus.NEW]
    while frontier:
        nxt = [t for s in frontier for t in TRANSITIONS[s] if t not in reachable]
        reachable.update(nxt)
        frontier = nxt
    assert reachable == set(LeadStatus)
    assert all(TRANSITIONS[s] for s in LeadStatus)
