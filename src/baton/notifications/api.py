from datetime import datetime

from ninja import Router, Schema

from baton.notifications.messages import render
from baton.notifications.models import Notification
from baton.notifications.services import notifications_mark_read

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    verb: str
    message: str
    link: str
    lead_id: int | None
    created_at: datetime
    read: bool


@router.get("", response=list[NotificationOut])
def list_notifications(request, unread_only: bool = False, limit: int = 50):
    qs = Notification.objects.filter(user=request.auth).order_by("-created_at", "-id")
    if unread_only:
        qs = qs.filter(read_at=None)
    return [{"id": n.pk, "verb": n.verb, "message": render(n.verb, n.params), "link": n.link, "lead_id": n.lead_id,
             "created_at": n.created_at, "read": n.read_at is not None} for n in qs[: min(max(limit, 1), 200)]]  # fmt: skip


@router.post("/read", summary="Mark all your notifications read")
def mark_read(request):
    return {"marked": notifications_mark_read(request.auth)}
