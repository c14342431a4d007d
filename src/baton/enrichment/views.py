"""Web pages of enrichment: the card on the lead page and the settings page (admins)."""

import statistics
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from baton import clock
from baton.core import enrichment as rules
from baton.core.errors import DomainError
from baton.enrichment import providers, selectors, services
from baton.enrichment.api import wait_seconds
from baton.enrichment.forms import EnrichmentSettingsForm
from baton.enrichment.models import EnrichmentRequest, EnrichmentSettings
from baton.leads.selectors import lead_get
from baton.web.shortcuts import get_or_404, is_htmx, redirect_after_post, render_partial, role_required

FIELD_LABELS = {
    "industry": gettext_lazy("Industry"),
    "company_size": gettext_lazy("Company size"),
    "headcount": gettext_lazy("Headcount"),
    "city": gettext_lazy("City"),
    "region": gettext_lazy("Region"),
    "website_domain": gettext_lazy("Website"),
    "domain": gettext_lazy("Domain"),
    "registered_capital": gettext_lazy("Registered capital"),
    "funding_round": gettext_lazy("Funding round"),
}
TARGET_LABELS = {
    "lead": gettext_lazy("lead"),
    "account": gettext_lazy("account"),
    "account_profile": gettext_lazy("account"),
}
BADGES = {
    rules.PENDING: "status-pending",
    rules.ENRICHED: "status-accepted",
    rules.NOT_FOUND: "status-nurturing",
    rules.FAILED: "status-rejected",
    rules.TIMED_OUT: "status-rejected",
}
HISTORY = 5
RECENT_DAYS = 7


def capital_text(value) -> str:
    """10000000 → "10,000,000 CNY" (cents only when there are any)."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{amount:,.2f}".removesuffix(".00")
    return f"{text} CNY"


def _value_text(fact: str, value) -> str:
    if value in (None, ""):
        return "—"
    return capital_text(value) if fact == "registered_capital" else str(value)


def _rows(changes: list[dict], action: str) -> list[dict]:
    return [
        {"label": FIELD_LABELS.get(c.get("field"), c.get("field")), "target": TARGET_LABELS.get(c.get("target"), ""),
         "value": _value_text(c.get("fact", ""), c.get("value")),
         "current": _value_text(c.get("fact", ""), c.get("current")), "reason": c.get("reason", "")}
        for c in changes if c.get("action") == action
    ]  # fmt: skip


def lead_card_context(request: HttpRequest, lead, *, error: str | None = None) -> dict:
    """Context for ``enrichment/_lead_card.html``: merge it into the lead page's context.

    Without it, the card loads itself over HTMX from ``web:enrichment_lead_card``.
    """
    history = list(selectors.lead_requests(lead)[: HISTORY + 1])
    latest = history[0] if history else None
    profile = selectors.account_profile(lead.account_id)
    now = clock.now()
    return {
        "enrichment_card": {
            "request": latest,
            "badge": BADGES.get(latest.status, "") if latest else "",
            "history": history[1:],
            "filled": _rows(latest.changes, rules.FILL) if latest else [],
            "kept": _rows(latest.changes, rules.KEEP) + _rows(latest.changes, "skip") if latest else [],
            "wait_seconds": wait_seconds(latest, now) if latest else None,
            "profile": profile,
            "capital": capital_text(profile.registered_capital) if profile else "",
            "provider": providers.configured_name(),
            "error": error,
        }
    }


def _card(request: HttpRequest, lead, *, status: int = 200, error: str | None = None) -> HttpResponse:
    context = {"lead": lead, **lead_card_context(request, lead, error=error)}
    return render_partial(request, "enrichment/_lead_card.html", context, status=status)


@require_GET
@login_required
def lead_card(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_or_404(lead_get, request.user, lead_id)
    return render(request, "enrichment/_lead_card.html", {"lead": lead, **lead_card_context(request, lead)})


@require_POST
@login_required
def lead_rerun(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Anyone who can see the lead may look its company up again: only empty fields are filled."""
    lead = get_or_404(lead_get, request.user, lead_id)
    try:
        result = services.lead_enrich(lead, actor=request.user)
    except DomainError as exc:
        if is_htmx(request):
            return _card(request, lead, status=exc.status, error=exc.message)
        messages.error(request, exc.message)
        return redirect_after_post(request, reverse("web:lead", args=[lead.pk]))
    filled = len(result.filled())
    if result.status == rules.ENRICHED:
        messages.success(
            request,
            _("Company found: %(n)s field(s) filled.") % {"n": filled}
            if filled
            else _("Company found: nothing was empty."),
        )
    else:
        messages.info(request, _("Enrichment: %(status)s.") % {"status": result.get_status_display()})
    if is_htmx(request):
        return _card(request, lead)
    return redirect_after_post(request, reverse("web:lead", args=[lead.pk]))


# --- Settings (admins) ---------------------------------------------------------------------------


def _admin_only(user) -> bool:
    return False  # role_required lets admins (sales ops) through, nobody else


def _stored_settings() -> EnrichmentSettings:
    # Not the cached copy: a bound form writes its input onto its instance while validating.
    return EnrichmentSettings.objects.filter(pk=1).first() or EnrichmentSettings()


def _delay_summary(now) -> dict:
    seconds = sorted(
        row["seconds"] for row in selectors.enrichment_delays(now - timedelta(days=RECENT_DAYS), now)
    )
    if not seconds:
        return {"count": 0}
    p90 = seconds[min(len(seconds) - 1, int(round(0.9 * (len(seconds) - 1))))]
    return {"count": len(seconds), "median": round(statistics.median(seconds), 2), "p90": round(p90, 2),
            "max": round(seconds[-1], 2)}  # fmt: skip


def _settings_context(*, form=None, error=None) -> dict:
    now = clock.now()
    provider = selectors.provider_status()
    counts = selectors.request_counts(since=now - timedelta(days=RECENT_DAYS))
    return {
        "active": "enrichment",
        "form": form or EnrichmentSettingsForm(instance=_stored_settings()),
        "error": error,
        "provider": provider,
        "directory": provider.directory,
        "counts": [
            (status, label, counts.get(status, 0)) for status, label in EnrichmentRequest.Status.choices
        ],
        "delays": _delay_summary(now),
        "recent_days": RECENT_DAYS,
    }


@require_GET
@role_required(_admin_only)
def settings_page(request: HttpRequest) -> HttpResponse:
    return render(request, "enrichment/settings.html", _settings_context())


@require_POST
@role_required(_admin_only)
def settings_save(request: HttpRequest) -> HttpResponse:
    form = EnrichmentSettingsForm(request.POST, instance=_stored_settings())
    status, error = 200, None
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.enrichment_settings_update(
                request.user, enabled=data["enabled"], wait_before_routing=data["wait_before_routing"],
                timeout_seconds=data["timeout_seconds"],
            )  # fmt: skip
        except DomainError as exc:
            status, error = exc.status, exc.message
        else:
            messages.success(request, _("Enrichment settings saved."))
            if not is_htmx(request):
                return redirect_after_post(request, reverse("web:enrichment_settings"))
            form = None
    else:
        status, error = 422, _("Please correct the fields marked below.")
    ctx = _settings_context(form=form, error=error)
    if is_htmx(request):
        return render_partial(request, "enrichment/_settings_form.html", ctx, status=status)
    return render(request, "enrichment/settings.html", ctx, status=status)
