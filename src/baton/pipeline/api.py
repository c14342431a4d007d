from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from baton.leads.api import user_ref
from baton.leads.selectors import lead_get
from baton.pipeline import selectors, services
from baton.pipeline.models import Opportunity

router = Router(tags=["opportunities"])


class OpportunityIn(Schema):
    amount: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    name: str = Field("", max_length=200)
    expected_close: date | None = None

    model_config = {"extra": "forbid"}


class StageIn(Schema):
    stage_id: int
    amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    lost_reason: str = Field("", max_length=200)

    model_config = {"extra": "forbid"}


class StageOut(Schema):
    id: int
    name: str
    name_zh: str
    position: int
    probability: int
    kind: str


class OpportunityOut(Schema):
    id: int
    lead_id: int
    name: str
    amount: str
    stage: StageOut
    owner: dict
    sdr: dict | None
    account_id: int | None
    created_at: datetime
    expected_close: date | None
    closed_at: datetime | None
    lost_reason: str


def opp_out(o: Opportunity) -> dict:
    return {
        "id": o.pk,
        "lead_id": o.lead_id,
        "name": o.name,
        "amount": f"{o.amount:.2f}",
        "stage": o.stage,
        "owner": user_ref(o.owner),
        "sdr": user_ref(o.sdr),
        "account_id": o.account_id,
        "created_at": o.created_at,
        "expected_close": o.expected_close,
        "closed_at": o.closed_at,
        "lost_reason": o.lost_reason,
    }


@router.get("/stages", response=list[StageOut], tags=["opportunities"])
def list_stages(request):
    return services.stages()


@router.post(
    "/leads/{lead_id}/opportunity",
    response={200: OpportunityOut, 201: OpportunityOut},
    summary="Create the opportunity of an SQL (idempotent: 200 with the existing one)",
)
def create(request, lead_id: int, payload: OpportunityIn):
    lead = lead_get(request.auth, lead_id)
    opp, created = services.opportunity_create(
        lead, request.auth, amount=payload.amount, name=payload.name, expected_close=payload.expected_close
    )
    return Status(201 if created else 200, opp_out(selectors.opportunity_get(request.auth, opp.pk)))


@router.get("/opportunities", response=list[OpportunityOut])
def list_opps(request, open_only: bool = False, limit: int = 100, offset: int = 0):
    qs = selectors.opportunities_visible(request.auth).order_by("-created_at", "-id")
    if open_only:
        qs = qs.filter(closed_at=None)
    return [opp_out(o) for o in qs[offset : offset + min(max(limit, 1), 500)]]


@router.get("/opportunities/{opp_id}", response=OpportunityOut)
def get_opp(request, opp_id: int):
    return opp_out(selectors.opportunity_get(request.auth, opp_id))


@router.post(
    "/opportunities/{opp_id}/stage", response=OpportunityOut, summary="Move stage; won/lost close it"
)
def move(request, opp_id: int, payload: StageIn):
    opp = selectors.opportunity_get(request.auth, opp_id)
    services.opportunity_move(
        opp, request.auth, stage_id=payload.stage_id, amount=payload.amount, lost_reason=payload.lost_reason
    )
    return opp_out(selectors.opportunity_get(request.auth, opp_id))
