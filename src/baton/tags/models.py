"""Tags on leads: manual ones (added by people) and automatic ones (kept in step with tag rules)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from baton import localcache
from baton.leads.models import Lead

# Background and text colours of a tag's badge: CSS variables of the UI's palette.
COLOUR_STYLES = {
    "gray": "background: var(--gray-bg); color: var(--text-2)",
    "blue": "background: var(--blue-bg); color: var(--blue)",
    "green": "background: var(--green-bg); color: var(--green)",
    "amber": "background: var(--amber-bg); color: var(--amber)",
    "red": "background: var(--red-bg); color: var(--red)",
    "violet": "background: var(--violet-bg); color: var(--violet)",
}


def tag_key(name: str) -> str:
    """The matching key of a tag name: case-folded, inner whitespace collapsed ("VIP  list" = "vip list")."""
    return " ".join(name.split()).casefold()


class Tag(models.Model):
    class Kind(models.TextChoices):
        MANUAL = "manual", _("Manual")
        AUTO = "auto", _("Automatic (rules)")

    class Colour(models.TextChoices):
        GRAY = "gray", _("Gray")
        BLUE = "blue", _("Blue")
        GREEN = "green", _("Green")
        AMBER = "amber", _("Amber")
        RED = "red", _("Red")
        VIOLET = "violet", _("Violet")

    name = models.CharField(max_length=60)
    key = models.CharField(max_length=60, unique=True, help_text="the name case-folded: names are unique")
    colour = models.CharField(max_length=10, choices=Colour.choices, default=Colour.GRAY)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MANUAL)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.name

    @property
    def style(self) -> str:
        return COLOUR_STYLES.get(self.colour, COLOUR_STYLES["gray"])


class TagRule(models.Model):
    """Leads meeting ``condition`` (``core/tagging.py``) carry ``tag``; rules run in ``position`` order."""

    name = models.CharField(max_length=120, unique=True)
    active = models.BooleanField(default=True)
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="rules")
    condition = models.JSONField()
    position = models.IntegerField(default=0)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


RULES_ACTIVE_CACHE_KEY = "tags.rules-active"  # services.rules_active
localcache.invalidate_on_change(RULES_ACTIVE_CACHE_KEY, TagRule)


class LeadTag(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", _("Added by hand")
        RULE = "rule", _("Set by a rule")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="lead_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="lead_tags")
    source = models.CharField(max_length=10, choices=Source.choices)
    rule = models.ForeignKey(TagRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=1000, blank=True, help_text="for rule tags: why the rule matched")
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lead", "tag"], name="tags_unique_lead_tag")]
        indexes = [models.Index(fields=["tag", "lead"])]
