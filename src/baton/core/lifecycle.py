"""Lead lifecycle (spec §3): the states and the transitions between them.

The public pool is not a state: it is "no owner", orthogonal to the status.
"""

from dataclasses import dataclass
from enum import StrEnum

from baton.core.errors import IllegalTransition


class LeadStatus(StrEnum):
    NEW = "new"
    WORKING = "working"
    NURTURING = "nurturing"
    MQL = "mql"
    SQL = "sql"
    CONVERTED = "converted"
    DISQUALIFIED = "disqualified"


S = LeadStatus

TRANSITIONS: dict[LeadStatus, frozenset[LeadStatus]] = {
    S.NEW: frozenset({S.WORKING, S.NURTURING, S.DISQUALIFIED}),
    S.WORKING: frozenset({S.NURTURING, S.MQL, S.DISQUALIFIED}),
    S.NURTURING: frozenset({S.WORKING, S.DISQUALIFIED}),
    # mql -> nurturing is the rejected handoff; mql -> sql the accepted one.
    S.MQL: frozenset({S.SQL, S.NURTURING}),
    # sql -> nurturing: sales hands an accepted lead back before creating an opportunity.
    S.SQL: frozenset({S.CONVERTED, S.NURTURING}),
    # A lost or churned customer may re-enter nurture (spec §4.8).
    S.CONVERTED: frozenset({S.NURTURING}),
    # Re-qualified later: a disqualified lead may be reopened.
    S.DISQUALIFIED: frozenset({S.WORKING, S.NURTURING}),
}

# Transitions that must carry a human reason.
REASON_REQUIRED: frozenset[tuple[LeadStatus, LeadStatus]] = frozenset(
    {(a, S.DISQUALIFIED) for a in S} | {(S.MQL, S.NURTURING), (S.SQL, S.NURTURING)}
)


@dataclass(frozen=True)
class Transition:
    from_status: LeadStatus
    to_status: LeadStatus
    reason: str
    starts_new_cycle: bool


def allowed_next(status: LeadStatus | str) -> list[str]:
    return sorted(s.value for s in TRANSITIONS[LeadStatus(status)])


def plan_transition(
    current: LeadStatus | str, target: LeadStatus | str, reason: str = "", *, had_mql_this_cycle: bool = False
) -> Transition:
    """Check a transition and say what it implies; raise IllegalTransition if the rules refuse it.

    A lead that was handed off in its current cycle and comes back to ``working`` starts a new
    cycle, so that each cycle counts once in the funnel.
    """
    try:
        cur, tgt = LeadStatus(current), LeadStatus(target)
    except ValueError as exc:
        raise IllegalTransition(f"unknown lead status: {exc}", code="unknown_status")
    if tgt not in TRANSITIONS[cur]:
        allowed = ", ".join(allowed_next(cur)) or "none"
        raise IllegalTransition(
            f"a lead cannot move from '{cur}' to '{tgt}'; from '{cur}' it may move to: {allowed}",
            details={"from": cur.value, "to": tgt.value, "allowed": allowed_next(cur)},
        )
    reason = (reason or "").strip()
    if (cur, tgt) in REASON_REQUIRED and not reason:
        raise IllegalTransition(
            f"moving a lead from '{cur}' to '{tgt}' needs a reason", code="reason_required"
        )
    new_cycle = tgt == S.WORKING and had_mql_this_cycle
    return Transition(cur, tgt, reason, new_cycle)
