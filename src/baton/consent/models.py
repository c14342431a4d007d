"""Consent records. History is append-only: a person's current state per channel is their latest record."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baton.core import consent as rules


class Channel(models.TextChoices):
    EMAIL = rules.EMAIL, _("E-mail")
    CALL = rules.CALL, _("Call")
    MESSAGE = rules.MESSAGE, _("Message (SMS, WeChat)")
    ALL = rules.ALL, _("All channels")


class ConsentState(models.TextChoices):
    OPTED_IN = rules.OPTED_IN, _("Opted in")
    OPTED_OUT = rules.OPTED_OUT, _("Opted out")
    UNKNOWN = rules.UNKNOWN, _("Unknown")


class ConsentSource(models.TextChoices):
    FORM = "form", _("Web form")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    UNSUBSCRIBE_LINK = "unsubscribe_link", _("Unsubscribe link")
    MANUAL = "manual", _("Entered by hand")


class ContactPreference(models.Model):
    """One statement of a person about a channel, identified by normalised e-mail and/or E.164 phone.

    E-mail addresses are stored lower-cased (the whole address), so an opt-out is never missed
    because of letter case. Rows are never updated or deleted.
    """

    email = models.CharField(max_length=254, blank=True, db_index=True)
    phone = models.CharField(max_length=32, blank=True, db_index=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    state = models.CharField(max_length=10, choices=ConsentState.choices)
    source = models.CharField(max_length=20, choices=ConsentSource.choices)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(email="") | ~Q(phone=""), name="consent_pref_has_identity"),
        ]

    def as_rule(self) -> rules.Preference:
        return rules.Preference(self.channel, self.state, self.recorded_at, self.pk or 0, self.source)


class DomainSuppression(models.Model):
    """Do not contact anyone whose e-mail is at ``domain`` (or a subdomain of it), on any channel.

    Removing a suppression keeps the row (``active`` False, with who and when), so the history stays.
    """

    domain = models.CharField(max_length=253)
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    active = models.BooleanField(default=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["domain"], condition=Q(active=True), name="consent_one_active_suppression"
            ),
        ]
        indexes = [models.Index(fields=["domain", "created_at"])]

    def __str__(self) -> str:
        return self.domain


class ConsentSettings(models.Model):
    """One row: the channels on which the organisation requires an explicit opt-in before contact."""

    opt_in_required_email = models.BooleanField(
        default=False, verbose_name=_("E-mail needs an opt-in"), help_text=_("Otherwise: legitimate interest")
    )
    opt_in_required_call = models.BooleanField(
        default=False, verbose_name=_("Calls need an opt-in"), help_text=_("Otherwise: legitimate interest")
    )
    opt_in_required_message = models.BooleanField(
        default=False,
        verbose_name=_("Messages need an opt-in"),
        help_text=_("Otherwise: legitimate interest"),
    )

    class Meta:
        verbose_name = _("consent settings")
        verbose_name_plural = _("consent settings")

    @classmethod
    def get(cls) -> "ConsentSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj

    def opt_in_required(self) -> frozenset[str]:
        return frozenset(c for c in rules.SEND_CHANNELS if getattr(self, f"opt_in_required_{c}"))
