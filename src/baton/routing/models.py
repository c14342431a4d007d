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
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    rule = models.CharField(max_length=80, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["lead", "decided_at"]),
            models.Index(fields=["chosen", "decided_at"]),
            models.Index(fields=["decided_at"], name="routing_failed_idx", condition=models.Q(chosen=None)),
        ]


class RoutingPolicy(models.Model):
    """A versioned routing policy (ordered rules → destination + strategy, and a fallback).

    Drafts are edited and replayed; activating one retires the previous active version of its kind.
    Tallies belong to pools (destinations), not to versions, so a new version keeps the fairness state.
    """

    class Kind(models.TextChoices):
        LEAD = "lead", "inbound lead to SDR"
        HANDOFF = "handoff", "handoff to AE"

    class State(models.TextChoices):
        DRAFT = "draft", "draft"
        ACTIVE = "active", "active"
        RETIRED = "retired", "retired"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    version = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    definition = models.JSONField(default=dict)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="routing_policy_version"),
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(state="active"), name="routing_one_active_policy"
            ),
        ]


class Territory(models.Model):
    """A territory: the regions (and optionally cities and industries) one rep owns."""

    name = models.CharField(max_length=120, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="territories")
    regions = models.JSONField(default=list, blank=True)
    cities = models.JSONField(default=list, blank=True)
    industries = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
