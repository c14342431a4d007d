from datetime import datetime

from baton import clock
from baton.notifications.models import Notification


def notification_send(
    user, verb: str, params: dict, *, link: str = "", lead=None, at: datetime | None = None
) -> Notification:
    user_field = {"user_id": user} if isinstance(user, int) else {"user": user}
    return Notification.objects.create(
        **user_field, verb=verb, params=params, link=link, lead=lead, created_at=at or clock.now()
    )


def notifications_mark_read(user, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at=None)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=clock.now())
