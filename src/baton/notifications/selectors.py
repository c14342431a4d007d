from django.db.models import QuerySet

from baton.notifications.models import Notification


def notifications_for(user, *, unread_only: bool = False, limit: int = 200) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at=None)
    return qs.order_by("-created_at", "-id")[:limit]


def notification_get(user, notification_id: int) -> Notification | None:
    return Notification.objects.filter(user=user, pk=notification_id).first()
