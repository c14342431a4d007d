"""GET /api/v1/sla/mine: your SLA panel — your running clocks, your compliance over the last 30 days, an
active penalty, and for managers their reports' overdue clocks. The same data as the panel of the AE
inbox and the SDR queue (``baton.sla.selectors.sla_panel``)."""

from datetime import datetime

from ninja import Field, Router, Schema

from baton.core.errors import NotAllowed
from baton.org.models import User
from baton.sla.selectors import sla_panel

router = Router(tags=["SLA"])


class SlaClockOut(Schema):
    id: int
    policy: str = Field(..., description="the policy key, e.g. acceptance, speed_to_lead")
    policy_label: str
    lead_id: int
    lead_name: str
    lead_company: str
    handoff_id: int | None
    user_id: int | None = Field(..., description="who is on the hook")
    user_label: str
    started_at: datetime
    due_at: datetime
    seconds_left: int = Field(
        ..., description="seconds until due; negative when overdue (overdue by -seconds_left)"
    )
    overdue: bool = Field(..., description="due at or before as_of")
    due_soon: bool = Field(..., description="not overdue, due within the hour")
    breached_at: datetime | None = Field(
        ..., description="when the sweep recorded the breach (at the due time)"
    )


class SlaPolicyComplianceOut(Schema):
    key: str
    label: str
    met: int
    missed: int
    decided: int
    rate: float | None = Field(..., description="met / decided; null when nothing was decided")


class SlaComplianceOut(Schema):
    days: int
    start: datetime
    end: datetime
    met: int
    missed: int
    decided: int
    rate: float | None = Field(
        ...,
        description="the sla_compliance KPI over [start, end), as known at end; null when nothing was decided",
    )
    policies: list[SlaPolicyComplianceOut]


class SlaPenaltyOut(Schema):
    started_at: datetime | None
    until: datetime = Field(..., description="no new MQLs until then")
    reason: str
    misses: int = Field(..., description="the acceptance misses in a row that caused it (0: unknown)")


class SlaMineOut(Schema):
    as_of: datetime
    clocks: list[SlaClockOut] = Field(..., description="your running clocks, soonest due first (at most 20)")
    clocks_total: int
    clocks_overdue: int
    compliance: SlaComplianceOut
    penalty: SlaPenaltyOut | None
    reports_overdue: list[SlaClockOut] | None = Field(
        ...,
        description="managers: the running clocks of their reports past due (at most 20); null for others",
    )
    reports_overdue_total: int


def _current_user(request) -> User:
    for candidate in (getattr(request, "auth", None), getattr(request, "user", None)):
        if isinstance(candidate, User) and candidate.is_authenticated:
            return candidate
    raise NotAllowed("sign in to read your SLAs")


@router.get(
    "/mine",
    response=SlaMineOut,
    summary="Your SLA clocks, compliance and penalty",
    description=(
        "Your running SLA clocks (the ones you are on the hook for) ordered by due time, with the time left; "
        "your SLA compliance over the last 30 days (clocks decided in [now - 30 days, now), met / decided, "
        "as the sla_compliance KPI defines it), overall and per policy; the penalty keeping you from "
        "receiving MQLs, if any. Managers also get their reports' overdue clocks."
    ),
)
def sla_mine(request):
    return sla_panel(_current_user(request))
