from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from baton.qualification.models import CriterionState  # noqa: F401  (kept here for older imports)


class RejectReason(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    label_zh = models.CharField(max_length=120, blank=True)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class Handoff(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="handoffs")
    cycle = models.PositiveIntegerField()
    sdr = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handoffs_sent")
    ae = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handoffs_received"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    packet = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    due_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reject_reason = models.ForeignKey(RejectReason, null=True, blank=True, on_delete=models.PROTECT)
    reject_note = models.TextField(blank=True)
    nurture_until = models.DateField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    # Regional flow: the handoff first goes to the regional director (``ae`` is then the director), who
    # dispatches it to a rep; ``dispatcher`` keeps who did.
    awaiting_dispatch = models.BooleanField(default=False)
    dispatcher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handoffs_dispatched",
    )
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["ae", "status"]),
            models.Index(fields=["created_at"]),
            models.Index(fields=["decided_at"]),
            models.Index(fields=["lead", "cycle"]),
            models.Index(
                fields=["due_at"], name="handoff_open_due_idx", condition=models.Q(status="pending")
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"], condition=models.Q(status="pending"), name="one_pending_handoff_per_lead"
            )
        ]
