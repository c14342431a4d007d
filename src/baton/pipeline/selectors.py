from django.db.models import QuerySet

from baton.core.errors import NotFound
from baton.org.models import MANAGER_ROLES, User
from baton.org.selectors import subtree_user_ids
from baton.pipeline.models import Opportunity, Stage


def opportunities_visible(user: User) -> QuerySet[Opportunity]:
    qs = Opportunity.objects.select_related("stage", "owner", "lead", "account", "sdr")
    if user.is_admin:
        return qs
    if user.has_role(*MANAGER_ROLES):
        ids = subtree_user_ids(user)
        return qs.filter(owner_id__in=ids) | qs.filter(sdr_id__in=ids)
    return qs.filter(owner=user) | qs.filter(sdr=user)


def opportunity_get(user: User, opp_id: int) -> Opportunity:
    opp = opportunities_visible(user).filter(pk=opp_id).first()
    if opp is None:
        raise NotFound(f"opportunity {opp_id} does not exist or is not visible to you")
    return opp


def board(user: User, *, closed_limit: int = 30) -> list[tuple[Stage, list[Opportunity]]]:
    """Open opportunities by stage, plus the most recently closed ones in won/lost columns."""
    opps = opportunities_visible(user)
    columns = []
    for stage in Stage.objects.filter(active=True):
        qs = opps.filter(stage=stage)
        if stage.kind == Stage.Kind.OPEN:
            items = list(qs.order_by("-amount")[:200])
        else:
            items = list(qs.order_by("-closed_at")[:closed_limit])
        columns.append((stage, items))
    return columns


def opportunity_of_handoff(handoff) -> Opportunity | None:
    return Opportunity.objects.filter(handoff=handoff).select_related("stage").first()
