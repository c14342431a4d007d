from datetime import date, datetime

from ninja import Field, Router, Schema, Status

from baton.core.errors import InvalidInput
from baton.core.qualification import BANT_CRITERIA
from baton.handoffs import selectors, services
from baton.handoffs.models import CriterionState, Handoff
from baton.leads.api import lead_out, user_ref
from baton.leads.selectors import lead_get

router = Router(tags=["qualification & handoff"])
lead_router = Router(tags=["qualification & handoff"])


class QualificationIn(Schema):
    budget: CriterionState | None = None
    authority: CriterionState | None = None
    need: CriterionState | None = None
    timing: CriterionState | None = None
    notes: dict[str, str] = Field(
        default_factory=dict, description="per criterion: budget, authority, need, timing"
    )

    model_config = {"extra": "forbid"}


class QualificationOut(Schema):
    lead_id: int
    budget: str
    authority: str
    need: str
    timing: str
    notes: dict
    gate_passed: bool
    gate: str
    missing: list[str]


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
    packet: dict


class RejectIn(Schema):
    reason: str = Field(..., description="a code from GET /handoffs/reasons")
    note: str = Field("", max_length=5000)
    nurture_until: date | None = None

    model_config = {"extra": "forbid"}


class ReasonOut(Schema):
    code: str
    label: str
    label_zh: str


def qualification_out(lead) -> dict:
    q = services.qualification_get(lead)
    gate = services.gate_check(lead)
    return {
        "lead_id": lead.pk,
        **q.states(),
        "notes": q.notes,
        "gate_passed": gate.passed,
        "gate": gate.explanation,
        "missing": list(gate.missing),
    }


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
        "packet": h.packet,
    }


@lead_router.get("/{lead_id}/qualification", response=QualificationOut)
def get_qualification(request, lead_id: int):
    return qualification_out(lead_get(request.auth, lead_id))


@lead_router.put("/{lead_id}/qualification", response=QualificationOut, summary="Set BANT criteria")
def put_qualification(request, lead_id: int, payload: QualificationIn):
    lead = lead_get(request.auth, lead_id)
    states = {k: v for k, v in payload.model_dump(exclude={"notes"}).items() if v is not None}
    unknown = set(payload.notes) - set(BANT_CRITERIA)
    if unknown:
        raise InvalidInput(f"notes for unknown criteria: {', '.join(sorted(unknown))}")
    services.qualification_update(lead, request.auth, states, payload.notes)
    return qualification_out(lead)


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


__all__ = ["router", "lead_router", "lead_out"]
