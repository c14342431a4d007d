from baton.org.models import User
from baton.routing.models import RoutingDecision


def latest_decisions(lead, limit: int = 10) -> list[RoutingDecision]:
    """The most recent routing decision of each kind (lead → SDR, handoff → AE), newest first."""
    decisions = (
        RoutingDecision.objects.filter(lead=lead).select_related("chosen").order_by("-decided_at", "-id")
    )
    latest: dict[str, RoutingDecision] = {}
    for decision in decisions[:limit]:
        latest.setdefault(decision.kind, decision)
    return list(latest.values())


def display_names(usernames: set[str]) -> dict[str, str]:
    return dict(
        User.objects.filter(username__in=usernames)
        .exclude(display_name="")
        .values_list("username", "display_name")
    )
