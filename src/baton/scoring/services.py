from datetime import datetime

from django.db.models import Count, Q

from baton import clock, localcache
from baton.core import scoring as core
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


def lead_facts(lead: Lead, *, behaviour: bool = True) -> dict:
    if not behaviour:
        counts = dict.fromkeys(BEHAVIOURS, 0)
    else:
        counts = Touch.objects.filter(lead=lead).aggregate(
            replied=Count("pk", filter=Q(outcome=Touch.Outcome.REPLIED)),
            connected=Count("pk", filter=Q(outcome=Touch.Outcome.CONNECTED, duration_seconds__gte=120)),
            meeting_held=Count("pk", filter=Q(outcome=Touch.Outcome.HELD)),
            inbound=Count("pk", filter=Q(direction=Touch.Direction.INBOUND)),
        )
    return {
        "title": lead.title,
        "industry": lead.industry,
        "company_size": lead.company_size,
        "region": lead.region,
        "city": lead.city,
        "source": lead.source,
        "direction": lead.direction,
        "email": lead.email,
        "phone": lead.phone,
        "company": lead.company,
        **{f"behaviour.{k}": v for k, v in counts.items()},
    }


def lead_score(
    lead: Lead, *, trigger: str, at: datetime | None = None, rules: list[core.Rule] | None = None
) -> core.Score:
    """Recompute a lead's score, store the snapshot with its factors, and record a change on the timeline."""
    at = at or clock.now()
    facts = lead_facts(lead, behaviour=trigger != "captured")
    result = core.score(rules if rules is not None else rules_load(), facts)
    changed = (result.total, result.grade) != (lead.score, lead.grade) or trigger == "captured"
    ScoreSnapshot.objects.create(
        lead=lead,
        computed_at=at,
        fit=result.fit,
        engagement=result.engagement,
        total=result.total,
        grade=result.grade,
        factors=result.factors_as_dicts(),
        trigger=trigger,
    )
    if changed:
        Lead.objects.filter(pk=lead.pk).update(
            score=result.total, fit_score=result.fit, engagement_score=result.engagement, grade=result.grade
        )
        lead.score, lead.fit_score, lead.engagement_score, lead.grade = (
            result.total,
            result.fit,
            result.engagement,
            result.grade,
        )
        LeadEvent.objects.create(
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
                "factors": result.factors_as_dicts(),
            },
        )
    return result


def latest_snapshot(lead: Lead) -> ScoreSnapshot | None:
    return ScoreSnapshot.objects.filter(lead=lead).order_by("-computed_at", "-id").first()
