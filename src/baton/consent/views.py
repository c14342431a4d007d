"""Web pages of consent: the do-not-contact settings (admins), the lead panel, the public unsubscribe page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from baton.consent import selectors, services
from baton.consent.forms import ConsentSettingsForm, OptOutForm, SuppressionForm
from baton.consent.models import Channel, ConsentSource, ConsentState, DomainSuppression
from baton.consent.throttle import unsubscribe_allowed
from baton.core import consent as rules
from baton.core.errors import DomainError, InvalidInput
from baton.leads.selectors import lead_get
from baton.web.shortcuts import get_or_404, is_htmx, redirect_after_post, render_partial, role_required

# What a decision means, for people (the API gives the stable code and an English reason).
DECISION_LABELS = {
    rules.LEGITIMATE_INTEREST: gettext_lazy("no opt-out recorded (legitimate interest)"),
    rules.CODE_OPTED_IN: gettext_lazy("opted in"),
    rules.CODE_OPTED_OUT: gettext_lazy("opted out"),
    rules.DOMAIN_SUPPRESSED: gettext_lazy("the e-mail domain is suppressed"),
    rules.OPT_IN_REQUIRED: gettext_lazy("this channel needs an opt-in"),
    rules.CHECK_UNAVAILABLE: gettext_lazy("consent check unavailable"),
}
SEND_CHANNEL_LABELS = {c: label for c, label in Channel.choices if c in rules.SEND_CHANNELS}
RECENT_HISTORY = 5


def _admin_only(user) -> bool:
    return False  # role_required lets admins (sales ops) through, nobody else


# --- Settings: domain suppressions and opt-in requirements ---------------------------------------


def _settings_context(*, form=None, settings_form=None, error=None, settings_error=None) -> dict:
    return {
        "active": "consent",
        "suppressions": list(selectors.suppressions()),
        "removed": list(selectors.suppressions(include_removed=True).filter(active=False)[:20]),
        "form": form or SuppressionForm(),
        "settings_form": settings_form or ConsentSettingsForm(instance=selectors.consent_settings()),
        "error": error,
        "settings_error": settings_error,
    }


def _suppressions_response(request: HttpRequest, *, status: int = 200, **context) -> HttpResponse:
    ctx = _settings_context(**context)
    if is_htmx(request):
        return render_partial(request, "consent/_suppressions.html", ctx, status=status)
    if status >= 400:
        return render(request, "consent/settings.html", ctx, status=status)
    return redirect_after_post(request, reverse("web:consent_settings"))


@require_GET
@role_required(_admin_only)
def settings_page(request: HttpRequest) -> HttpResponse:
    return render(request, "consent/settings.html", _settings_context())


@require_POST
@role_required(_admin_only)
def suppression_add(request: HttpRequest) -> HttpResponse:
    form = SuppressionForm(request.POST)
    if not form.is_valid():
        return _suppressions_response(
            request, status=422, form=form, error=_("Please correct the fields marked below.")
        )
    try:
        row = services.domain_suppress(form.cleaned_data["domain"], form.cleaned_data["reason"], request.user)
    except DomainError as exc:
        return _suppressions_response(request, status=exc.status, form=form, error=exc.message)
    messages.success(
        request, _("%(domain)s is suppressed: nobody there will be contacted.") % {"domain": row.domain}
    )
    return _suppressions_response(request)


@require_POST
@role_required(_admin_only)
def suppression_remove(request: HttpRequest, suppression_id: int) -> HttpResponse:
    row = get_object_or_404(DomainSuppression, pk=suppression_id)
    try:
        services.domain_unsuppress(row.domain, request.user)
    except DomainError as exc:
        return _suppressions_response(request, status=exc.status, error=exc.message)
    messages.success(request, _("%(domain)s is no longer suppressed.") % {"domain": row.domain})
    return _suppressions_response(request)


@require_POST
@role_required(_admin_only)
def settings_save(request: HttpRequest) -> HttpResponse:
    form = ConsentSettingsForm(request.POST, instance=selectors.consent_settings())
    if form.is_valid():
        services.consent_settings_update(request.user, opt_in_required=form.required_channels())
        messages.success(request, _("Consent settings saved."))
        if is_htmx(request):
            return render_partial(request, "consent/_settings_form.html", _settings_context())
        return redirect_after_post(request, reverse("web:consent_settings"))
    ctx = _settings_context(settings_form=form, settings_error=_("Please correct the fields marked below."))
    if is_htmx(request):
        return render_partial(request, "consent/_settings_form.html", ctx, status=422)
    return render(request, "consent/settings.html", ctx, status=422)


# --- The lead panel ------------------------------------------------------------------------------


def lead_panel_context(request: HttpRequest, lead, *, form=None, error=None) -> dict:
    """Context for ``consent/_lead_panel.html``: merge it into the lead page's context.

    Without it, the partial loads itself over HTMX from ``web:consent_lead_panel``.
    """
    decisions = selectors.person_decisions(lead.email or None, lead.phone or None)
    try:
        history = list(selectors.preference_history(lead.email or None, lead.phone or None)[:RECENT_HISTORY])
    except InvalidInput:
        history = []
    rows = [
        {"channel": channel, "label": SEND_CHANNEL_LABELS[channel], "decision": d,
         "text": DECISION_LABELS.get(d.code, d.reason)}
        for channel, d in decisions.items()
    ]  # fmt: skip
    return {
        "consent_panel": {
            "rows": rows,
            "history": history,
            "blocked": sum(not r["decision"].allowed for r in rows),
            "form": form or OptOutForm(),
            "error": error,
        }
    }


def _panel(request: HttpRequest, lead, *, status: int = 200, **kwargs) -> HttpResponse:
    context = {"lead": lead, **lead_panel_context(request, lead, **kwargs)}
    return render_partial(request, "consent/_lead_panel.html", context, status=status)


@require_GET
@login_required
def lead_panel(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_or_404(lead_get, request.user, lead_id)
    return render(request, "consent/_lead_panel.html", {"lead": lead, **lead_panel_context(request, lead)})


@require_POST
@login_required
def lead_opt_out(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Anyone who can see the lead may record that the person asked not to be contacted."""
    lead = get_or_404(lead_get, request.user, lead_id)
    form = OptOutForm(request.POST)
    if not form.is_valid():
        return _panel(
            request, lead, status=422, form=form, error=_("Please correct the fields marked below.")
        )
    try:
        services.preference_record(
            email=lead.email or None, phone=lead.phone or None, channel=form.cleaned_data["channel"],
            state=ConsentState.OPTED_OUT, source=ConsentSource.MANUAL, actor=request.user,
            note=form.cleaned_data["note"],
        )  # fmt: skip
    except DomainError as exc:
        return _panel(request, lead, status=exc.status, form=form, error=exc.message)
    messages.success(request, _("Opt-out recorded."))
    if is_htmx(request):
        return _panel(request, lead)
    return redirect_after_post(request, reverse("web:lead", args=[lead.pk]))


# --- Public unsubscribe page ----------------------------------------------------------------------


def _mask(email: str) -> str:
    local, _at, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a confirmation page (mail scanners open links; nothing is recorded). POST (with the
    page's CSRF token): record the opt-out. Rate-limited per client address like the web forms."""
    if not unsubscribe_allowed(request):
        return render(request, "consent/unsubscribe.html", {"state": "limited"}, status=429)
    try:
        email, channel = services.unsubscribe_read(token)
    except InvalidInput:
        return render(request, "consent/unsubscribe.html", {"state": "invalid"}, status=400)
    context = {"token": token, "masked": _mask(email), "channel": channel,
               "channel_label": dict(Channel.choices)[channel]}  # fmt: skip
    if request.method == "POST":
        services.unsubscribe_apply(token)
        return render(request, "consent/unsubscribe.html", {**context, "state": "done"})
    return render(request, "consent/unsubscribe.html", {**context, "state": "confirm"})
