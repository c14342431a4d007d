"""Reads on leads, with row-level visibility applied for UI and API alike.

An SDR sees their own leads and the public pool; an AE the leads handed off to them and those of
their opportunities; a manager everything owned by their subtree (plus the pool); an admin all.
"""

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from baton.core.errors import NotFound
from baton.core.lifecycle import LeadStatus
from baton.leads.models import DuplicateCandidate, Lead, LeadEvent, Touch
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


QUEUE_CANDIDATES = 500  # the SDR's open leads read for ranking, most urgent first by SQL


def channel_history() -> dict[str, tuple[int, int]]:
    """Decided handoffs per lead source: {source: (accepted, decided)} — one grouped query, cached a
    minute per process (the queue page polls it)."""
    from django.db.models import Count, Q

    from baton import localcache
    from baton.handoffs.models import Handoff

    def load() -> dict[str, tuple[int, int]]:
        rows = (
            Handoff.objects.filter(status__in=[Handoff.Status.ACCEPTED, Handoff.Status.REJECTED])
            .values("lead__source")
            .annotate(accepted=Count("pk", filter=Q(status=Handoff.Status.ACCEPTED)), decided=Count("pk"))
            .order_by()
        )
        return {r["lead__source"]: (r["accepted"], r["decided"]) for r in rows}

    return localcache.get("channel-history", load, ttl=60)


def sdr_queue(user: User, *, limit: int = 100, now=None) -> list[Lead]:
    """The SDR's open leads in working order (core.queue): untouched leads by their speed-to-lead
    deadline, then by the score's band and the expected value of score and channel quality (the
    acceptance rate of the lead's source), then oldest. Each lead carries ``queue`` (position, why)."""
    from baton import clock
    from baton.core import queue as core_queue

    now = now or clock.now()
    candidates = list(
        Lead.objects.filter(owner=user, status__in=URGENCY_STATUSES, merged_into=None)
        .select_related("owner")
        .annotate(
            urgency=Case(
                When(status=LeadStatus.NEW, first_touch_at=None, then=Value(0)),
                When(status=LeadStatus.WORKING, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
        )
        .order_by("urgency", F("score").desc(), "created_at")[:QUEUE_CANDIDATES]
    )
    rates = core_queue.channel_rates(channel_history())
    ranked = core_queue.rank(
        [core_queue.QueueLead(x.pk, x.status, x.first_touch_at is not None, x.owned_since or x.routed_at
                              or x.created_at, x.created_at, x.score, x.grade, x.score_band, x.source)
         for x in candidates],
        rates, now,
    )  # fmt: skip
    by_id = {x.pk: x for x in candidates}
    out = []
    for r in ranked[:limit]:
        lead = by_id[r.id]
        lead.queue = r
        out.append(lead)
    return out


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
