"""Behaviour events: what a lead did (signed up, came to an event, downloaded, opened, clicked, visited).

Rows are written in bulk by ``services.behaviour_record`` and never changed. ``external_id`` (the id the
reporting system gave the event) makes a replayed batch create nothing: it is unique per lead and kind.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baton.core import behaviour as rules
from baton.leads.models import Lead


class BehaviourKind(models.TextChoices):
    SIGNUP = rules.SIGNUP, _("Signup")
    EVENT_REGISTRATION = rules.EVENT_REGISTRATION, _("Event registration")
    EVENT_ATTENDANCE = rules.EVENT_ATTENDANCE, _("Event attendance")
    CONTENT_DOWNLOAD = rules.CONTENT_DOWNLOAD, _("Content download")
    EMAIL_OPEN = rules.EMAIL_OPEN, _("E-mail open")
    EMAIL_CLICK = rules.EMAIL_CLICK, _("E-mail click")
    PAGE_VISIT = rules.PAGE_VISIT, _("Page visit")


class BehaviourEvent(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="behaviour_events")
    kind = models.CharField(max_length=24, choices=BehaviourKind.choices)
    occurred_at = models.DateTimeField(help_text="when the lead did it")
    received_at = models.DateTimeField(help_text="when Baton recorded it")
    channel = models.CharField(
        max_length=rules.CHANNEL_MAX,
        blank=True,
        help_text="where: the signup channel, 'wechat', 'website', …",
    )
    source = models.CharField(max_length=60, blank=True, help_text="the system that reported it, e.g. 'api'")
    title = models.CharField(max_length=rules.DETAIL_MAX["title"], blank=True)
    url = models.CharField(max_length=rules.DETAIL_MAX["url"], blank=True)
    campaign = models.CharField(max_length=rules.DETAIL_MAX["campaign"], blank=True)
    data = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(
        max_length=rules.EXTERNAL_ID_MAX, blank=True, help_text="the reporting system's id (idempotency)"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "kind", "external_id"],
                condition=~Q(external_id=""),
                name="behaviour_unique_external_id",
            ),
        ]
        indexes = [
            models.Index(fields=["lead", "kind", "occurred_at"]),
            models.Index(fields=["kind", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.title or self.url or self.campaign or self.channel}"

    @property
    def detail(self) -> dict:
        return {k: getattr(self, k) for k in rules.DETAIL_KEYS if getattr(self, k)}
