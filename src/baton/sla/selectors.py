"""Reads of the SLA engine."""

from baton.sla.models import Clock


def lead_clocks(lead, limit: int = 10) -> list[Clock]:
    """The lead's SLA clocks, newest first, with their policies and people (one query)."""
    return list(
        Clock.objects.filter(lead=lead)
        .select_related("policy", "user")
        .order_by("-started_at", "-pk")[:limit]
    )
