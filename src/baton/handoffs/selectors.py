from django.db.models import QuerySet

from baton.core.errors import NotFound
from baton.handoffs.models import Handoff
from baton.org.models import MANAGER_ROLES, User
from baton.org.selectors import subtree_user_ids


def handoffs_visible(user: User) -> QuerySet[Handoff]:
    qs = Handoff.objects.select_related("lead", "sdr", "ae", "reject_reason")
    if user.is_admin:
        return qs
    if user.has_role(*MANAGER_ROLES):
        ids = subtree_user_ids(user)
        return qs.filter(ae_id__in=ids) | qs.filter(sdr_id__in=ids)
    return qs.filter(ae=user) | qs.filter(sdr=user)


def ae_inbox(user: User, *, include_decided: bool = False) -> QuerySet[Handoff]:
    qs = Handoff.objects.select_related("lead", "sdr").filter(ae=user)
    if not include_decided:
        qs = qs.filter(status=Handoff.Status.PENDING)
    return qs.order_by("due_at")


def handoff_get(user: User, handoff_id: int) -> Handoff:
    h = handoffs_visible(user).filter(pk=handoff_id).first()
    if h is None:
        raise NotFound(f"handoff {handoff_id} does not exist or is not visible to you")
    return h


def lead_handoffs(lead) -> QuerySet[Handoff]:
    return (
        Handoff.objects.filter(lead=lead).select_related("sdr", "ae", "reject_reason").order_by("-created_at")
    )


def dispatch_candidates(handoff: Handoff, at) -> list[tuple[User, str, int]]:
    """The AEs a director may dispatch this handoff to — those of the lead's region first (else all AEs),
    each with why they cannot take it now ("" when they can) and their pending handoffs."""
    from baton.org.models import Role
    from baton.routing.services import open_items, people_skip_reasons

    aes = User.objects.filter(roles__role=Role.AE, is_active=True).select_related("team").distinct()
    region = (handoff.lead.region or "").strip()
    local = [u for u in aes if region and u.team and u.team.region.casefold() == region.casefold()]
    people = sorted(local or list(aes), key=lambda u: u.label)
    load = open_items("handoff", [u.pk for u in people])
    reasons = people_skip_reasons("handoff", people, at)
    return [(u, reasons[u.pk], load.get(u.pk, 0)) for u in people]
