from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from baton.core.lifecycle import LeadStatus


class Source(models.TextChoices):
    """Inbound channels named in the spec (§4.2), plus outbound lists and partners."""

    SEO = "seo", _("SEO")
    SEM = "sem", _("SEM")
    HOTLINE = "hotline", _("Phone hotline")
    CHAT = "chat", _("Website chat")
    TRIAL = "trial_signup", _("Website trial / signup")
    SOCIAL_ADS = "social_ads", _("Social ads")
    WEBINAR_LEARNING = "webinar_learning", _("Webinar (learning)")
    WEBINAR_ACCELERATION = "webinar_acceleration", _("Webinar (acceleration)")
    EVENT_SUMMIT = "event_summit", _("Event: own summit")
    EVENT_SALON = "event_salon", _("Event: salon")
    EVENT_COHOSTED = "event_cohosted", _("Event: co-hosted")
    EVENT_SPONSORED = "event_sponsored", _("Event: sponsored")
    CASE_STUDY = "content_case_study", _("Content: case study")
    SURVEY = "content_survey", _("Content: survey")
    WHITEPAPER = "content_whitepaper", _("Content: white paper")
    VIDEO = "content_video", _("Content: short video")
    OUTBOUND_LIST = "outbound_list", _("Outbound list")
    PARTNER = "partner", _("Partner")
    OTHER = "other", _("Other")


class Account(models.Model):
    name = models.CharField(max_length=200)
    name_key = models.CharField(max_length=200, db_index=True, help_text="normalised name for matching")
    domain = models.CharField(max_length=200, blank=True, db_index=True)
    # First and last characters of name_key: the blocks fuzzy account matching looks candidates up in.
    name_head = models.CharField(max_length=8, blank=True, db_index=True)
    name_tail = models.CharField(max_length=8, blank=True, db_index=True)
    industry = models.CharField(max_length=80, blank=True)
    city = models.CharField(max_length=80, blank=True)
    region = models.CharField(max_length=60, blank=True)
    headcount = models.PositiveIntegerField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254, blank=True, db_index=True)
    phone = models.CharField(max_length=32, blank=True)
    title = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()


class Seniority(models.TextChoices):
    """The levels of core.normalize.seniority (same codes, same order)."""

    C_LEVEL = "c_level", _("C-level")
    VP = "vp", _("VP")
    DIRECTOR = "director", _("Director")
    MANAGER = "manager", _("Manager")
    SENIOR = "senior", _("Senior")
    INDIVIDUAL = "individual", _("Individual contributor")
    STUDENT = "student", _("Student / intern")
    UNKNOWN = "unknown", _("Unknown")


class ScoreBand(models.TextChoices):
    """The lifecycle bands of core.scoring (same codes), from cold to hot."""

    NURTURE = "nurture", _("Nurture")
    SDR_QUEUE = "sdr_queue", _("SDR queue")
    HANDOFF_READY = "handoff_ready", _("Handoff-ready")


class Lead(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254, blank=True, db_index=True)
    phone = models.CharField(max_length=32, blank=True, db_index=True, help_text="E.164")
    company = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200, blank=True)
    seniority = models.CharField(
        max_length=12, blank=True, choices=Seniority.choices, help_text="derived from the title (EN and 中文)"
    )
    industry = models.CharField(max_length=80, blank=True)
    company_size = models.PositiveIntegerField(null=True, blank=True)
    city = models.CharField(max_length=80, blank=True)
    region = models.CharField(max_length=60, blank=True)
    website_domain = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=30, choices=Source.choices, default=Source.OTHER)
    source_detail = models.CharField(max_length=200, blank=True)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.INBOUND)
    notes = models.TextField(blank=True)
    external_id = models.CharField(
        max_length=200,
        blank=True,
        db_index=True,
        help_text="the lead's id in the system it was imported from",
    )
    extra = models.JSONField(default=dict, blank=True, help_text="imported columns Baton has no field for")
    account_match = models.JSONField(
        default=dict, blank=True, help_text="how the account was matched: method, score, reasons"
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_leads",
        help_text="set when this lead was a duplicate merged into another (the survivor)",
    )

    status = models.CharField(
        max_length=14, choices=[(s.value, s.value) for s in LeadStatus], default=LeadStatus.NEW
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_leads"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    cycle = models.PositiveIntegerField(default=1)
    mql_in_cycle = models.BooleanField(default=False)
    nurture_until = models.DateField(null=True, blank=True)
    disqualified_reason = models.CharField(max_length=200, blank=True)

    score = models.IntegerField(default=0)
    fit_score = models.IntegerField(default=0)
    engagement_score = models.IntegerField(default=0)
    grade = models.CharField(max_length=2, blank=True)
    # Set with the score (scoring.services): the lifecycle band the active model's thresholds give
    # (nurture / sdr_queue / handoff_ready; blank: not scored by a versioned model yet), the version,
    # and when decay may next change the score (null: it cannot): the worker's sweep rescores due leads.
    score_band = models.CharField(max_length=14, blank=True, choices=ScoreBand.choices)
    score_version = models.PositiveIntegerField(null=True, blank=True)
    score_due_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(db_index=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    owned_since = models.DateTimeField(null=True, blank=True, help_text="when the current owner got the lead")
    first_touch_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["status", "-score"]),
            models.Index(
                fields=["routed_at"], name="lead_unrouted_idx", condition=models.Q(routed_at__isnull=True)
            ),
            # The sweep's look-ups (scoring.services.scores_refresh): leads whose decayed score is due,
            # and leads scored by another model version (or never by a versioned one).
            models.Index(
                fields=["score_due_at"],
                name="lead_score_due_idx",
                condition=models.Q(score_due_at__isnull=False),
            ),
            models.Index(fields=["score_version"], name="lead_score_version_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name


class LeadEvent(models.Model):
    """Append-only history of a lead: every transition, touch, score, routing and handoff step."""

    class Kind(models.TextChoices):
        CAPTURED = "captured", _("Captured")
        STATUS = "status", _("Status changed")
        SCORED = "scored", _("Scored")
        ROUTED = "routed", _("Routed")
        ROUTING_FAILED = "routing_failed", _("Routing found nobody")
        TOUCH = "touch", _("Touch")
        QUALIFIED = "qualified", _("Qualification updated")
        HANDOFF = "handoff", _("Handed off")
        HANDOFF_ACCEPTED = "handoff_accepted", _("Handoff accepted")
        HANDOFF_REJECTED = "handoff_rejected", _("Handoff rejected")
        HANDOFF_OVERDUE = "handoff_overdue", _("Handoff overdue")
        OPPORTUNITY = "opportunity", _("Opportunity")
        CLAIMED = "claimed", _("Claimed from the pool")
        IMPORTED = "imported", _("Imported")
        IMPORT_MERGED = "import_merged", _("Updated by an import")
        MERGED = "merged", _("Duplicate merged in")
        BEHAVIOUR = "behaviour", _("Behaviour")
        TAGGED = "tagged", _("Tags changed")
        ENRICHED = "enriched", _("Enriched")
        RECYCLED = "recycled", _("Returned to the pool")
        NOTE = "note", _("Note")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=14, blank=True)
    to_status = models.CharField(max_length=14, blank=True)
    cycle = models.PositiveIntegerField(default=1)
    reason = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["lead", "occurred_at"]),
            models.Index(fields=["kind", "occurred_at"]),
        ]
        ordering = ["occurred_at", "id"]


class Touch(models.Model):
    class Channel(models.TextChoices):
        CALL = "call", _("Call")
        EMAIL = "email", _("E-mail")
        MESSAGE = "message", _("Message")
        MEETING = "meeting", _("Meeting")

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", _("Outbound")
        INBOUND = "inbound", _("Inbound")

    class Outcome(models.TextChoices):
        CONNECTED = "connected", _("Connected")
        NO_ANSWER = "no_answer", _("No answer")
        VOICEMAIL = "voicemail", _("Voicemail")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        SENT = "sent", _("Sent")
        REPLIED = "replied", _("Replied")
        BOUNCED = "bounced", _("Bounced")
        AUTO_REPLY = "auto_reply", _("Auto-reply")
        BOOKED = "booked", _("Meeting booked")
        HELD = "held", _("Meeting held")
        NO_SHOW = "no_show", _("No-show")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="touches")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="touches")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.OUTBOUND)
    outcome = models.CharField(max_length=14, choices=Outcome.choices)
    duration_seconds = models.PositiveIntegerField(default=0)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    notes = models.TextField(blank=True)
    meaningful = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["occurred_at", "user"]),
            models.Index(fields=["lead", "occurred_at"]),
        ]


class WebForm(models.Model):
    """A public capture form; its key goes into the embed URL."""

    name = models.CharField(max_length=120)
    key = models.CharField(max_length=40, unique=True)
    source = models.CharField(max_length=30, choices=Source.choices, default=Source.TRIAL)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()


class IdempotencyRecord(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="uniq_idempotency_key")]


class DuplicateCandidate(models.Model):
    """Two leads that look like the same person (found on capture, import or a scan), for review.

    ``lead`` is the newer of the two. Exact e-mail or phone matches score 95–100; fuzzy name +
    company matches score lower. Merging or dismissing closes the pair.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Suspected")
        MERGED = "merged", _("Merged")
        DISMISSED = "dismissed", _("Not a duplicate")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="duplicate_of")
    other = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="duplicate_candidates")
    score = models.FloatField()
    method = models.CharField(max_length=30)
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    detected_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lead", "other"], name="uniq_duplicate_pair")]
        indexes = [models.Index(fields=["status", "-score"])]


class TargetList(models.Model):
    """An outbound SDR's list of target accounts, checked against what Baton already has (spec §4.2)."""

    name = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="target_lists")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    """One target of a list and the outcome of the inbound/outbound conflict check."""

    class Outcome(models.TextChoices):
        CLEAR = "clear", _("Clear: yours to work")
        INBOUND = "inbound", _("Belongs to the inbound owner")
        DUPLICATE = "duplicate", _("Already on one of your lists")
        INVALID = "invalid", _("Not usable")

    target_list = models.ForeignKey(TargetList, on_delete=models.CASCADE, related_name="targets")
    line = models.PositiveIntegerField(default=0)
    company = models.CharField(max_length=200)
    domain = models.CharField(max_length=200, blank=True)
    name_key = models.CharField(max_length=200, blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.CharField(max_length=254, blank=True)
    contact_phone = models.CharField(max_length=32, blank=True)
    contact_title = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=400, blank=True)
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    inbound_lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    inbound_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    checked_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["target_list", "outcome"])]
