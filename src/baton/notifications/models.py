from django.conf import settings
from django.db import models


class Notification(models.Model):
    """In-app notification. ``verb`` names a translatable message; ``params`` fill it at display time."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    verb = models.CharField(max_length=40)
    params = models.JSONField(default=dict)
    link = models.CharField(max_length=200, blank=True)
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]
