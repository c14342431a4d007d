def baton_context(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from baton.notifications.models import Notification

    return {
        "unread_count": Notification.objects.filter(user=user, read_at=None).count(),
        "roles": user.role_set(),
    }
