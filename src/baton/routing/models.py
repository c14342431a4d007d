from django.conf import settings
from django.db import models


class RoutingPool(models.Model):
    """A round-robin pool (e.g. inbound SDRs, the AEs of a region). Its row is the lock."""

    key = models.CharField(max_length=80, unique=True)
    seq = models.PositiveBigIntegerField(default=0)


class RoutingTally(models.Model):
    pool = models.ForeignKey(RoutingPool, on_delete=models.CASCADE, related_name="tallies")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField(default=0)
    last_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pool", "user"], name="uniq_pool_user")]


class RoutingDecision(models.Model):
    class Kind(models.TextChoices):
        LEAD = "lead", "lead to SDR"
        HANDOFF = "handoff", "handoff to AE"

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="routing_decisions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    pool = models.CharField(max_length=80)
    chosen = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    explanation = models.JSONField(default=dict)
    decided_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["lead", "decided_at"])]
