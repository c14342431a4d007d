"""Reads on enrichment: the settings, a lead's requests, the system time leads spent waiting, the status."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from baton import clock, localcache
from baton.core import enrichment as rules
from baton.core.errors import InvalidInput
from baton.enrichment import providers
from baton.enrichment.models import SETTINGS_CACHE_KEY, AccountProfile, EnrichmentRequest, EnrichmentSettings
from baton.leads.models import Lead


def enrichment_settings() -> EnrichmentSettings:
    """The settings (defaults until first saved), cached for a few seconds per process."""
    return localcache.get(
        SETTINGS_CACHE_KEY, lambda: EnrichmentSettings.objects.filter(pk=1).first() or EnrichmentSettings()
    )


def lead_requests(lead: Lead) -> QuerySet[EnrichmentRequest]:
    """The lead's enrichment requests, newest first."""
    return (
        EnrichmentRequest.objects.filter(lead=lead)
        .select_related("requested_by")
        .order_by("-requested_at", "-pk")
    )


def latest_request(lead: Lead) -> EnrichmentRequest | None:
    return lead_requests(lead).first()


def account_profile(account_id: int | None) -> AccountProfile | None:
    return AccountProfile.objects.filter(account_id=account_id).first() if account_id else None


# --- waiting and system time ----------------------------------------------------------------------


def waiting_filter(*, at: datetime | None = None) -> Q | None:
    """Leads that routing must not pick up yet: a pending request routing waits for, within its timeout.

    None when nothing waits (enrichment or waiting switched off): every unrouted lead may be routed.
    """
    settings = enrichment_settings()
    if not (settings.enabled and settings.wait_before_routing):
        return None
    cutoff = (at or clock.now()) - timedelta(seconds=settings.timeout_seconds)
    return Q(
        Exists(
            EnrichmentRequest.objects.filter(
                lead_id=OuterRef("pk"), status=rules.PENDING, waited=True, requested_at__gt=cutoff
            )
        )
    )


def exclude_waiting(leads: QuerySet[Lead], *, at: datetime | None = None) -> QuerySet[Lead]:
    """``leads`` without those still waiting for enrichment (for ``leads_route_pending``)."""
    q = waiting_filter(at=at)
    return leads if q is None else leads.exclude(q)


def enrichment_wait_seconds(lead: Lead, *, at: datetime | None = None) -> float | None:
    """Seconds routing held the lead for enrichment (system time); None if it never waited.

    From the request (made at capture) to its answer or timeout; while it is still pending, up to
    ``at`` (default now).
    """
    request = EnrichmentRequest.objects.filter(lead=lead, waited=True).order_by("requested_at", "pk").first()
    if request is None:
        return None
    end = request.finished_at or at or clock.now()
    return max(0.0, (end - request.requested_at).total_seconds())


def enrichment_delays_queryset(start: datetime, end: datetime) -> QuerySet[EnrichmentRequest]:
    """Finished requests that held their lead, requested in [start, end), annotated with ``delay_micros``
    (an integer, computed in the database the same way as the KPIs' elapsed times)."""
    from baton.analytics.selectors import ElapsedMicros

    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("start and end need a time zone")
    if end <= start:
        raise InvalidInput("end must be after start")
    return (
        EnrichmentRequest.objects.filter(
            waited=True, finished_at__isnull=False, requested_at__gte=start, requested_at__lt=end
        )
        .annotate(delay_micros=ElapsedMicros("finished_at", "requested_at"))
        .order_by("requested_at", "pk")
    )


def enrichment_delays(start: datetime, end: datetime) -> list[dict]:
    """Per lead that waited for enrichment in [start, end): the system delay in seconds, one query.

    Rows: lead_id, status, provider, requested_at, finished_at, seconds. A lead that waited twice
    (a re-run while routing still waited) counts once, with its first request.
    """
    rows, seen = [], set()
    values = enrichment_delays_queryset(start, end).values_list(
        "lead_id", "status", "provider", "requested_at", "finished_at", "delay_micros"
    )
    for lead_id, status, provider, requested_at, finished_at, micros in values:
        if lead_id in seen:
            continue
        seen.add(lead_id)
        rows.append({"lead_id": lead_id, "status": status, "provider": provider, "requested_at": requested_at,
                     "finished_at": finished_at, "seconds": max(0, micros) / 1_000_000})  # fmt: skip
    return rows


# --- status --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderStatus:
    name: str  # "" when none is configured
    configured: bool
    error: str
    directory: object | None  # DirectoryStatus for the directory provider


def provider_status() -> ProviderStatus:
    """The configured provider and, for the directory, its file (loaded if needed)."""
    name = providers.configured_name()
    try:
        provider = providers.active_provider()
    except providers.ProviderUnavailable as exc:
        return ProviderStatus(name, False, exc.message, None)
    if provider is None:
        return ProviderStatus("", False, "", None)
    status = getattr(provider, "status", None)
    directory = status() if callable(status) else None
    return ProviderStatus(name, True, getattr(directory, "error", "") or "", directory)


def request_counts(*, since: datetime | None = None) -> dict[str, int]:
    """Requests per status (since ``since``), and how many are pending now, in one query."""
    qs = EnrichmentRequest.objects.all()
    if since is not None:
        qs = qs.filter(Q(requested_at__gte=since) | Q(status=rules.PENDING))
    counts = dict.fromkeys(rules.STATUSES, 0)
    for row in qs.order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts
