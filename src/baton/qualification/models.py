"""Qualification frameworks (editable templates), per-lead answers (append-only) and handoff gates.

See ``core/qualification.py`` for the rules and ``docs/adr/0007-qualification-frameworks.md`` for why
answers are append-only.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from baton.core import qualification as rules


class CriterionState(models.TextChoices):
    MET = rules.MET, _("Met")
    NOT_MET = rules.NOT_MET, _("Not met")
    UNKNOWN = rules.UNKNOWN, _("Unknown")


class Framework(models.Model):
    """A qualification template: BANT, CHAMP, MEDDIC, the profile checklist, or one the ops team adds."""

    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    name_zh = models.CharField(max_length=120, blank=True)
    description = models.TextField(blank=True)
    description_zh = models.TextField(blank=True)
    builtin = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Criterion(models.Model):
    """One question of a framework. Never deleted once answered: deactivated instead (PROTECT)."""

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="criteria")
    key = models.SlugField(max_length=40)
    label = models.CharField(max_length=120)
    label_zh = models.CharField(max_length=120, blank=True)
    description = models.TextField(blank=True)
    description_zh = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["framework", "key"], name="uniq_framework_criterion")]

    def __str__(self) -> str:
        return self.label


class CriterionAnswer(models.Model):
    """Append-only: each change of a lead's criterion is a new row; the latest (set_at, id) wins."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="criterion_answers")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="answers")
    state = models.CharField(max_length=8, choices=CriterionState.choices)
    note = models.TextField(blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["lead", "criterion", "set_at"])]


class GateRule(models.Model):
    """One rule of a team's handoff gate (all of a team's rules must pass). team NULL: the default gate."""

    class Kind(models.TextChoices):
        AT_LEAST = rules.AT_LEAST, _("At least N met")
        MORE_THAN = rules.MORE_THAN, _("More than a fraction met")

    team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="gate_rules"
    )
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="gate_rules")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    count = models.PositiveSmallIntegerField(default=0)
    numerator = models.PositiveSmallIntegerField(default=0)
    denominator = models.PositiveSmallIntegerField(default=1)
    position = models.PositiveSmallIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["team", "position"])]

    def as_rule(self, framework_key: str) -> rules.GateRule:
        return rules.GateRule(framework_key, self.kind, self.count, self.numerator, self.denominator)
