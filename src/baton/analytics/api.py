"""KPI endpoints (mounted at /api/v1/kpis). Authentication is configured on the NinjaAPI."""

from datetime import date, datetime

from ninja import Field, Query, Router, Schema

from baton.analytics.selectors import kpi_report
from baton.core import kpis
from baton.core.errors import InvalidInput, NotAllowed
from baton.org.models import MANAGER_ROLES, User
from baton.org.selectors import subtree_user_ids

router = Router(tags=["kpis"])


class KpiParams(Schema):
    from_: date = Field(..., alias="from", description="first day of the period (inclusive)")
    to: date = Field(..., description="day after the period (exclusive)")
    at: datetime | None = Field(None, description="as-of instant for cohort metrics (default: now)")
    by_rep: bool = Field(False, description="add per-rep rows")


def _current_user(request) -> User:
    for candidate in (getattr(request, "auth", None), getattr(request, "user", None)):
        if isinstance(candidate, User) and candidate.is_authenticated:
            return candidate
    raise NotAllowed("sign in to read KPIs")


def visible_rep_ids(user: User) -> set[int] | None:
    """Whose work a user may see in KPIs: admins everything (None), managers their subtree, others themselves."""
    if user.is_admin:
        return None
    if user.has_role(*MANAGER_ROLES):
        return subtree_user_ids(user)
    return {user.pk}


@router.get(
    "",
    summary="KPIs of a period",
    description=(
        "The KPI catalogue (spec §5) for the period [from, to) in the organisation's time zone, as known at "
        "`at` (default: now; a time without an offset is read in the organisation's time zone). Rates are "
        "fractions in [0, 1] or null when their denominator is empty; money is a string with two decimals. "
        "Admins see the whole organisation, managers their reporting subtree, everyone else their own work "
        "(the same restriction applies to the by_rep rows). GET /catalogue describes every key."
    ),
)
def kpis_get(request, params: Query[KpiParams]):
    user = _current_user(request)
    if params.to <= params.from_:
        raise InvalidInput("'to' must be after 'from'", details={"fields": {"to": "must be after from"}})
    return kpi_report(
        params.from_, params.to, as_of=params.at, by_rep=params.by_rep, rep_ids=visible_rep_ids(user)
    )


@router.get("/catalogue", summary="The KPI catalogue: key, label, kind, unit, attribution, definition")
def kpis_catalogue(request):
    _current_user(request)
    return {"kpis": kpis.catalogue(), "by_source": kpis.BY_SOURCE_FIELDS}
