"""SLA engine records: business calendars, policies, and the clocks that measure each obligation."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from baton import localcache


class Calendar(models.Model):
    """A team's working time: zone, weekly hours, the country's public holidays and make-up days, and
    the org's own extra days off and extra working days. ``hours`` is ``{"mon": [["09:00", "18:00"]], …}``."""

    name = models.CharField(max_length=120, unique=True)
    zone = models.CharField(max_length=60, default="Asia/Shanghai")
    hours = models.JSONField(default=dict)
    holiday_country = models.CharField(
        max_length=8, blank=True, help_text="ISO country code, e.g. CN; blank: none"
    )
    holiday_subdivision = models.CharField(max_length=16, blank=True)
    extra_days_off = models.JSONField(default=list, blank=True, help_text="ISO dates")
    extra_working_days = models.JSONField(
        default=list, blank=True, help_text="ISO dates, worked on Monday's hours"
    )
    is_default = models.BooleanField(
        default=False, help_text="used for teams without a calendar of their own"
    )
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                               name="sla_one_default_calendar")]  # fmt: skip

    def __str__(self) -> str:
        return self.name


class TeamCalendar(models.Model):
    team = models.OneToOneField("org.Team", on_delete=models.CASCADE, related_name="sla_calendar")
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="teams")


class Policy(models.Model):
    """An obligation measured by clocks: which event starts and which stop it, the target, the
    reminders and what a breach does."""

    class Key(models.TextChoices):
        SPEED_TO_LEAD = "speed_to_lead", _("Speed to lead")
        ACCEPTANCE = "acceptance", _("Handoff acceptance")
        DIRECTOR_DISPATCH = "director_dispatch", _("Director dispatch")
        MANAGER_FEEDBACK = "manager_feedback", _("Manager feedback")

    key = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=120)
    start_event = models.CharField(max_length=40)
    stop_events = models.JSONField(default=list)
    target_seconds = models.PositiveIntegerField()
    business_time = models.BooleanField(default=True, help_text="counted in the team's working time")
    working_days = models.BooleanField(
        default=False,
        help_text="business time counts whole working days (48 h = two working days), not working hours",
    )
    reminders = models.JSONField(
        default=list, blank=True, help_text="fractions of the target, e.g. [0.5, 0.8]"
    )
    breach_actions = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The built-in policies' names in the reader's language; others as named."""
        return str(dict(self.Key.choices).get(self.key, self.name))


POLICIES_CACHE_KEY = "sla-policies"  # services.policies_active
localcache.invalidate_on_change(POLICIES_CACHE_KEY, Policy)


class Clock(models.Model):
    """One obligation of one person. ``due_at`` and ``remind_at`` are computed when the clock starts
    (or resumes), so the sweep finds breaches and reminders with two index range scans."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        MET = "met", _("Met")
        MISSED = "missed", _("Missed")
        CANCELLED = "cancelled", _("Cancelled")

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="clocks")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="sla_clocks")
    handoff = models.ForeignKey("handoffs.Handoff", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="sla_clocks")  # fmt: skip
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="sla_clocks", help_text="who is on the hook")  # fmt: skip
    calendar = models.ForeignKey(Calendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField()
    actionable_at = models.DateTimeField(null=True, blank=True, help_text="when the person could first act")
    due_at = models.DateTimeField()
    remind_at = models.DateTimeField(null=True, blank=True)
    reminders_left = models.JSONField(default=list, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.FloatField(default=0)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_event = models.CharField(max_length=40, blank=True)
    outcome = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            # The sweep's two look-ups: running clocks past due and not yet breached; reminders due.
            models.Index(fields=["due_at"], name="sla_clock_due_idx",
                         condition=Q(state="running", breached_at__isnull=True)),
            models.Index(fields=["remind_at"], name="sla_clock_remind_idx",
                         condition=Q(state="running", remind_at__isnull=False)),
            models.Index(fields=["lead", "policy", "state"]),
            models.Index(fields=["user", "policy", "stopped_at"]),
        ]  # fmt: skip


class Penalty(models.Model):
    """Spec §4.5: two acceptance misses in a row → no new MQLs for a month. Lifted by time; the sweep
    records when and tells the person."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sla_penalties")
    started_at = models.DateTimeField()
    until = models.DateTimeField()
    reason = models.TextField()
    clocks = models.JSONField(default=list, help_text="the missed clocks that caused it")
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["until"], name="sla_penalty_open_idx", condition=Q(lifted_at__isnull=True))
        ]
