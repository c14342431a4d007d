from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    name = models.CharField(max_length=80)
    name_zh = models.CharField(max_length=80, blank=True)
    position = models.PositiveIntegerField()
    probability = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.OPEN)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Opportunity(models.Model):
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="opportunities")
    handoff = models.OneToOneField(
        "handoffs.Handoff", null=True, blank=True, on_delete=models.PROTECT, related_name="opportunity"
    )
    account = models.ForeignKey(
        "leads.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    contact = models.ForeignKey(
        "leads.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opportunities"
    )
    sdr = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sourced_opportunities",
    )
    name = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(db_index=True)
    expected_close = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lost_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "closed_at"])]


class StageChange(models.Model):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, null=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
