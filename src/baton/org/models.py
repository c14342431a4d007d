import hashlib
import secrets
from zoneinfo import available_timezones

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from baton import localcache


class Role(models.TextChoices):
    SDR_INBOUND = "sdr_inbound", _("SDR (inbound)")
    SDR_OUTBOUND = "sdr_outbound", _("SDR (outbound)")
    BDR = "bdr", _("BDR")
    AE = "ae", _("Account executive")
    AM = "am", _("Account manager")
    SALES_DIRECTOR = "sales_director", _("Sales director")
    SALES_VP = "sales_vp", _("Sales VP")
    SDR_DIRECTOR = "sdr_director", _("SDR director")
    MARKETER = "marketer", _("Marketer")
    OPS_ADMIN = "ops_admin", _("Sales ops / admin")


SDR_ROLES = (Role.SDR_INBOUND, Role.SDR_OUTBOUND, Role.BDR)
MANAGER_ROLES = (Role.SALES_DIRECTOR, Role.SALES_VP, Role.SDR_DIRECTOR)


class Team(models.Model):
    class Kind(models.TextChoices):
        SDR_INBOUND = "sdr_inbound", _("Inbound SDR")
        SDR_OUTBOUND = "sdr_outbound", _("Outbound SDR / BDR")
        SALES = "sales", _("Sales (AE)")
        ACCOUNT_MANAGEMENT = "am", _("Account management")
        MARKETING = "marketing", _("Marketing")
        OPS = "ops", _("Sales ops")
        LEADERSHIP = "leadership", _("Leadership")

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    region = models.CharField(max_length=60, blank=True)
    timezone = models.CharField(max_length=60, default="UTC")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    display_name = models.CharField(max_length=120, blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    timezone = models.CharField(max_length=60, blank=True, help_text="empty: the team's time zone")
    language = models.CharField(max_length=10, blank=True)
    out_of_office = models.BooleanField(default=False)
    suspended_until = models.DateTimeField(null=True, blank=True, help_text="SLA penalty: no MQLs until then")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def label(self) -> str:
        return self.display_name or self.username

    def role_set(self) -> set[str]:
        cached = getattr(self, "_role_cache", None)
        if cached is None:
            cached = set(self.roles.values_list("role", flat=True))
            self._role_cache = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set() & set(roles))

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.has_role(Role.OPS_ADMIN)

    @property
    def effective_timezone(self) -> str:
        if self.timezone:
            return self.timezone
        if self.team_id:
            return self.team.timezone
        return "UTC"


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="uniq_user_role")]
        indexes = [models.Index(fields=["role", "user"])]


class ApiToken(models.Model):
    """A per-user API token. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, default="cli")
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def make_secret() -> str:
        return "bt_" + secrets.token_urlsafe(32)

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()


class Leave(models.Model):
    """A rep away for a while (holiday, sick leave, training): routing skips them in [starts_at, ends_at)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="leaves")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["user", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="leave_ends_after_start"
            )
        ]


class EligibleListEntry(models.Model):
    """This month's list of reps who may receive MQLs, set by sales ops from attainment (spec §4.1).

    A month with no entries has no list: everybody otherwise eligible receives MQLs."""

    month = models.CharField(max_length=7, help_text="YYYY-MM in the organisation's time zone")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="eligible_months")
    added_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "user"], name="uniq_eligible_month_user")]


class OrgSettings(models.Model):
    """One row: organisation-wide settings."""

    name = models.CharField(max_length=120, default="Baton")
    timezone = models.CharField(max_length=60, default="UTC")
    currency = models.CharField(max_length=3, default="CNY")
    default_phone_region = models.CharField(max_length=2, default="CN")
    acceptance_sla_hours = models.PositiveSmallIntegerField(default=48)
    pool_claims_per_day = models.PositiveSmallIntegerField(
        default=20, help_text="how many leads an SDR may claim from the public pool in 24 hours (0: no limit)"
    )
    pool_recycle_days = models.PositiveSmallIntegerField(
        default=14,
        help_text="an owned new/working lead with no touch for this many days returns to the pool (0: never)",
    )

    @classmethod
    def get(cls) -> "OrgSettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj

    @classmethod
    def cached(cls) -> "OrgSettings":
        """The row, kept a few seconds per process (``localcache``), for paths that read it on every
        request (capture). Shared between threads: read it, never change it."""
        return localcache.get(ORG_SETTINGS_CACHE_KEY, cls.get)


ORG_SETTINGS_CACHE_KEY = "org-settings"


class AuditLog(models.Model):
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40)
    data = models.JSONField(default=dict)


def valid_timezone(name: str) -> bool:
    return name in available_timezones()


localcache.invalidate_on_change(ORG_SETTINGS_CACHE_KEY, OrgSettings)
localcache.invalidate_on_change("org-timezone", OrgSettings)  # the routing's copy of the time zone
