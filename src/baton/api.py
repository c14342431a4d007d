"""The REST API under /api/v1/: one NinjaAPI, a router per bounded context, one error format.

Every error body is {"error": <stable code>, "detail": <human message>, ...extra}.
"""

import os

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from baton.core.errors import DomainError


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        from baton.org.services import token_authenticate

        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Baton API",
    version="1",
    description="Capture, work, qualify and hand off leads; accept them as sales; read the KPIs.",
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api",
)


def _error(request, status: int, code: str, detail: str, **extra):
    return api.create_response(request, {"error": code, "detail": detail, **extra}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return _error(request, exc.status, exc.code, exc.message, **exc.details)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    problems = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        problems.append(f"{'.'.join(loc) or 'body'}: {err.get('msg')}")
    return _error(request, 422, "invalid_input", "; ".join(problems) or "invalid input", errors=exc.errors)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    has_header = bool(request.headers.get("Authorization"))
    detail = (
        "the API token is invalid, expired or revoked"
        if has_header
        else "authentication required: send 'Authorization: Bearer <token>' (create one with `baton token create`)"
    )
    return _error(request, 401, "unauthorized", detail)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 400 and "parse request body" in str(exc):
        return _error(request, 400, "malformed_json", "the request body is not valid JSON")
    if exc.status_code == 429:
        return _error(request, 429, "rate_limited", "too many requests; try again in a minute")
    return _error(request, exc.status_code, "http_error", str(exc))


def _mount() -> None:
    from baton.analytics.api import router as kpis
    from baton.behaviour.api import lead_router as lead_behaviour
    from baton.behaviour.api import router as behaviour
    from baton.consent.api import router as consent
    from baton.enrichment.api import lead_router as enrichment_lead
    from baton.enrichment.api import router as enrichment
    from baton.handoffs.api import lead_router as lead_handoffs
    from baton.handoffs.api import router as handoffs
    from baton.imports.api import router as imports
    from baton.leads.api import forms_router
    from baton.leads.api import router as leads
    from baton.notifications.api import router as notifications
    from baton.notifications.api import webhooks_router as webhooks
    from baton.org.api import router as org
    from baton.pipeline.api import router as pipeline
    from baton.qualification.api import lead_router as lead_qualification
    from baton.qualification.api import router as qualification
    from baton.routing.api import router as routing
    from baton.scoring.api import lead_router as lead_score
    from baton.scoring.api import router as scoring
    from baton.sla.api import router as sla
    from baton.sla.api_mine import router as sla_mine
    from baton.tags.api import lead_router as lead_tags
    from baton.tags.api import router as tags
    from baton.tags.api import rules_router as tag_rules

    api.add_router("/leads", leads)
    api.add_router("/leads", lead_qualification)
    api.add_router("/leads", lead_handoffs)
    api.add_router("/qualification", qualification)
    api.add_router("/forms", forms_router)
    api.add_router("/handoffs", handoffs)
    api.add_router("/", pipeline)
    api.add_router("/kpis", kpis)
    api.add_router("/imports", imports)
    api.add_router("/notifications", notifications)
    api.add_router("/webhooks", webhooks)
    api.add_router("/", org)
    api.add_router("/consent", consent)
    api.add_router("/behaviour", behaviour)
    api.add_router("/leads", lead_behaviour)
    api.add_router("/tags", tags)
    api.add_router("/leads", lead_tags)
    api.add_router("/tag-rules", tag_rules)
    api.add_router("/leads", enrichment_lead)
    api.add_router("/enrichment", enrichment)
    api.add_router("/scoring", scoring)
    api.add_router("/leads", lead_score)
    api.add_router("/sla", sla)
    api.add_router("/sla", sla_mine)
    api.add_router("/routing", routing)
    if os.environ.get("BATON_BENCH_ENDPOINTS") == "1":
        from baton.bench.api import router as bench

        api.add_router("/_bench", bench)


_mount()
