from django.db import models

from baton.core.scoring import OPERATORS


class ScoringRule(models.Model):
    kind = models.CharField(max_length=12, choices=[("fit", "fit"), ("engagement", "engagement")])
    field = models.CharField(max_length=60)
    op = models.CharField(max_length=10, choices=[(o, o) for o in OPERATORS])
    value = models.JSONField(default=str, blank=True)
    points = models.IntegerField()
    cap = models.IntegerField(null=True, blank=True)
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


class ScoreSnapshot(models.Model):
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="score_snapshots")
    computed_at = models.DateTimeField()
    fit = models.IntegerField()
    engagement = models.IntegerField()
    total = models.IntegerField()
    grade = models.CharField(max_length=2)
    factors = models.JSONField(default=list)
    trigger = models.CharField(max_length=40, blank=True)

    class Meta:
        indexes = [models.Index(fields=["lead", "-computed_at"])]
