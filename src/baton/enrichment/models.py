"""Enrichment requests (one per look-up of a lead's company), the settings, and the facts Account has no field for."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baton.core import enrichment as rules

SETTINGS_CACHE_KEY = "enrichment-settings"
TIMEOUT_MAX_SECONDS = 86400


class EnrichmentSettings(models.Model):
    """One row: whether captured leads are enriched, and whether routing waits for it (and how long)."""

    enabled = models.BooleanField(
        default=True,
        verbose_name=_("Enrich new leads"),
        help_text=_("Look up the company of every captured lead with the configured provider"),
    )
    wait_before_routing = models.BooleanField(
        default=True,
        verbose_name=_("Routing waits for enrichment"),
        help_text=_("A lead is scored and routed once its company is looked up, or when the timeout passes"),
    )
    timeout_seconds = models.PositiveIntegerField(
        default=120,
        validators=[MinValueValidator(1), MaxValueValidator(TIMEOUT_MAX_SECONDS)],
        verbose_name=_("Timeout (seconds)"),
        help_text=_("The longest a lead waits for an answer before it is routed without one"),
    )

    class Meta:
        verbose_name = _("enrichment settings")
        verbose_name_plural = _("enrichment settings")

    def save(self, *args, **kwargs):
        from baton import localcache

        super().save(*args, **kwargs)
        localcache.invalidate(SETTINGS_CACHE_KEY)

    @classmethod
    def get(cls) -> "EnrichmentSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class EnrichmentRequest(models.Model):
    """One look-up of a lead's company: asked when, answered when, and what it filled.

    ``waited`` is True when routing held the lead for this request: the time from ``requested_at``
    to ``finished_at`` is then system time before the lead reached a rep (``selectors.enrichment_delays``).
    """

    class Status(models.TextChoices):
        PENDING = rules.PENDING, _("Waiting for the provider")
        ENRICHED = rules.ENRICHED, _("Enriched")
        NOT_FOUND = rules.NOT_FOUND, _("Not found")
        FAILED = rules.FAILED, _("Failed")
        TIMED_OUT = rules.TIMED_OUT, _("Timed out")

    class Trigger(models.TextChoices):
        CAPTURE = "capture", _("On capture")
        MANUAL = "manual", _("Run again by hand")

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="enrichment_requests")
    account = models.ForeignKey(
        "leads.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider = models.CharField(max_length=40)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.CAPTURE)
    waited = models.BooleanField(default=False, help_text="routing held the lead for this request")
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    key_domain = models.CharField(max_length=200, blank=True, help_text="the domain looked up")
    key_name = models.CharField(max_length=200, blank=True, help_text="the normalised company name looked up")
    matched_by = models.CharField(max_length=10, blank=True, help_text="domain or name")
    found = models.JSONField(default=dict, blank=True, help_text="the facts the provider gave")
    changes = models.JSONField(default=list, blank=True, help_text="what was filled, and what was kept")
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["lead", "requested_at"]),
            models.Index(fields=["requested_at"]),
            models.Index(
                fields=["requested_at"], name="enrichment_pending_idx", condition=Q(status=rules.PENDING)
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"], condition=Q(status=rules.PENDING), name="enrichment_one_pending_per_lead"
            ),
        ]

    @property
    def finished(self) -> bool:
        return self.status in rules.FINISHED

    def filled(self) -> list[dict]:
        return [c for c in self.changes if c.get("action") == rules.FILL]

    def kept(self) -> list[dict]:
        return [c for c in self.changes if c.get("action") == rules.KEEP]


class AccountProfile(models.Model):
    """The company facts Account has no column for (registered capital, funding round)."""

    account = models.OneToOneField(
        "leads.Account", on_delete=models.CASCADE, related_name="enrichment_profile"
    )
    registered_capital = models.DecimalField(
        max_digits=20, decimal_places=2, null=True, blank=True, help_text="CNY"
    )
    funding_round = models.CharField(max_length=rules.MAX_LENGTHS["funding_round"], blank=True)
    source = models.CharField(max_length=200, blank=True)
    as_of = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField()
