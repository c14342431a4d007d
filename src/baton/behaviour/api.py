"""Behaviour API: POST /api/v1/behaviour/events (bulk, idempotent), GET /api/v1/leads/{id}/behaviour."""

from datetime import datetime

from ninja import Field, Router, Schema, Status

from baton.behaviour import selectors, services
from baton.behaviour.models import BehaviourEvent
from baton.core import behaviour as rules
from baton.core.errors import InvalidInput
from baton.leads.selectors import lead_get

router = Router(tags=["behaviour"])
lead_router = Router(tags=["behaviour"])

MAX_ITEMS = 5000


class DetailIn(Schema):
    title: str | None = None
    url: str | None = None
    campaign: str | None = None

    model_config = {"extra": "forbid"}


class BehaviourIn(Schema):
    kind: str = Field(..., description=f"one of {', '.join(rules.KINDS)}")
    occurred_at: datetime | None = Field(
        None, description="when the lead did it, with a UTC offset (default: now)"
    )
    lead_id: int | None = Field(None, description="the lead; or give email and/or phone to find it")
    email: str | None = None
    phone: str | None = Field(None, description="any format; normalised to E.164")
    channel: str = Field("", description="where (required for a signup: the signup channel)")
    detail: DetailIn | None = None
    data: dict = Field(default_factory=dict, description="anything else (JSON, at most 10,000 characters)")
    external_id: str = Field(
        "", description="your id of the event: a replay with the same id creates nothing"
    )

    model_config = {"extra": "forbid"}


class ItemOut(Schema):
    item: int
    status: str = Field(..., description="created, duplicate or unmatched")
    lead_id: int | None
    event_id: int | None
    reason: str


class RecordOut(Schema):
    created: int
    duplicates: int
    unmatched: int
    tags_changed: int
    items: list[ItemOut]


class BehaviourOut(Schema):
    id: int
    lead_id: int
    kind: str
    occurred_at: datetime
    received_at: datetime
    channel: str
    source: str
    detail: dict
    data: dict
    external_id: str
    recorded_by: str | None


def behaviour_out(e: BehaviourEvent) -> dict:
    return {
        **{f: getattr(e, f) for f in ("id", "lead_id", "kind", "occurred_at", "received_at", "channel", "source",
                                      "detail", "data", "external_id")},
        "recorded_by": e.recorded_by.username if e.recorded_by else None,
    }  # fmt: skip


@router.post(
    "/events",
    response={200: RecordOut, 201: RecordOut},
    summary="Record behaviour events (a JSON list of up to 5,000; all or nothing)",
)
def record(request, payload: list[BehaviourIn], skip_unknown_leads: bool = False):
    """Marketers, SDRs and admins. One bad item refuses the batch (422, naming `item N`); with
    `skip_unknown_leads=true` items whose lead is not found are reported as `unmatched` instead. Items
    with an `external_id` the lead already has for that kind are `duplicate`s: replaying is safe.
    201 when something was created, 200 when nothing was."""
    if len(payload) > MAX_ITEMS:
        raise InvalidInput(
            f"at most {MAX_ITEMS} events per request; got {len(payload)}", code="too_many_items"
        )
    requests = [
        services.BehaviourRequest(
            kind=p.kind, occurred_at=p.occurred_at, lead_id=p.lead_id, email=p.email, phone=p.phone,
            channel=p.channel, detail=p.detail.model_dump(exclude_none=True) if p.detail else None, data=p.data,
            external_id=p.external_id,
        )
        for p in payload
    ]  # fmt: skip
    result = services.behaviour_record(requests, actor=request.auth, skip_unknown_leads=skip_unknown_leads)
    body = {
        "created": result.count("created"),
        "duplicates": result.count("duplicate"),
        "unmatched": result.count("unmatched"),
        "tags_changed": len(result.tag_changes),
        "items": [
            {
                "item": o.item,
                "status": o.status,
                "lead_id": o.lead_id,
                "event_id": o.event_id,
                "reason": o.reason,
            }
            for o in result.items
        ],
    }
    return Status(201 if result.created else 200, body)


@lead_router.get(
    "/{lead_id}/behaviour", response=list[BehaviourOut], summary="A lead's behaviour events, newest first"
)
def lead_behaviour(request, lead_id: int, kind: str | None = None, limit: int = 100):
    if not 1 <= limit <= 1000:
        raise InvalidInput("limit must be between 1 and 1000")
    return [behaviour_out(e) for e in selectors.behaviour_of(request.auth, lead_id, kind=kind)[:limit]]


@lead_router.get(
    "/{lead_id}/behaviour/counts", response=dict[str, int], summary="A lead's behaviour, counted by kind"
)
def lead_behaviour_counts(request, lead_id: int, since: datetime | None = None):
    lead = lead_get(request.auth, lead_id)
    return selectors.behaviour_counts([lead.pk], since=since)[lead.pk]
