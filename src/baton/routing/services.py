"""Round-robin routing of leads to SDRs and of handoffs to AEs, atomic under concurrency.

The pool row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions
serialise writers) for the read-decide-write of one assignment, so no two requests pick from
the same tallies.
"""

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from baton import clock
from baton.core import routing as core
from baton.dbutil import rows_insert, rows_update
from baton.org.models import Role, Team, User
from baton.routing.models import RoutingDecision, RoutingPool, RoutingTally

INBOUND_POOL = "inbound-sdr"


def _skip_reason(user: User, at: datetime) -> str:
    if not user.is_active:
        return "inactive"
    if user.out_of_office:
        return "out of office"
    if user.suspended_until and user.suspended_until > at:
        return f"suspended until {user.suspended_until.isoformat()} (SLA penalty)"
    return ""


def pool_pick(pool_key: str, members: list[User], ats: Sequence[datetime]) -> list[core.Decision]:
    """Round-robin decisions for several assignments in a row, under one lock of the pool."""
    pool = RoutingPool.objects.select_for_update().filter(key=pool_key).first()
    if pool is None:
        RoutingPool.objects.get_or_create(key=pool_key)
        pool = RoutingPool.objects.select_for_update().get(key=pool_key)
    tallies = {t.user_id: t for t in RoutingTally.objects.filter(pool=pool, user__in=members)}
    missing = [u for u in members if u.pk not in tallies]
    if missing:
        start = core.starting_tally([t.count for t in tallies.values()])
        created = rows_insert(RoutingTally, [RoutingTally(pool=pool, user=u, count=start) for u in missing])
        tallies.update({t.user_id: t for t in created})
    decisions, touched = [], {}
    ats = list(ats)
    start = 0
    while start < len(ats):  # runs of the same instant: eligibility is decided once per run
        end = start
        while end < len(ats) and ats[end] == ats[start]:
            end += 1
        candidates = [
            core.Candidate(
                u.pk, u.username, tallies[u.pk].count, tallies[u.pk].last_seq, _skip_reason(u, ats[start])
            )
            for u in members
        ]
        for decision in core.choose_round_robin_many(pool_key, candidates, end - start, seq=pool.seq):
            decisions.append(decision)
            if decision.chosen_user_id is not None:
                pool.seq += 1
                tally = tallies[decision.chosen_user_id]
                tally.count += 1
                tally.last_seq = pool.seq
                touched[tally.pk] = tally
        start = end
    if touched:
        pool.save(update_fields=["seq"])
        rows_update(RoutingTally, list(touched.values()), ["count", "last_seq"])
    return decisions


def _pick(pool_key: str, members: list[User], at: datetime) -> core.Decision:
    return pool_pick(pool_key, members, [at])[0]


def inbound_sdrs() -> list[User]:
    return list(
        User.objects.filter(roles__role=Role.SDR_INBOUND, team__kind=Team.Kind.SDR_INBOUND)
        .distinct()
        .order_by("pk")
    )


def regional_aes(region: str) -> tuple[str, list[User]]:
    base = User.objects.filter(roles__role=Role.AE).distinct().order_by("pk")
    if region:
        local = list(base.filter(team__region__iexact=region, team__kind=Team.Kind.SALES))
        if local:
            return f"ae:{region.lower()}", local
    return "ae:all", list(base)


@transaction.atomic
def route_leads(
    leads: Sequence, *, ats: Sequence[datetime] | None = None, notify: bool = True
) -> list[RoutingDecision]:
    """Assign inbound leads, in order, to the SDRs of the inbound team by round robin (one pool lock).

    ``notify=False`` leaves the per-lead notifications to the caller (an import sends one summary)."""
    from baton.leads.services import leads_assign_from_routing

    if not leads:
        return []
    ats = list(ats) if ats is not None else [clock.now()] * len(leads)
    members = inbound_sdrs()
    decisions = pool_pick(INBOUND_POOL, members, ats)
    records = rows_insert(RoutingDecision,
        [
            RoutingDecision(lead=lead, kind=RoutingDecision.Kind.LEAD, pool=INBOUND_POOL,
                            chosen_id=d.chosen_user_id, explanation=d.explanation, decided_at=at)
            for lead, d, at in zip(leads, decisions, ats, strict=True)
        ]
    )  # fmt: skip
    leads_assign_from_routing(leads, records, ats=ats, notify=notify)
    return records


def route_lead(lead, *, at: datetime | None = None) -> RoutingDecision:
    """Assign an inbound lead to an SDR of the inbound team by round robin."""
    return route_leads([lead], ats=[at or clock.now()])[0]


def route_handoff(lead, *, at: datetime, exclude: Q | None = None) -> RoutingDecision:
    """Choose the AE for a handoff (caller holds the transaction)."""
    pool_key, members = regional_aes(lead.region)
    decision = _pick(pool_key, members, at)
    return RoutingDecision.objects.create(
        lead=lead,
        kind=RoutingDecision.Kind.HANDOFF,
        pool=pool_key,
        chosen_id=decision.chosen_user_id,
        explanation=decision.explanation,
        decided_at=at,
    )
