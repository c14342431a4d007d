"""Reads of the SLA engine: a lead's clocks, and a person's SLA panel (their running clocks, their
compliance over the last 30 days, an active penalty; for managers, their reports' overdue clocks)."""

from datetime import datetime, timedelta

from django.db.models import Count, Q

from baton import clock
from baton.core import kpis as K
from baton.core.sla import is_overdue
from baton.sla.models import Clock, Penalty, Policy

COMPLIANCE_DAYS = 30
DUE_SOON_SECONDS = 3600  # the countdown's amber, as static/baton/baton.js colours it
PANEL_LIMIT = 20


def lead_clocks(lead, limit: int = 10) -> list[Clock]:
    """The lead's SLA clocks, newest first, with their policies and people (one query)."""
    return list(
        Clock.objects.filter(lead=lead)
        .select_related("policy", "user")
        .order_by("-started_at", "-pk")[:limit]
    )


def _clock_row(c: Clock, now: datetime) -> dict:
    left = int((c.due_at - now).total_seconds())
    overdue = is_overdue(c.due_at, now)
    return {
        "id": c.pk,
        "policy": c.policy.key,
        "policy_label": c.policy.label,
        "lead_id": c.lead_id,
        "lead_name": c.lead.name,
        "lead_company": c.lead.company,
        "handoff_id": c.handoff_id,
        "user_id": c.user_id,
        "user_label": c.user.label if c.user else "",
        "started_at": c.started_at,
        "due_at": c.due_at,
        "seconds_left": left,  # negative when overdue: overdue by -seconds_left
        "overdue": overdue,
        "due_soon": not overdue and left < DUE_SOON_SECONDS,
        "breached_at": c.breached_at,
    }


def running_clocks(user_ids: set[int] | None, *, now: datetime | None = None, overdue_only: bool = False,
                   limit: int = PANEL_LIMIT) -> tuple[list[dict], int, int]:  # fmt: skip
    """The running clocks of these people (None: everybody's), started by ``now``, soonest due first, at
    most ``limit``; how many there are in all, and how many of those are overdue. One query, two when
    there are more."""
    now = now or clock.now()
    qs = Clock.objects.filter(state=Clock.State.RUNNING, started_at__lte=now)
    if user_ids is not None:
        qs = qs.filter(user_id__in=user_ids)
    if overdue_only:
        qs = qs.filter(due_at__lte=now)
    rows = [
        _clock_row(c, now)
        for c in qs.select_related("policy", "lead", "user").order_by("due_at", "pk")[:limit]
    ]
    if len(rows) < limit:
        return rows, len(rows), sum(1 for r in rows if r["overdue"])
    counts = qs.aggregate(total=Count("pk"), overdue=Count("pk", filter=Q(due_at__lte=now)))
    return rows, counts["total"], counts["overdue"]


def compliance(user_id: int, *, now: datetime | None = None, days: int = COMPLIANCE_DAYS) -> dict:
    """The person's SLA compliance over [now - days, now), as known now: the sla_compliance KPI's
    definition (``baton.core.kpis.SLA_DECIDED``) over the clocks they were on the hook for. Overall and per
    policy (built-in policies first)."""
    from baton.analytics.selectors import sla_compliance_counts

    now = now or clock.now()
    lo = now - timedelta(days=days)
    counts = sla_compliance_counts(lo, now, as_of=now, rep_ids={user_id})
    names = dict(Policy.Key.choices)
    custom = sorted(set(counts) - set(names))
    if custom:
        names.update(Policy.objects.filter(key__in=custom).values_list("key", "name"))
    order = {key: i for i, key in enumerate(K.SLA_POLICY_KEYS)}
    policies = []
    for key in sorted(counts, key=lambda k: (order.get(k, len(order)), k)):
        met, decided = counts[key]["met"], counts[key]["decided"]
        policies.append({"key": key, "label": str(names.get(key, key)), "met": met, "missed": decided - met,
                         "decided": decided, "rate": K.safe_rate(met, decided)})  # fmt: skip
    met = sum(p["met"] for p in policies)
    decided = sum(p["decided"] for p in policies)
    return {"days": days, "start": lo, "end": now, "met": met, "missed": decided - met, "decided": decided,
            "rate": K.safe_rate(met, decided), "policies": policies}  # fmt: skip


def active_penalty(user, *, now: datetime | None = None) -> dict | None:
    """The penalty keeping the person from receiving MQLs now (the one that ends last), or None."""
    now = now or clock.now()
    penalty = (
        Penalty.objects.filter(user_id=user.pk, lifted_at__isnull=True, started_at__lte=now, until__gt=now)
        .order_by("-until", "-pk")
        .first()
    )
    if penalty is not None:
        return {"started_at": penalty.started_at, "until": penalty.until, "reason": penalty.reason,
                "misses": len(penalty.clocks or [])}  # fmt: skip
    if user.suspended_until is not None and user.suspended_until > now:  # suspended without a record
        return {"started_at": None, "until": user.suspended_until, "reason": "", "misses": 0}
    return None


def sla_panel(user, *, now: datetime | None = None) -> dict:
    """Everything the SLA panel (the AE inbox, the SDR queue) and GET /api/v1/sla/mine show: the person's
    running clocks, their compliance over the last 30 days, an active penalty, and for managers their
    reports' overdue clocks (``reports_overdue`` is None for others). A constant number of queries."""
    from baton.org.selectors import is_manager, subtree_user_ids

    now = now or clock.now()
    clocks, total, overdue = running_clocks({user.pk}, now=now)
    panel = {
        "as_of": now,
        "clocks": clocks,
        "clocks_total": total,
        "clocks_overdue": overdue,
        "compliance": compliance(user.pk, now=now),
        "penalty": active_penalty(user, now=now),
        "reports_overdue": None,
        "reports_overdue_total": 0,
    }
    if is_manager(user):
        reports = subtree_user_ids(user) - {user.pk}
        rows, count, _ = running_clocks(reports, now=now, overdue_only=True) if reports else ([], 0, 0)
        panel["reports_overdue"], panel["reports_overdue_total"] = rows, count
    return panel
