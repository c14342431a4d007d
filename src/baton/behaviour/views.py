"""Web pages of behaviour: a lead's behaviour (summary on the lead page, and the full list)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from baton.behaviour import selectors
from baton.behaviour.models import BehaviourKind
from baton.leads.selectors import lead_get
from baton.web.shortcuts import get_or_404

PAGE = 200
KIND_LABELS = dict(BehaviourKind.choices)


def lead_summary(lead) -> dict:
    """Context for ``behaviour/_summary.html``: per kind, how often and when last (one query)."""
    rows = [{**row, "label": KIND_LABELS[row["kind"]]} for row in selectors.behaviour_summary(lead.pk)]
    return {"lead": lead, "counts": rows, "total": sum(r["count"] for r in rows)}


@require_GET
@login_required
def lead_behaviour_page(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_or_404(lead_get, request.user, lead_id)
    kind = request.GET.get("kind", "")
    if kind not in KIND_LABELS:
        kind = ""
    events = list(selectors.lead_behaviour(lead, kind=kind or None)[: PAGE + 1])
    context = {
        "active": "leads",
        "lead": lead,
        "events": events[:PAGE],
        "more": len(events) > PAGE,
        "page_size": PAGE,
        "kind": kind,
        "kinds": BehaviourKind.choices,
        "summary": lead_summary(lead),
    }
    return render(request, "behaviour/lead_behaviour.html", context)
