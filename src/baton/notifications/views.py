"""The notification list (messages rendered at display time so they follow the reader's language), the
user's notification preferences, and the webhook settings of sales ops."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from baton.core.errors import DomainError
from baton.notifications import selectors, services
from baton.notifications import webhooks as webhook_transport
from baton.notifications.forms import PreferencesForm, WebhookForm
from baton.notifications.messages import render as render_message
from baton.notifications.models import OutboxMessage
from baton.notifications.selectors import notification_get, notifications_for
from baton.notifications.services import notifications_mark_read
from baton.web.shortcuts import get_or_404, is_htmx, redirect_after_post, render_partial, role_required


@require_GET
@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "all")
    items = [
        {"n": n, "text": render_message(n.verb, n.params or {})}
        for n in notifications_for(request.user, unread_only=show == "unread")
    ]
    return render(
        request, "notifications/list.html", {"active": "notifications", "items": items, "show": show}
    )


@require_POST
@login_required
def read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_read(request.user)
    if count:
        messages.success(request, _("All notifications marked as read."))
    return redirect_after_post(request, "/notifications/")


@require_POST
@login_required
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read and follow its link (local links only)."""
    n = notification_get(request.user, notification_id)
    if n is None:
        return redirect("web:notifications")
    notifications_mark_read(request.user, [n.pk])
    link = (
        n.link
        if url_has_allowed_host_and_scheme(n.link, allowed_hosts=None) and n.link.startswith("/")
        else ""
    )
    return redirect(link or "web:notifications")


# --- My notification preferences ------------------------------------------------------------------


def _preferences_context(request: HttpRequest, form=None, error=None) -> dict:
    prefs = selectors.preferences_get(request.user)
    if form is None:
        form = PreferencesForm(
            initial={
                "email_groups": prefs["email_groups"],
                "language": prefs["language"] or settings.LANGUAGE_CODE,
            }
        )
    return {"active": "notifications", "prefs": prefs, "form": form, "error": error}


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "notifications/preferences.html", _preferences_context(request))
    form = PreferencesForm(request.POST)
    if not form.is_valid():
        ctx = _preferences_context(request, form, _("Please correct the fields marked below."))
        return render(request, "notifications/preferences.html", ctx, status=422)
    try:
        services.preferences_set(
            request.user,
            email_groups=form.cleaned_data["email_groups"],
            language=form.cleaned_data["language"],
        )
    except DomainError as exc:
        ctx = _preferences_context(request, form, exc.message)
        return render(request, "notifications/preferences.html", ctx, status=exc.status)
    with translation.override(form.cleaned_data["language"]):
        messages.success(request, _("Notification preferences saved."))
    response = redirect_after_post(request, reverse("web:notification_preferences"))
    # The language switch's cookie follows the choice, so the sign-in page speaks it too.
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.cleaned_data["language"], samesite="Lax")
    return response


# --- Webhooks (sales ops) -----------------------------------------------------------------------------

ONCE_SESSION_KEY = "webhook_shown_once"


def _admin_only(user) -> bool:
    return False  # role_required lets admins (sales ops) through, nobody else


def _form_errors(form, exc: DomainError) -> str:
    """Put a service's per-field problems on the form's fields; the message for the rest."""
    fields = (exc.details or {}).get("fields") or {}
    placed = False
    for field, problem in fields.items():
        if field in form.fields:
            form.add_error(field, problem)
            placed = True
    return _("Please correct the fields marked below.") if placed else exc.message


def _shown_once(request: HttpRequest, endpoint_id: int) -> str | None:
    """The secret of a just-created (or rotated) endpoint, taken out of the session: shown once."""
    stash = request.session.get(ONCE_SESSION_KEY)
    if stash and stash.get("id") == endpoint_id:
        del request.session[ONCE_SESSION_KEY]
        return stash.get("secret")
    return None


def _webhooks_context(request: HttpRequest, form=None, error=None) -> dict:
    endpoints = selectors.webhooks_list(request.user)
    stats = selectors.endpoint_stats(endpoints)
    return {
        "active": "webhooks",
        "rows": [{"endpoint": e, **stats[e.pk]} for e in endpoints],
        "form": form or WebhookForm(initial={"active": True, "events": ["handoff_received"]}),
        "error": error,
        "allow_private": webhook_transport.allow_private(),
    }


@require_GET
@role_required(_admin_only)
def webhooks_page(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/webhooks.html", _webhooks_context(request))


@require_POST
@role_required(_admin_only)
def webhook_new(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST)
    if not form.is_valid():
        ctx = _webhooks_context(request, form, _("Please correct the fields marked below."))
        return render(request, "notifications/webhooks.html", ctx, status=422)
    try:
        endpoint, secret = services.webhook_create(request.user, **form.cleaned_data)
    except DomainError as exc:
        ctx = _webhooks_context(request, form, _form_errors(form, exc))
        return render(request, "notifications/webhooks.html", ctx, status=exc.status)
    request.session[ONCE_SESSION_KEY] = {"id": endpoint.pk, "secret": secret}
    messages.success(request, _("Webhook endpoint %(name)s created.") % {"name": endpoint.name})
    return redirect_after_post(request, reverse("web:webhook", args=[endpoint.pk]))


def _detail_context(request: HttpRequest, endpoint, form=None, error=None) -> dict:
    return {
        "active": "webhooks",
        "endpoint": endpoint,
        "secret": _shown_once(request, endpoint.pk),
        "form": form
        or WebhookForm(
            initial={
                "name": endpoint.name,
                "url": endpoint.url,
                "events": endpoint.events,
                "active": endpoint.active,
            }
        ),
        "error": error,
        **_deliveries_context(request, endpoint),
    }


def _deliveries_context(request: HttpRequest, endpoint) -> dict:
    status = request.GET.get("status") or ""
    if status not in OutboxMessage.Status.values:
        status = ""
    return {
        "endpoint": endpoint,
        "deliveries": selectors.deliveries_for(request.user, endpoint, status=status or None, limit=50),
        "status_filter": status,
        "statuses": OutboxMessage.Status.choices,
    }


def _endpoint(request: HttpRequest, endpoint_id: int):
    return get_or_404(selectors.webhook_get, request.user, endpoint_id)


@require_http_methods(["GET", "POST"])
@role_required(_admin_only)
def webhook_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    if request.method == "GET":
        if is_htmx(request) and request.GET.get("part") == "deliveries":
            return render_partial(
                request, "notifications/_deliveries.html", _deliveries_context(request, endpoint)
            )
        return render(request, "notifications/webhook.html", _detail_context(request, endpoint))
    form = WebhookForm(request.POST)
    if not form.is_valid():
        ctx = _detail_context(request, endpoint, form, _("Please correct the fields marked below."))
        return render(request, "notifications/webhook.html", ctx, status=422)
    try:
        services.webhook_update(request.user, endpoint, **form.cleaned_data)
    except DomainError as exc:
        endpoint.refresh_from_db()
        ctx = _detail_context(request, endpoint, form, _form_errors(form, exc))
        return render(request, "notifications/webhook.html", ctx, status=exc.status)
    messages.success(request, _("Webhook endpoint saved."))
    return redirect_after_post(request, reverse("web:webhook", args=[endpoint.pk]))


def _after_action(request: HttpRequest, endpoint) -> HttpResponse:
    if is_htmx(request):
        return render_partial(
            request, "notifications/_deliveries.html", _deliveries_context(request, endpoint)
        )
    return redirect_after_post(request, reverse("web:webhook", args=[endpoint.pk]))


@require_POST
@role_required(_admin_only)
def webhook_test(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    delivery = services.webhook_test(request.user, endpoint)
    if delivery.status == OutboxMessage.Status.DELIVERED:
        messages.success(request, _("Test event delivered."))
    else:
        messages.error(request, _("Test event failed: %(error)s") % {"error": delivery.last_error})
    return _after_action(request, endpoint)


@require_POST
@role_required(_admin_only)
def delivery_redeliver(request: HttpRequest, message_id: int) -> HttpResponse:
    message = get_or_404(selectors.delivery_get, request.user, str(message_id))
    endpoint = message.endpoint
    try:
        copy = services.delivery_redeliver(request.user, message)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _after_action(request, endpoint)
    if copy.status == OutboxMessage.Status.DELIVERED:
        messages.success(request, _("Redelivered."))
    elif copy.status == OutboxMessage.Status.PENDING:
        messages.error(
            request, _("Redelivery failed: %(error)s; it will be retried.") % {"error": copy.last_error}
        )
    else:
        messages.error(request, _("Redelivery failed: %(error)s") % {"error": copy.last_error})
    return _after_action(request, endpoint)


@require_POST
@role_required(_admin_only)
def webhook_rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    secret = services.webhook_rotate_secret(request.user, endpoint)
    request.session[ONCE_SESSION_KEY] = {"id": endpoint.pk, "secret": secret}
    messages.success(request, _("New secret created; the old one no longer works."))
    return redirect_after_post(request, reverse("web:webhook", args=[endpoint.pk]))


@require_POST
@role_required(_admin_only)
def webhook_delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    services.webhook_delete(request.user, endpoint)
    messages.success(request, _("Webhook endpoint %(name)s deleted.") % {"name": endpoint.name})
    return redirect_after_post(request, reverse("web:webhooks"))
