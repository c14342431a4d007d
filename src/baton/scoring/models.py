"""Versioned scoring models (ADR 0008): a model owns its rules and thresholds; one version is active.

Only a draft is edited; activating it retires the active version. Every score snapshot names the
version that computed it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baton.core import scoring as core
from baton.core.scoring import OPERATORS


def default_bands() -> list[dict]:
    return [b.as_dict() for b in core.DEFAULT_BANDS]


class ScoringModel(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    version = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=120)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    notes = models.TextField(blank=True)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Grade thresholds: fit points for A, B, C (else D); engagement points for 1, 2, 3 (else 4).
    fit_a = models.IntegerField(default=core.DEFAULT_GRADES.fit[0])
    fit_b = models.IntegerField(default=core.DEFAULT_GRADES.fit[1])
    fit_c = models.IntegerField(default=core.DEFAULT_GRADES.fit[2])
    engagement_1 = models.IntegerField(default=core.DEFAULT_GRADES.engagement[0])
    engagement_2 = models.IntegerField(default=core.DEFAULT_GRADES.engagement[1])
    engagement_3 = models.IntegerField(default=core.DEFAULT_GRADES.engagement[2])
    # Lifecycle thresholds, in order: [{"band", "fit", "engagement", "min_total"}]; the first met wins.
    bands = models.JSONField(default=default_bands)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    recomputed_at = models.DateTimeField(
        null=True, blank=True, help_text="when every lead was last rescored with this version"
    )

    class Meta:
        ordering = ["-version"]
        constraints = [
            # Exactly one active version (the data migration creates it; activation swaps in one
            # transaction), and at most one draft being edited.
            models.UniqueConstraint(fields=["status"], condition=Q(status="active"), name="scoring_one_active_model"),
            models.UniqueConstraint(fields=["status"], condition=Q(status="draft"), name="scoring_one_draft_model"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"v{self.version} {self.name}"

    def save(self, *args, **kwargs):
        from baton import localcache

        super().save(*args, **kwargs)
        localcache.invalidate("scoring-rules")

    @property
    def grades(self) -> core.Grades:
        return core.Grades(
            (self.fit_a, self.fit_b, self.fit_c), (self.engagement_1, self.engagement_2, self.engagement_3)
        )

    def band_rules(self) -> tuple[core.BandRule, ...]:
        return tuple(core.BandRule(**b) for b in self.bands or [])


class ScoringRule(models.Model):
    model = models.ForeignKey(ScoringModel, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=12, choices=[("fit", "fit"), ("engagement", "engagement")])
    field = models.CharField(max_length=60)
    op = models.CharField(max_length=10, choices=[(o, o) for o in OPERATORS])
    value = models.JSONField(default=str, blank=True)
    points = models.IntegerField()
    cap = models.IntegerField(null=True, blank=True)
    half_life_days = models.FloatField(
        null=True, blank=True, help_text="count rules: events lose half their weight every so many days"
    )
    label = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def save(self, *args, **kwargs):
        from baton import localcache

        super().save(*args, **kwargs)
        localcache.invalidate("scoring-rules")

    def delete(self, *args, **kwargs):
        from baton import localcache

        result = super().delete(*args, **kwargs)
        localcache.invalidate("scoring-rules")
        return result

    def as_rule(self) -> core.Rule:
        return core.Rule(self.kind, self.field, self.op, self.value, self.points, self.label, self.cap,
                         self.half_life_days)  # fmt: skip


def active_version() -> int | None:
    """The active model's version, for snapshots written without one (cached with the rules)."""
    from baton.scoring.services import rules_load

    return rules_load().version


class ScoreSnapshot(models.Model):
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="score_snapshots")
    computed_at = models.DateTimeField()
    fit = models.IntegerField()
    engagement = models.IntegerField()
    total = models.IntegerField()
    grade = models.CharField(max_length=2)
    factors = models.JSONField(default=list)
    trigger = models.CharField(max_length=40, blank=True)
    # The scoring model version that computed it. Writers pass it; one that does not (a bulk insert
    # naming only the older columns) gets the active version, read once per statement.
    model_version = models.PositiveIntegerField(null=True, blank=True, default=active_version)
    band = models.CharField(max_length=14, blank=True)

    class Meta:
        indexes = [models.Index(fields=["lead", "-computed_at"])]


class PredictiveModel(models.Model):
    """A predictive model trained on the team's own history (docs/scoring.md), or a refused training.

    Trained: the hold-out report (core ``predictive.evaluate``: ROC AUC, PR AUC, Brier, calibration, the
    naive-Bayes baseline) and the model trained on all the rows (core ``TrainedModel.dumps``). At most one
    active model per outcome. Refused (too little history, a single outcome, no usable field): no version,
    no model, the reason — the product keeps scoring with rules.
    """

    class Status(models.TextChoices):
        TRAINED = "trained", _("Trained (not active)")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")
        REFUSED = "refused", _("Refused")

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Handoff accepted")
        OPPORTUNITY = "opportunity", _("Opportunity created")
        WON = "won", _("Deal won")

    version = models.PositiveIntegerField(unique=True, null=True, blank=True, help_text="null when refused")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    as_of = models.DateTimeField(help_text="the history used: outcomes decided by this instant")
    trained_at = models.DateTimeField()
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rows = models.PositiveIntegerField(default=0, help_text="leads with a known outcome")
    positives = models.PositiveIntegerField(default=0)
    train_rows = models.PositiveIntegerField(default=0)
    test_rows = models.PositiveIntegerField(default=0)
    params = models.JSONField(default=dict, blank=True, help_text="window_days, holdout, seed")
    report = models.JSONField(default=dict, blank=True, help_text="the hold-out report of core.predictive")
    model_data = models.BinaryField(null=True, blank=True, editable=False)
    fingerprint = models.CharField(max_length=32, blank=True)
    sklearn_version = models.CharField(max_length=20, blank=True)
    fallback_code = models.CharField(max_length=40, blank=True)
    fallback_reason = models.TextField(blank=True, help_text="why training was refused")
    seconds = models.FloatField(default=0)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-trained_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["outcome"], condition=Q(status="active"), name="predictive_one_active_per_outcome"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.outcome}" if self.version else f"refused {self.outcome}"

    def save(self, *args, **kwargs):
        from baton import localcache

        super().save(*args, **kwargs)
        localcache.invalidate(f"predictive-active-{self.outcome}")
