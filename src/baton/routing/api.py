"""Routing API: /api/v1/routing/policies… (versioned routing policies: list, read, draft, edit, replay,
activate), /api/v1/routing/eligible/{month} (the month's eligible-rep list), /api/v1/routing/leaves and
/api/v1/routing/territories.

Ops admins and managers (sales directors, the VP, the SDR director) read and replay; only ops admins
change anything (403 for others). A policy that is not valid is a 422 naming every problem
(``{"error": "invalid_input", "detail": …, "problems": […]}``)."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from baton import clock
from baton.core.errors import InvalidInput
from baton.org.models import User
from baton.routing import selectors, services
from baton.routing.forms import MONTH
from baton.routing.models import RoutingPolicy, Territory

router = Router(tags=["routing"])


# --- Schemas -----------------------------------------------------------------------------------------


class PolicySummaryOut(Schema):
    kind: str = Field(..., description="lead (inbound lead → SDR) or handoff (MQL → AE)")
    version: int
    state: str = Field(..., description="draft, active or retired")
    note: str
    created_at: datetime
    created_by: str | None
    activated_at: datetime | None


class PolicyOut(PolicySummaryOut):
    definition: dict = Field(..., description='{"rules": [{key, name, conditions, destination, strategy, options}], '
                                              '"fallback": {…}}')  # fmt: skip


class DraftIn(Schema):
    definition: dict[str, Any] = Field(..., description="the whole policy: rules in order and the fallback")
    note: str = Field("", max_length=200)

    model_config = {"extra": "forbid"}


class ReplayIn(Schema):
    definition: dict[str, Any] | None = Field(None, description="an unsaved policy to replay")
    version: int | None = Field(None, description="a stored version to replay (give this or definition)")
    last: int = Field(200, description="how many of the latest routed items (1 to 5,000)")

    model_config = {"extra": "forbid"}


class ReplayRowOut(Schema):
    lead_id: int
    lead: str
    decided_at: datetime
    actual: str | None = Field(..., description="who got it (username; null: nobody)")
    would: str | None = Field(
        ..., description="who would get it now under the replayed policy (or the queue)"
    )
    rule: str = Field(..., description="the rule that would decide it")
    why: str
    changed: bool


class ReplayOut(Schema):
    kind: str
    version: int | None
    items: int
    changed: int
    actual: dict[str, int] = Field(..., description="items per person as routed ('—': nobody)")
    would: dict[str, int] = Field(..., description="items per person under the replayed policy")
    rows: list[ReplayRowOut]


class EligibleOut(Schema):
    month: str
    usernames: list[str]
    has_list: bool = Field(..., description="false: no list this month, everyone otherwise eligible receives")


class EligibleIn(Schema):
    usernames: list[str] = Field(..., description="the whole list; [] removes it (everyone eligible again)")

    model_config = {"extra": "forbid"}


class LeaveIn(Schema):
    username: str
    starts_at: datetime
    ends_at: datetime = Field(..., description="routing skips them in [starts_at, ends_at)")
    note: str = Field("", max_length=200)

    model_config = {"extra": "forbid"}


class LeaveOut(Schema):
    id: int
    username: str
    starts_at: datetime
    ends_at: datetime
    note: str


class TerritoryIn(Schema):
    name: str = Field(..., max_length=120, description="a territory of this name is replaced")
    owner: str = Field(..., description="the owner's username")
    regions: list[str] = Field(default_factory=list)
    cities: list[str] = Field(default_factory=list)
    industries: list[str] = Field(default_factory=list)

    model_config = {"extra": "forbid"}


class TerritoryOut(Schema):
    id: int
    name: str
    owner: str
    regions: list[str]
    cities: list[str]
    industries: list[str]
    active: bool


# --- Conversions -------------------------------------------------------------------------------------


def summary_out(p: RoutingPolicy) -> dict:
    return {"kind": p.kind, "version": p.version, "state": p.state, "note": p.note, "created_at": p.created_at,
            "created_by": p.created_by.username if p.created_by_id else None, "activated_at": p.activated_at}  # fmt: skip


def policy_out(p: RoutingPolicy) -> dict:
    return {**summary_out(p), "definition": p.definition}


def replay_out(replay: services.Replay) -> dict:
    return {
        "kind": replay.kind, "version": replay.version, "items": len(replay.rows), "changed": replay.changed,
        "actual": replay.actual, "would": replay.would,
        "rows": [{"lead_id": r.lead_id, "lead": r.lead, "decided_at": r.decided_at, "actual": r.actual,
                  "would": r.would, "rule": r.rule, "why": r.why, "changed": r.changed} for r in replay.rows],
    }  # fmt: skip


def territory_out(t: Territory) -> dict:
    return {"id": t.pk, "name": t.name, "owner": t.owner.username, "regions": t.regions, "cities": t.cities,
            "industries": t.industries, "active": t.active}  # fmt: skip


def _kind(kind: str) -> str:
    if kind not in RoutingPolicy.Kind.values:
        raise InvalidInput(f"unknown policy kind {kind!r}; use one of {', '.join(RoutingPolicy.Kind.values)}")
    return kind


def _month(month: str) -> str:
    """YYYY-MM exactly ("2026-1" would be stored under a key routing never reads)."""
    if not MONTH.match(month):
        raise InvalidInput(f"a month is written YYYY-MM, not {month!r}")
    return month


def _user(username: str, what: str = "user") -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise InvalidInput(f"no {what} named {username!r}")
    return user


# --- Policies ----------------------------------------------------------------------------------------


@router.get(
    "/policies", response=list[PolicySummaryOut], summary="Routing policy versions (ops admins, managers)"
)
def policies_list(request: HttpRequest, kind: str | None = None):
    selectors.require_reader(request.auth)
    return [summary_out(p) for p in selectors.policies(_kind(kind) if kind else None)]


@router.get("/policies/{kind}/{int:version}", response=PolicyOut, summary="One routing policy version")
def policy_get(request: HttpRequest, kind: str, version: int):
    selectors.require_reader(request.auth)
    return policy_out(selectors.policy_get(_kind(kind), version))


@router.post("/policies/{kind}", response={201: PolicyOut}, summary="Save a new draft (ops admins)")
def policy_draft_create(request: HttpRequest, kind: str, payload: DraftIn):
    """Validated as a whole (rules, destinations, teams, roles, weights' users); nothing is stored otherwise."""
    selectors.require_writer(request.auth)
    row = services.policy_draft_save(_kind(kind), payload.definition, actor=request.auth, note=payload.note)
    return Status(201, policy_out(selectors.policy_get(kind, row.version)))


@router.put(
    "/policies/{kind}/{int:version}", response=PolicyOut, summary="Replace a draft's definition (ops admins)"
)
def policy_draft_update(request: HttpRequest, kind: str, version: int, payload: DraftIn):
    """Only a draft changes (409 ``policy_not_draft`` for an active or retired version)."""
    selectors.require_writer(request.auth)
    services.policy_draft_save(
        _kind(kind), payload.definition, actor=request.auth, note=payload.note, version=version
    )
    return policy_out(selectors.policy_get(kind, version))


@router.post(
    "/policies/{kind}/{int:version}/activate", response=PolicyOut,
    summary="Activate a version (ops admins); the active one of its kind is retired",
)  # fmt: skip
def policy_activate(request: HttpRequest, kind: str, version: int):
    """Pools and their tallies belong to destinations, not versions: fairness carries over."""
    selectors.require_writer(request.auth)
    services.policy_activate(_kind(kind), version, actor=request.auth)
    return policy_out(selectors.policy_get(kind, version))


@router.post("/policies/{kind}/replay", response=ReplayOut,
             summary="Who would have got the latest items under a policy (writes nothing)")  # fmt: skip
def policy_replay(request: HttpRequest, kind: str, payload: ReplayIn):
    """Give ``definition`` (unsaved) or ``version``. The items are replayed in order from the pools'
    current tallies and today's eligibility."""
    selectors.require_reader(request.auth)
    if (payload.definition is None) == (payload.version is None):
        raise InvalidInput("give either definition or version")
    replay = services.policy_replay(
        _kind(kind), payload.definition, version=payload.version, last=payload.last
    )
    return replay_out(replay)


# --- The month's eligible list -----------------------------------------------------------------------


@router.get("/eligible/{month}", response=EligibleOut, summary="The month's eligible-rep list (YYYY-MM)")
def eligible_get(request: HttpRequest, month: str):
    selectors.require_reader(request.auth)
    names = services.eligible_list(_month(month))
    return {"month": month, "usernames": names, "has_list": bool(names)}


@router.put(
    "/eligible/{month}", response=EligibleOut, summary="Replace the month's eligible list (ops admins)"
)
def eligible_put(request: HttpRequest, month: str, payload: EligibleIn):
    """All or nothing: an unknown username changes nothing (422 naming them)."""
    selectors.require_writer(request.auth)
    names = services.eligible_list_set(_month(month), payload.usernames, actor=request.auth)
    return {"month": month, "usernames": names, "has_list": bool(names)}


# --- Leaves ------------------------------------------------------------------------------------------


@router.get("/leaves", response=list[LeaveOut], summary="Leaves that have not ended (ops admins, managers)")
def leaves_list(request: HttpRequest):
    selectors.require_reader(request.auth)
    return [{"id": x.pk, "username": x.user.username, "starts_at": x.starts_at, "ends_at": x.ends_at, "note": x.note}
            for x in selectors.leaves_upcoming(clock.now())]  # fmt: skip


@router.post("/leaves", response={201: LeaveOut}, summary="Record a leave (ops admins)")
def leave_create(request: HttpRequest, payload: LeaveIn):
    selectors.require_writer(request.auth)
    user = _user(payload.username)
    leave = services.leave_add(
        user, payload.starts_at, payload.ends_at, actor=request.auth, note=payload.note
    )
    return Status(201, {"id": leave.pk, "username": user.username, "starts_at": leave.starts_at,
                        "ends_at": leave.ends_at, "note": leave.note})  # fmt: skip


# --- Territories -------------------------------------------------------------------------------------


@router.get("/territories", response=list[TerritoryOut], summary="Territories (ops admins, managers)")
def territories_list(request: HttpRequest):
    selectors.require_reader(request.auth)
    return [territory_out(t) for t in selectors.territories()]


@router.put(
    "/territories", response=TerritoryOut, summary="Create or replace a territory by name (ops admins)"
)
def territory_put(request: HttpRequest, payload: TerritoryIn):
    selectors.require_writer(request.auth)
    owner = _user(payload.owner, "owner")
    if not owner.is_active:
        raise InvalidInput(f"{owner.username} is inactive and cannot own a territory")
    territory = services.territory_save(payload.name, owner, regions=payload.regions, cities=payload.cities,
                                        industries=payload.industries, actor=request.auth)  # fmt: skip
    return territory_out(selectors.territory_get(territory.pk))


# --- A rep leaves ---------------------------------------------------------------------------------------


class RemovalOut(Schema):
    username: str
    handoffs_moved: int
    handoffs_stuck: list[int]
    leads_rerouted: int
    leads_to_pool: int


@router.post(
    "/people/{username}/remove", response=RemovalOut,
    summary="Deactivate a rep and hand their open work on: handoffs and new leads re-routed, the rest to the pool",
)  # fmt: skip
def rep_remove(request: HttpRequest, username: str):
    selectors.require_writer(request.auth)
    removal = services.rep_remove(_user(username), actor=request.auth)
    return removal.__dict__
