from datetime import date, datetime

from ninja import Field, Router, Schema, Status

from baton.handoffs import selectors, services
from baton.handoffs.models import Handoff
from baton.leads.api import lead_out, user_ref
from baton.leads.selectors import lead_get

router = Router(tags=["qualification & handoff"])
lead_router = Router(tags=["qualification & handoff"])


class HandoffIn(Schema):
    note: str = Field("", max_length=5000)

    model_config = {"extra": "forbid"}


class HandoffOut(Schema):
    id: int
    lead_id: int
    cycle: int
    status: str
    sdr: dict
    ae: dict
    created_at: datetime
    due_at: datetime
    seconds_left: int
    overdue: bool
    decided_at: datetime | None
    reject_reason: str | None
    reject_note: str
    nurture_until: date | None
    awaiting_dispatch: bool
    dispatcher: dict | None
    dispatched_at: datetime | None
    packet: dict


class DispatchIn(Schema):
    to: str = Field(..., description="the username of the AE who receives it")
    note: str = Field("", max_length=2000)

    model_config = {"extra": "forbid"}


class CandidateOut(Schema):
    user: dict
    eligible: bool
    reason: str
    pending_handoffs: int


class RejectIn(Schema):
    reason: str = Field(..., description="a code from GET /handoffs/reasons")
    note: str = Field("", max_length=5000)
    nurture_until: date | None = None

    model_config = {"extra": "forbid"}


class ReasonOut(Schema):
    code: str
    label: str
    label_zh: str


def handoff_out(h: Handoff) -> dict:
    from baton import clock

    left = int((h.due_at - clock.now()).total_seconds())
    return {
        "id": h.pk,
        "lead_id": h.lead_id,
        "cycle": h.cycle,
        "status": h.status,
        "sdr": user_ref(h.sdr),
        "ae": user_ref(h.ae),
        "created_at": h.created_at,
        "due_at": h.due_at,
        "seconds_left": left,
        "overdue": h.status == Handoff.Status.PENDING and left < 0,
        "decided_at": h.decided_at,
        "reject_reason": h.reject_reason.code if h.reject_reason else None,
        "reject_note": h.reject_note,
        "nurture_until": h.nurture_until,
        "awaiting_dispatch": h.awaiting_dispatch,
        "dispatcher": user_ref(h.dispatcher) if h.dispatcher_id else None,
        "dispatched_at": h.dispatched_at,
        "packet": h.packet,
    }


@lead_router.post("/{lead_id}/handoff", response={201: HandoffOut}, summary="Hand a qualified lead to sales")
def create_handoff(request, lead_id: int, payload: HandoffIn):
    lead = lead_get(request.auth, lead_id)
    h = services.handoff_create(lead, request.auth, note=payload.note)
    return Status(201, handoff_out(selectors.handoff_get(request.auth, h.pk)))


@router.get("", response=list[HandoffOut], summary="Your handoff inbox (pending by default)")
def inbox(request, status: Handoff.Status | None = Handoff.Status.PENDING):
    qs = selectors.handoffs_visible(request.auth).order_by("due_at")
    if status:
        qs = qs.filter(status=status)
    return [handoff_out(h) for h in qs[:500]]


@router.get("/reasons", response=list[ReasonOut], summary="Configured rejection reasons")
def reasons(request):
    return services.reject_reasons()


@router.get("/{handoff_id}", response=HandoffOut)
def get_handoff(request, handoff_id: int):
    return handoff_out(selectors.handoff_get(request.auth, handoff_id))


@router.post("/{handoff_id}/accept", response=HandoffOut, summary="Accept: the lead becomes an SQL")
def accept(request, handoff_id: int):
    h = services.handoff_accept(selectors.handoff_get(request.auth, handoff_id), request.auth)
    return handoff_out(selectors.handoff_get(request.auth, h.pk))


@router.post(
    "/{handoff_id}/reject", response=HandoffOut, summary="Reject with a reason: the lead goes back to nurture"
)
def reject(request, handoff_id: int, payload: RejectIn):
    h = services.handoff_reject(
        selectors.handoff_get(request.auth, handoff_id),
        request.auth,
        reason=payload.reason,
        note=payload.note,
        nurture_until=payload.nurture_until,
    )
    return handoff_out(selectors.handoff_get(request.auth, h.pk))


@router.get(
    "/{handoff_id}/dispatch",
    response=list[CandidateOut],
    summary="Regional flow: the AEs a director may choose",
)
def dispatch_options(request, handoff_id: int):
    from baton import clock

    h = selectors.handoff_get(request.auth, handoff_id)
    return [
        {"user": user_ref(u), "eligible": not reason, "reason": reason, "pending_handoffs": load}
        for u, reason, load in selectors.dispatch_candidates(h, clock.now())
    ]


@router.post(
    "/{handoff_id}/dispatch", response=HandoffOut, summary="Regional flow: the director dispatches to an AE"
)
def dispatch(request, handoff_id: int, payload: DispatchIn):
    from baton.core.errors import InvalidInput
    from baton.org.models import User

    to = User.objects.filter(username=payload.to, is_active=True).first()
    if to is None:
        raise InvalidInput(f"no active user {payload.to!r}", details={"fields": {"to": "unknown"}})
    h = services.handoff_dispatch(
        selectors.handoff_get(request.auth, handoff_id), request.auth, to, note=payload.note
    )
    return handoff_out(selectors.handoff_get(request.auth, h.pk))


__all__ = ["router", "lead_router", "lead_out"]
