"""Enrichment API: run a lead's look-up again, read its requests, and the provider's status."""

from datetime import datetime, timedelta
from typing import Any

from ninja import Field, Router, Schema

from baton import clock
from baton.core import enrichment as rules
from baton.enrichment import selectors, services
from baton.enrichment.models import EnrichmentRequest
from baton.leads.selectors import lead_get

router = Router(tags=["enrichment"])
lead_router = Router(tags=["enrichment"])

LISTED_PROBLEMS = 20


class ChangeOut(Schema):
    target: str = Field(..., description="lead, account or account_profile")
    field: str
    fact: str
    action: str = Field(..., description="fill (was empty), keep (already set; not overwritten) or skip")
    value: Any
    current: Any
    reason: str


class RequestOut(Schema):
    id: int
    lead_id: int
    account_id: int | None
    provider: str
    status: str = Field(..., description=", ".join(rules.STATUSES))
    trigger: str
    waited: bool = Field(..., description="routing held the lead for this request")
    wait_seconds: float | None = Field(..., description="system time the lead waited (only if it waited)")
    requested_at: datetime
    finished_at: datetime | None
    key_domain: str
    key_name: str
    matched_by: str
    found: dict
    changes: list[ChangeOut]
    error: str


class DirectoryOut(Schema):
    file: str
    exists: bool
    loaded: bool
    rows: int
    companies: int
    bad_rows: int
    bad_row_examples: list[str]
    warnings: int
    warning_examples: list[str]
    columns: dict[str, str]
    loaded_at: datetime | None
    load_seconds: float | None
    modified_at: datetime | None
    error: str


class StatusOut(Schema):
    provider: str | None
    configured: bool
    error: str
    enabled: bool
    wait_before_routing: bool
    timeout_seconds: int
    requests: dict[str, int] = Field(..., description="requests per status over the last 7 days; all pending")
    directory: DirectoryOut | None


def wait_seconds(request: EnrichmentRequest, now: datetime) -> float | None:
    if not request.waited:
        return None
    return max(0.0, ((request.finished_at or now) - request.requested_at).total_seconds())


def request_out(request: EnrichmentRequest, now: datetime | None = None) -> dict:
    now = now or clock.now()
    fields = ("id", "lead_id", "account_id", "provider", "status", "trigger", "waited", "requested_at",
              "finished_at", "key_domain", "key_name", "matched_by", "found", "error")  # fmt: skip
    changes = [{"fact": c.get("field", ""), **c} for c in request.changes]
    return {
        **{f: getattr(request, f) for f in fields},
        "changes": changes,
        "wait_seconds": wait_seconds(request, now),
    }


def directory_out(d) -> dict:
    return {
        "file": d.file, "exists": d.exists, "loaded": d.loaded, "rows": d.rows, "companies": d.companies,
        "bad_rows": d.bad_count, "bad_row_examples": [str(p) for p in d.bad[:LISTED_PROBLEMS]],
        "warnings": d.warning_count, "warning_examples": [str(p) for p in d.warnings[:LISTED_PROBLEMS]],
        "columns": d.columns, "loaded_at": d.loaded_at, "load_seconds": d.load_seconds,
        "modified_at": d.modified_at, "error": d.error,
    }  # fmt: skip


@lead_router.post("/{lead_id}/enrich", response=RequestOut, summary="Look the lead's company up again")
def enrich(request, lead_id: int):
    """Fills only empty fields of the lead, its account and the account's profile; what is set stays.
    409 `enrichment_unavailable` when no provider is configured; 422 `nothing_to_look_up` when the lead
    has no company name, website or company e-mail domain."""
    lead = lead_get(request.auth, lead_id)
    return request_out(services.lead_enrich(lead, actor=request.auth))


@lead_router.get(
    "/{lead_id}/enrichment", response=list[RequestOut], summary="The lead's enrichment requests, newest first"
)
def lead_enrichment(request, lead_id: int):
    lead = lead_get(request.auth, lead_id)
    now = clock.now()
    return [request_out(r, now) for r in selectors.lead_requests(lead)[:50]]


@router.get("/status", response=StatusOut, summary="The provider, the settings and the directory file")
def status(request):
    settings = selectors.enrichment_settings()
    provider = selectors.provider_status()
    return {
        "provider": provider.name or None,
        "configured": provider.configured,
        "error": provider.error,
        "enabled": settings.enabled,
        "wait_before_routing": settings.wait_before_routing,
        "timeout_seconds": settings.timeout_seconds,
        "requests": selectors.request_counts(since=clock.now() - timedelta(days=7)),
        "directory": directory_out(provider.directory) if provider.directory is not None else None,
    }
