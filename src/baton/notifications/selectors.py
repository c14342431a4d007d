from django.conf import settings
from django.db.models import Count, Max, Prefetch, Q, QuerySet

from baton.core.errors import NotAllowed, NotFound
from baton.notifications import messages
from baton.notifications.email import email_channel
from baton.notifications.models import (
    DeliveryAttempt,
    Notification,
    NotificationPreference,
    OutboxMessage,
    WebhookEndpoint,
)


def notifications_for(user, *, unread_only: bool = False, limit: int = 200) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at=None)
    return qs.order_by("-created_at", "-id")[:limit]


def notification_get(user, notification_id: int) -> Notification | None:
    return Notification.objects.filter(user=user, pk=notification_id).first()


def email_groups_of(user) -> list[str]:
    row = NotificationPreference.objects.filter(user=user).first()
    return list(row.email_groups) if row is not None else list(messages.EMAIL_DEFAULT_GROUPS)


def preferences_get(user) -> dict:
    """A user's notification preferences, with the state of the e-mail channel."""
    channel = email_channel()
    codes = [code for code, _name in settings.LANGUAGES]
    return {
        "email_groups": email_groups_of(user),
        "language": user.language if user.language in codes else "",
        "email_address": user.email,
        "email_available": channel.enabled,
        "email_status": channel.detail,
    }


def _check_admin(user) -> None:
    if not user.is_admin:
        raise NotAllowed("only admins (sales ops) may see webhooks")


def webhooks_list(user) -> list[WebhookEndpoint]:
    _check_admin(user)
    return list(WebhookEndpoint.objects.order_by("name", "id"))


def webhook_get(user, endpoint_id: int) -> WebhookEndpoint:
    _check_admin(user)
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(f"no webhook endpoint with id {endpoint_id}")
    return endpoint


def deliveries_for(
    user, endpoint: WebhookEndpoint, *, status: str | None = None, limit: int = 50
) -> list[OutboxMessage]:
    """The endpoint's latest deliveries, newest first, each with its attempts (two queries)."""
    _check_admin(user)
    qs = OutboxMessage.objects.filter(endpoint=endpoint)
    if status:
        qs = qs.filter(status=status)
    attempts = Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("number", "id"))
    rows = list(qs.order_by("-created_at", "-id").prefetch_related(attempts)[:limit])
    for m in rows:
        m.log = list(m.attempt_log.all())  # the prefetched attempts, as a list (templates take |last)
    return rows


def delivery_get(user, delivery_id: str) -> OutboxMessage:
    """A webhook delivery by its id (the X-Baton-Delivery value) or its number."""
    _check_admin(user)
    qs = OutboxMessage.objects.filter(channel=OutboxMessage.Channel.WEBHOOK)
    message = (
        qs.filter(pk=int(delivery_id)).first()
        if str(delivery_id).isdigit()
        else qs.filter(delivery_id=delivery_id).first()
    )
    if message is None:
        raise NotFound(f"no webhook delivery {delivery_id}")
    return message


def endpoint_stats(endpoints: list[WebhookEndpoint]) -> dict[int, dict]:
    """Per endpoint: its latest delivery, and how many deliveries are pending and failed (two queries)."""
    if not endpoints:
        return {}
    rows = (
        OutboxMessage.objects.filter(endpoint__in=endpoints)
        .values("endpoint_id")
        .annotate(
            last_id=Max("id"),
            pending=Count("id", filter=Q(status=OutboxMessage.Status.PENDING)),
            failed=Count("id", filter=Q(status=OutboxMessage.Status.FAILED)),
        )
    )
    stats = {
        r["endpoint_id"]: {"pending": r["pending"], "failed": r["failed"], "last_id": r["last_id"]}
        for r in rows
    }
    last = OutboxMessage.objects.in_bulk([s["last_id"] for s in stats.values()])
    return {
        e.pk: {
            "last": last.get(stats.get(e.pk, {}).get("last_id")),
            "pending": stats.get(e.pk, {}).get("pending", 0),
            "failed": stats.get(e.pk, {}).get("failed", 0),
        }
        for e in endpoints
    }
