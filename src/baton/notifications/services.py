from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from baton import clock
from baton.dbutil import rows_insert
from baton.notifications.models import Notification


@dataclass(frozen=True, slots=True)
class NotificationRequest:
    user: object  # a User or a user id
    verb: str
    params: dict
    link: str = ""
    lead: object = None
    at: datetime | None = None


def _row(req: NotificationRequest, now: datetime) -> Notification:
    user_field = {"user_id": req.user} if isinstance(req.user, int) else {"user": req.user}
    return Notification(
        **user_field, verb=req.verb, params=req.params, link=req.link, lead=req.lead, created_at=req.at or now
    )


def notifications_send(requests: Sequence[NotificationRequest]) -> list[Notification]:
    """Store many in-app notifications with one insert."""
    now = clock.now()
    return rows_insert(Notification, [_row(r, now) for r in requests]) if requests else []


def notification_send(
    user, verb: str, params: dict, *, link: str = "", lead=None, at: datetime | None = None
) -> Notification:
    return notifications_send([NotificationRequest(user, verb, params, link, lead, at)])[0]


def notifications_mark_read(user, ids: list[int] | None = None, *, seen_up_to: datetime | None = None) -> int:
    """Mark a user's unread notifications read: the given ones, or all (created up to ``seen_up_to``)."""
    qs = Notification.objects.filter(user=user, read_at=None)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    if seen_up_to is not None:
        qs = qs.filter(created_at__lte=seen_up_to)
    return qs.update(read_at=clock.now())
