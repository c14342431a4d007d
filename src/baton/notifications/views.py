"""The notification list: messages rendered at display time so they follow the reader's language."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from baton.notifications.messages import render as render_message
from baton.notifications.selectors import notification_get, notifications_for
from baton.notifications.services import notifications_mark_read
from baton.web.shortcuts import redirect_after_post


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
