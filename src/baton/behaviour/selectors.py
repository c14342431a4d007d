"""Reads on behaviour: a lead's events (with the leads' visibility), and counts for rules, scoring and flows."""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q, QuerySet

from baton.behaviour.models import BehaviourEvent, BehaviourKind
from baton.core.errors import InvalidInput
from baton.core.tagging import BehaviourNeed
from baton.dbutil import chunks
from baton.leads.models import Lead
from baton.leads.selectors import lead_get

KINDS = tuple(BehaviourKind.values)


def behaviour_counts(
    lead_ids: Sequence[int], since: datetime | None = None, until: datetime | None = None
) -> dict[int, dict[str, int]]:
    """{lead id: {kind: count}} for every given lead (every kind, 0 when none), events since ``since``
    (inclusive) up to ``until`` (inclusive). One grouped query per 500 leads."""
    ids = list(dict.fromkeys(lead_ids))
    out = {pk: dict.fromkeys(KINDS, 0) for pk in ids}
    for part in chunks(ids):
        qs = BehaviourEvent.objects.filter(lead_id__in=part)
        if since is not None:
            qs = qs.filter(occurred_at__gte=since)
        if until is not None:
            qs = qs.filter(occurred_at__lte=until)
        for lead_id, kind, n in (
            qs.values("lead_id", "kind")
            .annotate(n=Count("pk"))
            .values_list("lead_id", "kind", "n")
            .order_by()
        ):
            out[lead_id][kind] = n
    return out


def _need_filter(need: BehaviourNeed, at: datetime) -> Q:
    q = Q(kind=need.kind)
    if need.within_days:
        q &= Q(occurred_at__gt=at - timedelta(days=need.within_days))
    if need.matching:
        m = need.matching
        q &= Q(title__icontains=m) | Q(url__icontains=m) | Q(campaign__icontains=m)
    return q


def behaviour_tallies(
    lead_ids: Sequence[int], needs: Iterable[BehaviourNeed], at: datetime
) -> dict[int, dict[str, int]]:
    """{lead id: {need key: count}}: the counts tag conditions read, as of ``at``.

    One grouped query per 500 leads whatever the number of needs (a filtered COUNT per need).
    """
    ids = list(dict.fromkeys(lead_ids))
    needs = sorted(set(needs), key=lambda n: n.key)
    out: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    if not needs or not ids:
        return out
    kinds = sorted({n.kind for n in needs})
    aggregates = {f"n{i}": Count("pk", filter=_need_filter(need, at)) for i, need in enumerate(needs)}
    for part in chunks(ids):
        rows = (
            BehaviourEvent.objects.filter(lead_id__in=part, kind__in=kinds, occurred_at__lte=at)
            .values("lead_id")
            .annotate(**aggregates)
            .order_by()
        )
        for row in rows:
            out[row["lead_id"]] = {need.key: row[f"n{i}"] for i, need in enumerate(needs)}
    return out


def behaviour_summary(lead_id: int) -> list[dict]:
    """Per kind a lead has done: ``kind``, ``count`` and ``last`` (its latest time), in the kinds' order.
    One grouped query."""
    rows = {
        r["kind"]: r
        for r in BehaviourEvent.objects.filter(lead_id=lead_id)
        .values("kind")
        .annotate(count=Count("pk"), last=Max("occurred_at"))
        .order_by()
    }
    return [rows[k] for k in KINDS if k in rows]


def lead_behaviour(lead: Lead, *, kind: str | None = None) -> QuerySet[BehaviourEvent]:
    """A lead's behaviour, newest first (no visibility check: pass a lead you got from ``lead_get``)."""
    qs = BehaviourEvent.objects.filter(lead=lead).select_related("recorded_by")
    if kind:
        if kind not in KINDS:
            raise InvalidInput(f"kind: unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
        qs = qs.filter(kind=kind)
    return qs.order_by("-occurred_at", "-id")


def behaviour_of(user, lead_id: int, *, kind: str | None = None) -> QuerySet[BehaviourEvent]:
    """The behaviour of a lead the user can see, newest first; NotFound (404) otherwise."""
    return lead_behaviour(lead_get(user, lead_id), kind=kind)
