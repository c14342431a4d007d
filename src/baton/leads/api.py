from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.throttling import AnonRateThrottle

from baton.core.errors import InvalidInput, NotFound
from baton.leads import selectors, services
from baton.leads.idempotency import run_once
from baton.leads.models import Lead, Source, Touch, WebForm

router = Router(tags=["leads"])
forms_router = Router(tags=["web forms"])


class LeadIn(Schema):
    name: str = Field(..., max_length=200, description="full name (one field: works for 张三 and Jane Doe)")
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40, description="any format; normalised to E.164")
    company: str | None = Field(None, max_length=200)
    title: str | None = Field(None, max_length=200)
    industry: str | None = Field(None, max_length=80)
    company_size: int | None = Field(None, ge=0)
    city: str | None = Field(None, max_length=80)
    region: str | None = Field(None, max_length=60)
    website: str | None = Field(None, max_length=200)
    source: Source = Source.OTHER
    source_detail: str | None = Field(None, max_length=200)
    direction: Lead.Direction = Lead.Direction.INBOUND
    notes: str | None = Field(None, max_length=10000)

    model_config = {"extra": "forbid"}


class UserRef(Schema):
    id: int
    username: str
    name: str


class LeadOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    company: str
    title: str
    industry: str
    company_size: int | None
    city: str
    region: str
    website_domain: str
    source: str
    direction: str
    status: str
    owner: UserRef | None
    account_id: int | None
    score: int
    fit_score: int
    engagement_score: int
    grade: str
    score_band: str = Field(..., description="lifecycle band of the score: nurture, sdr_queue, handoff_ready")
    cycle: int
    created_at: datetime
    routed_at: datetime | None
    first_touch_at: datetime | None


def user_ref(user) -> dict | None:
    return {"id": user.pk, "username": user.username, "name": user.label} if user else None


def lead_out(lead: Lead) -> dict:
    data = {f: getattr(lead, f) for f in LeadOut.model_fields if f != "owner"}
    data["owner"] = user_ref(lead.owner)
    return data


class EventOut(Schema):
    id: int
    kind: str
    occurred_at: datetime
    actor: str | None
    from_status: str
    to_status: str
    cycle: int
    reason: str
    data: dict


class TouchIn(Schema):
    channel: Touch.Channel
    outcome: Touch.Outcome
    direction: Touch.Direction = Touch.Direction.OUTBOUND
    duration_seconds: int = Field(0, ge=0)
    occurred_at: datetime | None = Field(None, description="when it really happened (default: now)")
    notes: str = Field("", max_length=10000)

    model_config = {"extra": "forbid"}


class TouchOut(Schema):
    id: int
    lead_id: int
    channel: str
    direction: str
    outcome: str
    duration_seconds: int
    occurred_at: datetime
    meaningful: bool


class StatusIn(Schema):
    status: str
    reason: str = Field("", max_length=300)

    model_config = {"extra": "forbid"}


def _aware(dt: datetime | None) -> datetime | None:
    if dt is not None and dt.tzinfo is None:
        raise InvalidInput(
            "times need a UTC offset, e.g. 2026-11-23T09:30:00+08:00",
            details={"fields": {"occurred_at": "no time zone"}},
        )
    return dt


@router.post("", response={200: LeadOut, 201: LeadOut}, summary="Capture a lead (scored and routed at once)")
def capture(request: HttpRequest, payload: LeadIn):
    """Optional `Idempotency-Key` header: a retry with the same key and body returns the first result."""

    def action():
        # The captured object is current (the services update it as they write): no need to read it again.
        lead = services.lead_capture(payload.model_dump(exclude_none=True), actor=request.auth)
        return 201, lead_out(lead)

    status, body, replayed = run_once(
        request.auth, request.headers.get("Idempotency-Key"), request.body, action
    )
    return Status(200 if replayed else status, body)


@router.get("", response=list[LeadOut], summary="Leads visible to you, newest first")
def list_leads(
    request,
    status: str | None = None,
    owner_id: int | None = None,
    q: str = "",
    limit: int = 50,
    offset: int = 0,
):
    if not 1 <= limit <= 500:
        raise InvalidInput("limit must be between 1 and 500")
    return [
        lead_out(lead)
        for lead in selectors.leads_search(
            request.auth, status=status, owner_id=owner_id, q=q, limit=limit, offset=offset
        )
    ]


class QueuedLeadOut(LeadOut):
    queue_position: int = Field(..., description="1 = work this one first")
    queue_why: str = Field(
        ..., description="why it is where it is: speed-to-lead deadline, band, score, channel"
    )


@router.get("/queue", response=list[QueuedLeadOut], summary="Your SDR queue, in working order, explained")
def queue(request):
    return [{**lead_out(lead), "queue_position": lead.queue.position, "queue_why": lead.queue.why}
            for lead in selectors.sdr_queue(request.auth)]  # fmt: skip


class TargetInSchema(Schema):
    company: str = Field(..., max_length=200)
    website: str = Field("", max_length=200)
    contact_name: str = Field("", max_length=200)
    contact_email: str = Field("", max_length=254)
    contact_phone: str = Field("", max_length=40)
    contact_title: str = Field("", max_length=200)
    industry: str = Field("", max_length=80)
    region: str = Field("", max_length=60)
    city: str = Field("", max_length=80)

    model_config = {"extra": "forbid"}


class TargetListIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    targets: list[TargetInSchema] = Field(..., min_length=1, max_length=5000)

    model_config = {"extra": "forbid"}


class TargetOut(Schema):
    line: int
    company: str
    domain: str
    outcome: str
    reason: str
    account_id: int | None
    inbound_lead_id: int | None
    inbound_owner: str | None
    lead_id: int | None

    @staticmethod
    def resolve_inbound_owner(t) -> str | None:
        return t.inbound_owner.username if t.inbound_owner_id else None


class TargetListOut(Schema):
    id: int
    name: str
    created_at: datetime
    targets: list[TargetOut]

    @staticmethod
    def resolve_targets(target_list) -> list:
        return list(target_list.targets.select_related("inbound_owner").order_by("line"))


@router.post(
    "/targets", response={201: TargetListOut}, summary="Check an outbound target list (conflict rule)"
)
def targets_check_api(request: HttpRequest, payload: TargetListIn):
    """Each target is checked against Baton's accounts and inbound leads: an inbound-owned company stays
    with its inbound owner (the reason says whose and why); clear targets with a contact become your
    outbound leads."""
    from baton.leads.targets import TargetIn, targets_check

    targets = [TargetIn(**t.model_dump()) for t in payload.targets]
    return Status(201, targets_check(payload.name, targets, owner=request.auth))


@router.get("/targets/{list_id}", response=TargetListOut, summary="A target list and its outcomes")
def target_list_get(request: HttpRequest, list_id: int):
    from baton.leads.models import TargetList

    found = TargetList.objects.filter(pk=list_id).first()
    if found is None or not (request.auth.is_admin or found.owner_id == request.auth.pk):
        raise NotFound(f"no target list {list_id}")
    return found


class DuplicatePairOut(Schema):
    id: int
    lead_id: int
    other_id: int
    score: float
    method: str
    reasons: list[str]
    status: str
    detected_at: datetime


class MergeIn(Schema):
    lead_ids: list[int] = Field(..., min_length=2, max_length=50)
    survivor_id: int | None = None

    model_config = {"extra": "forbid"}


@router.get("/duplicates", response=list[DuplicatePairOut], summary="Suspected duplicate pairs you can see")
def duplicates_list(request: HttpRequest, limit: int = 200):
    return list(selectors.duplicates_open(request.auth, limit=max(1, min(limit, 1000))))


@router.post("/merge", response=LeadOut, summary="Merge duplicate leads (survivor rule, or survivor_id)")
def leads_merge_api(request: HttpRequest, payload: MergeIn):
    from baton.leads.duplicates import leads_merge

    visible = set(
        selectors.leads_visible(request.auth).filter(pk__in=payload.lead_ids).values_list("pk", flat=True)
    )
    unseen = sorted(set(payload.lead_ids) - visible)
    if unseen:
        raise NotFound(f"no lead(s) {', '.join(map(str, unseen))}")
    return lead_out(leads_merge(payload.lead_ids, actor=request.auth, survivor_id=payload.survivor_id))


@router.post("/duplicates/{pair_id}/dismiss", response=DuplicatePairOut, summary="Not a duplicate")
def duplicate_dismiss_api(request: HttpRequest, pair_id: int):
    from baton.leads.duplicates import duplicate_dismiss

    pair = selectors.duplicates_open(request.auth, limit=None).filter(pk=pair_id).first()
    if pair is None:
        raise NotFound(f"no open duplicate pair {pair_id}")
    return duplicate_dismiss(pair.pk, actor=request.auth)


@router.get("/{lead_id}", response=LeadOut)
def get_lead(request, lead_id: int):
    return lead_out(selectors.lead_get(request.auth, lead_id))


@router.get("/{lead_id}/events", response=list[EventOut], summary="The lead's timeline, newest first")
def events(request, lead_id: int):
    lead = selectors.lead_get(request.auth, lead_id)
    return [
        {
            **{
                f: getattr(e, f)
                for f in ("id", "kind", "occurred_at", "from_status", "to_status", "cycle", "reason", "data")
            },
            "actor": e.actor.username if e.actor else None,
        }
        for e in selectors.lead_timeline(lead)
    ]


class DispatchIn(Schema):
    to: str = Field(..., description="the username of the rep who receives the lead")

    model_config = {"extra": "forbid"}


@router.post("/{lead_id}/dispatch", response=LeadOut, summary="Director dispatch: pass a lead to a rep")
def dispatch_lead(request, lead_id: int, payload: DispatchIn):
    from baton.org.models import User

    lead = selectors.lead_get(request.auth, lead_id)
    to = User.objects.filter(username=payload.to, is_active=True).first()
    if to is None:
        raise InvalidInput(f"no active user {payload.to!r}", details={"fields": {"to": "unknown"}})
    lead = services.lead_dispatch(lead, request.auth, to)
    return lead_out(Lead.objects.select_related("owner", "account", "contact").get(pk=lead.pk))


@router.post("/{lead_id}/touches", response={201: TouchOut}, summary="Log a call, e-mail, message or meeting")
def log_touch(request, lead_id: int, payload: TouchIn):
    lead = selectors.lead_get(request.auth, lead_id)
    touch = services.touch_log(
        lead,
        request.auth,
        channel=payload.channel,
        outcome=payload.outcome,
        direction=payload.direction,
        duration_seconds=payload.duration_seconds,
        occurred_at=_aware(payload.occurred_at),
        notes=payload.notes,
    )
    return Status(201, touch)


@router.post(
    "/{lead_id}/status", response=LeadOut, summary="Move a lead (e.g. nurturing, disqualified with reason)"
)
def set_status(request, lead_id: int, payload: StatusIn):
    lead = selectors.lead_get(request.auth, lead_id)
    if not services.can_work(request.auth, lead):
        from baton.core.errors import NotAllowed

        raise NotAllowed("only the lead's owner or an admin may change its status")
    if payload.status in ("mql", "sql", "converted"):
        raise InvalidInput(
            f"'{payload.status}' is reached through a handoff, an acceptance or an opportunity, "
            "not set directly"
        )
    services.lead_transition(lead, payload.status, actor=request.auth, reason=payload.reason)
    return lead_out(Lead.objects.select_related("owner").get(pk=lead.pk))


@router.post("/{lead_id}/claim", response=LeadOut, summary="Claim a lead from the public pool")
def claim(request, lead_id: int):
    lead = selectors.lead_get(request.auth, lead_id)
    services.lead_claim(lead, request.auth)
    return lead_out(Lead.objects.select_related("owner").get(pk=lead.pk))


# Public web-form capture: no token, a per-form key, rate-limited, with a honeypot field.
class FormIn(Schema):
    name: str = Field(..., max_length=200)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    company: str | None = Field(None, max_length=200)
    title: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=80)
    region: str | None = Field(None, max_length=60)
    notes: str | None = Field(None, max_length=5000)
    website_url: str | None = Field(None, description="honeypot: leave empty (bots fill it)")


class FormOut(Schema):
    received: bool
    id: int | None


def _form_rate() -> str:
    from django.conf import settings

    return f"{settings.BATON['FORM_RATE_PER_MIN']}/m"


@forms_router.post(
    "/{key}",
    auth=None,
    response={201: FormOut, 200: FormOut},
    throttle=[AnonRateThrottle(_form_rate())],
    summary="Submit a public web form (no token; per-form key)",
)
def form_submit(request, key: str, payload: FormIn):
    form = WebForm.objects.filter(key=key, active=True).first()
    if form is None:
        raise NotFound("unknown or inactive form key")
    data = payload.model_dump(exclude_none=True)
    if data.pop("website_url", ""):
        # Looks like success to the bot; nothing is stored.
        return Status(200, {"received": True, "id": None})
    data.update(source=form.source, source_detail=f"form:{form.name}")
    lead = services.lead_capture(data)
    return Status(201, {"received": True, "id": lead.pk})
