from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q

from baton import clock, localcache
from baton.core import scoring as core
from baton.dbutil import rows_insert, rows_update
from baton.leads.models import Lead, LeadEvent, Touch
from baton.scoring.models import ScoreSnapshot, ScoringRule


def rules_load() -> list[core.Rule]:
    def load() -> list[core.Rule]:
        return [
            core.Rule(r.kind, r.field, r.op, r.value, r.points, r.label, r.cap)
            for r in ScoringRule.objects.filter(active=True)
        ]

    return localcache.get("scoring-rules", load)


BEHAVIOURS = ("replied", "connected", "meeting_held", "inbound")


PROFILE_FACTS = ("title", "seniority", "industry", "company_size", "region", "city", "source", "direction", "email", "phone",
                 "company")  # fmt: skip
NO_BEHAVIOUR = {f"behaviour.{k}": 0 for k in BEHAVIOURS}


def _profile_facts(lead: Lead) -> dict:
    return {name: getattr(lead, name) for name in PROFILE_FACTS}


def facts_from_values(values: dict) -> dict:
    """The scoring facts of a lead not stored yet (a capture's cleaned values): no behaviour so far."""
    facts = {name: values.get(name, "") for name in PROFILE_FACTS}
    facts["company_size"] = values.get("company_size")
    facts.setdefault("direction", Lead.Direction.INBOUND)
    if not facts["direction"]:
        facts["direction"] = Lead.Direction.INBOUND
    if not facts["source"]:
        facts["source"] = "other"
    return {**facts, **NO_BEHAVIOUR}


def counts_as_behaviour(*, outcome: str, duration_seconds: int, direction: str) -> bool:
    """Whether a touch adds to one of the behaviour counts below (otherwise the score cannot move)."""
    return (
        outcome in (Touch.Outcome.REPLIED, Touch.Outcome.HELD)
        or (outcome == Touch.Outcome.CONNECTED and duration_seconds >= 120)
        or direction == Touch.Direction.INBOUND
    )


def behaviour_counts(lead_ids: list[int]) -> dict[int, dict[str, int]]:
    """Behaviour counts per lead, one grouped query for all of them."""
    out = {pk: dict.fromkeys(BEHAVIOURS, 0) for pk in lead_ids}
    rows = (
        Touch.objects.filter(lead_id__in=lead_ids)
        .values("lead_id")
        .annotate(
            replied=Count("pk", filter=Q(outcome=Touch.Outcome.REPLIED)),
            connected=Count("pk", filter=Q(outcome=Touch.Outcome.CONNECTED, duration_seconds__gte=120)),
            meeting_held=Count("pk", filter=Q(outcome=Touch.Outcome.HELD)),
            inbound=Count("pk", filter=Q(direction=Touch.Direction.INBOUND)),
        )
        .order_by()
    )
    for row in rows:
        out[row["lead_id"]] = {k: row[k] for k in BEHAVIOURS}
    return out


def lead_facts(lead: Lead, *, behaviour: bool = True) -> dict:
    counts = behaviour_counts([lead.pk])[lead.pk] if behaviour else dict.fromkeys(BEHAVIOURS, 0)
    return {**_profile_facts(lead), **{f"behaviour.{k}": v for k, v in counts.items()}}


def leads_score(
    leads: Sequence[Lead],
    *,
    trigger: str,
    ats: Sequence[datetime] | None = None,
    rules: list[core.Rule] | None = None,
) -> list[core.Score]:
    """Rescore many leads at once: a snapshot each, and a timeline entry where the score changed.

    Reads the behaviour of all of them in one query and writes with one insert per table, so the
    cost does not grow by a query per lead. ``ats`` gives each lead's scoring time (default: now).
    """
    if not leads:
        return []
    now = clock.now()
    ats = list(ats) if ats is not None else [now] * len(leads)
    rules = rules if rules is not None else rules_load()
    counts = (
        behaviour_counts([lead.pk for lead in leads])
        if trigger != "captured"
        else {lead.pk: dict.fromkeys(BEHAVIOURS, 0) for lead in leads}
    )
    results, snapshots, changed, events = [], [], [], []
    for lead, at in zip(leads, ats, strict=True):
        facts = {**_profile_facts(lead), **{f"behaviour.{k}": v for k, v in counts[lead.pk].items()}}
        result = core.score(rules, facts)
        results.append(result)
        factors = result.factors_as_dicts()
        snapshots.append(
            ScoreSnapshot(lead=lead, computed_at=at, fit=result.fit, engagement=result.engagement,
                          total=result.total, grade=result.grade, factors=factors, trigger=trigger)
        )  # fmt: skip
        if (result.total, result.grade) == (lead.score, lead.grade) and trigger != "captured":
            continue
        lead.score, lead.fit_score, lead.engagement_score, lead.grade = (
            result.total,
            result.fit,
            result.engagement,
            result.grade,
        )
        changed.append(lead)
        events.append(
            LeadEvent(
                lead=lead,
                kind=LeadEvent.Kind.SCORED,
                occurred_at=at,
                cycle=lead.cycle,
                reason=trigger,
                data={
                    "score": result.total,
                    "fit": result.fit,
                    "engagement": result.engagement,
                    "grade": result.grade,
                    "factors": factors,
                },
            )  # fmt: skip
        )
    with transaction.atomic():
        rows_insert(ScoreSnapshot, snapshots)
        rows_update(Lead, changed, ["score", "fit_score", "engagement_score", "grade"])
        rows_insert(LeadEvent, events)
    return results


def lead_score(
    lead: Lead, *, trigger: str, at: datetime | None = None, rules: list[core.Rule] | None = None
) -> core.Score:
    """Recompute a lead's score, store the snapshot with its factors, and record a change on the timeline."""
    return leads_score([lead], trigger=trigger, ats=[at or clock.now()], rules=rules)[0]


def latest_snapshot(lead: Lead) -> ScoreSnapshot | None:
    return ScoreSnapshot.objects.filter(lead=lead).order_by("-computed_at", "-id").first()
