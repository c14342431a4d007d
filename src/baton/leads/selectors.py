"""Reads on leads, with row-level visibility applied for UI and API alike.

An SDR sees their own leads and the public pool; an AE the leads handed off to them and those of
their opportunities; a manager everything owned by their subtree (plus the pool); an admin all.
"""

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from baton.core.errors import NotFound
from baton.core.lifecycle import LeadStatus
from baton.leads.models import DuplicateCandidate, Lead, LeadEvent, ScoreBand, Touch
from baton.org.models import MANAGER_ROLES, Role, User
from baton.org.selectors import subtree_user_ids


def visibility_filter(user: User) -> Q | None:
    """None means: no restriction."""
    if user.is_admin:
        return None
    q = Q(owner=user) | Q(owner=None)
    if user.has_role(Role.AE, Role.AM):
        q |= Q(handoffs__ae=user) | Q(opportunities__owner=user)
    if user.has_role(*MANAGER_ROLES):
        team_ids = subtree_user_ids(user)
        q |= (
            Q(owner_id__in=team_ids)
            | Q(handoffs__ae_id__in=team_ids)
            | Q(opportunities__owner_id__in=team_ids)
        )
    return q


def leads_visible(user: User) -> QuerySet[Lead]:
    q = visibility_filter(user)
    qs = Lead.objects.all()
    if q is None:
        return qs
    # The filter joins handoffs/opportunities; select ids in a subquery so rows are not duplicated.
    return qs.filter(pk__in=Lead.objects.filter(q).values("pk"))


def lead_get(user: User, lead_id: int) -> Lead:
    lead = leads_visible(user).select_related("owner", "account", "contact").filter(pk=lead_id).first()
    if lead is None:
        raise NotFound(f"lead {lead_id} does not exist or is not visible to you")
    return lead


URGENCY_STATUSES = (LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.NURTURING)


def sdr_queue(user: User, *, limit: int = 100) -> QuerySet[Lead]:
    """The SDR's open leads: untouched new leads first (speed to lead); then, within each tier, the
    lifecycle band of the score (handoff-ready, then SDR queue, then nurture), then by score, then oldest."""
    return (
        Lead.objects.filter(owner=user, status__in=URGENCY_STATUSES, merged_into=None)
        .annotate(
            urgency=Case(
                When(status=LeadStatus.NEW, first_touch_at=None, then=Value(0)),
                When(status=LeadStatus.WORKING, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
            band_rank=Case(
                When(score_band=ScoreBand.HANDOFF_READY, then=Value(0)),
                When(score_band=ScoreBand.SDR_QUEUE, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
        )
        .order_by("urgency", "band_rank", F("score").desc(), "created_at")[:limit]
    )


def public_pool(*, limit: int = 100) -> QuerySet[Lead]:
    return Lead.objects.filter(owner=None, status__in=URGENCY_STATUSES, merged_into=None).order_by(
        "-score", "created_at"
    )[:limit]


def lead_timeline(lead: Lead) -> QuerySet[LeadEvent]:
    return lead.events.select_related("actor").order_by("-occurred_at", "-id")


def lead_touches(lead: Lead) -> QuerySet[Touch]:
    return lead.touches.select_related("user").order_by("-occurred_at")


def leads_search(
    user: User,
    *,
    status: str | None = None,
    owner_id: int | None = None,
    q: str = "",
    limit: int = 50,
    offset: int = 0,
) -> QuerySet[Lead]:
    qs = leads_visible(user)
    if status:
        qs = qs.filter(status=status)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(company__icontains=q) | Q(email__icontains=q))
    return qs.select_related("owner").order_by("-created_at", "-id")[offset : offset + limit]


def duplicates_open(user: User, *, limit: int | None = 200) -> QuerySet[DuplicateCandidate]:
    """Suspected duplicate pairs the user may see (both leads visible), the strongest first."""
    visible = leads_visible(user).values("pk")
    pairs = (
        DuplicateCandidate.objects.filter(
            status=DuplicateCandidate.Status.OPEN, lead__in=visible, other__in=visible,
            lead__merged_into=None, other__merged_into=None,
        )
        .select_related("lead", "other", "lead__owner", "other__owner")
        .order_by("-score", "-detected_at")
    )  # fmt: skip
    return pairs[:limit] if limit else pairs
