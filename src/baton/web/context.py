from django.utils.translation import gettext_lazy as _

from baton import clock


def nav_items(user) -> list[dict]:
    """The top-navigation entries the user's roles need."""
    from baton.org.models import Role
    from baton.web.shortcuts import is_ae, is_manager, is_sdr

    admin = user.is_admin
    items = []
    if admin or is_sdr(user):
        items.append({"key": "queue", "url": "/queue/", "label": _("My queue")})
    if admin or is_sdr(user) or is_manager(user):
        items.append({"key": "pool", "url": "/pool/", "label": _("Public pool")})
    if admin or is_ae(user):
        items.append({"key": "inbox", "url": "/inbox/", "label": _("Inbox")})
    items.append({"key": "leads", "url": "/leads/", "label": _("Leads")})
    items.append({"key": "pipeline", "url": "/pipeline/", "label": _("Pipeline")})
    items.append({"key": "dashboard", "url": "/dashboard/", "label": _("Dashboard")})
    if admin or is_manager(user):
        items.append({"key": "qualification", "url": "/settings/qualification/", "label": _("Qualification")})
    if admin or is_manager(user):
        items.append({"key": "sla", "url": "/settings/sla/", "label": _("SLA")})
    if admin or is_manager(user):
        items.append({"key": "routing", "url": "/settings/routing/", "label": _("Routing")})
    if admin or user.has_role(Role.SDR_DIRECTOR):
        items.append({"key": "scoring", "url": "/settings/scoring/", "label": _("Scoring")})
    if admin:
        items.append({"key": "consent", "url": "/settings/consent/", "label": _("Do not contact")})
        items.append({"key": "enrichment", "url": "/settings/enrichment/", "label": _("Enrichment")})
        items.append({"key": "tags", "url": "/settings/tags/", "label": _("Tags")})
        items.append({"key": "webhooks", "url": "/settings/webhooks/", "label": _("Webhooks")})
    if admin and user.is_staff:
        items.append({"key": "settings", "url": "/admin/", "label": _("Settings")})
    return items


def baton_context(request):
    context = {"server_now": clock.now()}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    from baton.notifications.models import Notification

    context.update(
        unread_count=Notification.objects.filter(user=user, read_at=None).count(),
        roles=user.role_set(),
        nav=nav_items(user),
    )
    return context
