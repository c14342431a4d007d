"""Qualification API: /api/v1/leads/{id}/qualification…, /api/v1/qualification/frameworks…, …/gates…"""

from datetime import datetime

from ninja import Field, Router, Schema, Status

from baton.core import qualification as rules
from baton.core.errors import InvalidInput, NotAllowed, NotFound
from baton.leads.selectors import lead_get
from baton.org.models import MANAGER_ROLES, Team
from baton.qualification import selectors, services
from baton.qualification.models import CriterionState, GateRule

router = Router(tags=["qualification & handoff"])
lead_router = Router(tags=["qualification & handoff"])


# --- Schemas -----------------------------------------------------------------------------------------


class AnswerIn(Schema):
    state: CriterionState | None = Field(None, description="met, not_met or unknown; leave out to keep it")
    note: str | None = Field(None, max_length=services.NOTE_MAX, description="leave out to keep it")

    model_config = {"extra": "forbid"}


class FrameworkAnswersIn(Schema):
    criteria: dict[str, AnswerIn] = Field(..., description="criterion key → {state, note}")

    model_config = {"extra": "forbid"}


class BantIn(Schema):
    budget: CriterionState | None = None
    authority: CriterionState | None = None
    need: CriterionState | None = None
    timing: CriterionState | None = None
    notes: dict[str, str] = Field(
        default_factory=dict, description="per criterion: budget, authority, need, timing"
    )

    model_config = {"extra": "forbid"}


class CriterionAnswerOut(Schema):
    key: str
    label: str
    label_zh: str
    description: str
    state: str
    note: str
    set_by: str | None
    set_at: datetime | None


class FrameworkProgressOut(Schema):
    key: str
    name: str
    name_zh: str
    met: int
    total: int
    percent: int
    missing: list[str] = Field(..., description="keys of the criteria not met")
    criteria: list[CriterionAnswerOut]


class RuleResultOut(Schema):
    framework: str
    name: str
    kind: str
    threshold: str
    passed: bool
    met: int
    total: int
    required: int
    missing: list[str]
    missing_labels: list[str]
    explanation: str


class QualificationOut(Schema):
    lead_id: int
    budget: str
    authority: str
    need: str
    timing: str
    notes: dict = Field(..., description="BANT notes (every framework's notes are in frameworks)")
    gate_passed: bool
    gate: str = Field(..., description="the gate's explanation")
    missing: list[str] = Field(..., description="keys of the criteria not met in the failing rules")
    gate_source: str = Field(..., description="team, inherited, default or builtin")
    gate_team: str | None
    gate_rules: list[RuleResultOut]
    frameworks: list[FrameworkProgressOut]


class HistoryOut(Schema):
    framework: str
    criterion: str
    label: str
    state: str
    note: str
    set_by: str | None
    set_at: datetime


class CriterionIn(Schema):
    key: str = Field(..., max_length=40)
    label: str = Field(..., max_length=120)
    label_zh: str = Field("", max_length=120)
    description: str = Field("", max_length=1000)
    description_zh: str = Field("", max_length=1000)

    model_config = {"extra": "forbid"}


class CriterionPatch(Schema):
    key: str = Field(..., max_length=40, description="an existing key changes it, a new key adds a criterion")
    label: str | None = Field(None, max_length=120)
    label_zh: str | None = Field(None, max_length=120)
    description: str | None = Field(None, max_length=1000)
    description_zh: str | None = Field(None, max_length=1000)
    active: bool | None = Field(None, description="false deactivates (answered criteria are never deleted)")
    position: int | None = Field(None, ge=0)

    model_config = {"extra": "forbid"}


class FrameworkIn(Schema):
    key: str = Field(..., max_length=40)
    name: str = Field(..., max_length=120)
    name_zh: str = Field("", max_length=120)
    description: str = Field("", max_length=1000)
    description_zh: str = Field("", max_length=1000)
    criteria: list[CriterionIn] = Field(default_factory=list)

    model_config = {"extra": "forbid"}


class FrameworkPatch(Schema):
    name: str | None = Field(None, max_length=120)
    name_zh: str | None = Field(None, max_length=120)
    description: str | None = Field(None, max_length=1000)
    description_zh: str | None = Field(None, max_length=1000)
    active: bool | None = None
    position: int | None = Field(None, ge=0)
    criteria: list[CriterionPatch] | None = None

    model_config = {"extra": "forbid"}


class CriterionOut(Schema):
    key: str
    label: str
    label_zh: str
    description: str
    description_zh: str
    active: bool
    position: int


class FrameworkOut(Schema):
    key: str
    name: str
    name_zh: str
    description: str
    description_zh: str
    builtin: bool
    active: bool
    position: int
    criteria: list[CriterionOut]


class GateRuleIn(Schema):
    framework: str
    kind: GateRule.Kind
    count: int | None = Field(None, ge=0, description="at_least: how many criteria must be met")
    numerator: int | None = Field(None, ge=0, description="more_than: the fraction n/d to exceed")
    denominator: int | None = Field(None, ge=1)

    model_config = {"extra": "forbid"}


class GateIn(Schema):
    rules: list[GateRuleIn] = Field(..., description="all must pass; [] removes a team's own gate")

    model_config = {"extra": "forbid"}


class GateRuleOut(Schema):
    framework: str
    name: str
    kind: str
    count: int
    numerator: int
    denominator: int
    threshold: str


class GateOut(Schema):
    team_id: int | None
    team: str | None
    source: str = Field(..., description="team (its own), inherited (from a parent team), default, builtin")
    inherited_from: str | None
    rules: list[GateRuleOut]


# --- Conversions -------------------------------------------------------------------------------------


def _rule_result_out(r: rules.RuleResult) -> dict:
    return {
        "framework": r.rule.framework, "name": r.framework_name, "kind": r.rule.kind,
        "threshold": r.rule.threshold(), "passed": r.passed, "met": r.met, "total": r.total,
        "required": r.required, "missing": list(r.missing_keys), "missing_labels": list(r.missing),
        "explanation": r.explanation,
    }  # fmt: skip


def qualification_out(lead) -> dict:
    view = selectors.lead_qualification(lead)
    answers = {r.criterion.id: r.answer for f in view.frameworks for r in f.rows if r.answer}
    bant, notes = selectors.bant_states(lead, answers)
    gate = view.gate.result
    missing: list[str] = []
    for r in gate.rules:
        if not r.passed:
            missing += [k for k in r.missing_keys if k not in missing]
    return {
        "lead_id": lead.pk,
        **{k: bant.get(k, rules.UNKNOWN) for k in rules.BANT_CRITERIA},
        "notes": notes,
        "gate_passed": gate.passed,
        "gate": gate.explanation,
        "missing": missing,
        "gate_source": view.gate.source.kind,
        "gate_team": view.gate.source.team_name or None,
        "gate_rules": [_rule_result_out(r) for r in gate.rules],
        "frameworks": [
            {
                "key": f.key, "name": f.framework.name, "name_zh": f.framework.name_zh,
                "met": f.progress.met, "total": f.progress.total, "percent": f.progress.percent,
                "missing": list(f.progress.missing_keys),
                "criteria": [
                    {"key": r.criterion.key, "label": r.criterion.label, "label_zh": r.criterion.label_zh,
                     "description": r.criterion.description, "state": r.state, "note": r.note,
                     "set_by": r.answer.set_by_username if r.answer else None,
                     "set_at": r.answer.set_at if r.answer else None}
                    for r in f.rows
                ],
            }
            for f in view.frameworks
        ],
    }  # fmt: skip


def framework_out(f: selectors.FrameworkInfo) -> dict:
    return {
        "key": f.key, "name": f.name, "name_zh": f.name_zh, "description": f.description,
        "description_zh": f.description_zh, "builtin": f.builtin, "active": f.active, "position": f.position,
        "criteria": [
            {"key": c.key, "label": c.label, "label_zh": c.label_zh, "description": c.description,
             "description_zh": c.description_zh, "active": c.active, "position": c.position}
            for c in f.criteria
        ],
    }  # fmt: skip


def _framework(key: str) -> selectors.FrameworkInfo:
    f = selectors.templates().get(key)
    if f is None:
        raise NotFound(f"qualification framework {key!r} does not exist")
    return f


def gate_out(team: Team | None) -> dict:
    source = selectors.gates().for_team(team.pk if team else None)
    tpl = selectors.templates()
    return {
        "team_id": team.pk if team else None,
        "team": team.name if team else None,
        "source": source.kind,
        "inherited_from": source.team_name if source.kind == "inherited" else None,
        "rules": [
            {"framework": r.framework,
             "name": (tpl.get(r.framework).name if tpl.get(r.framework) else r.framework), "kind": r.kind,
             "count": r.count, "numerator": r.numerator, "denominator": r.denominator, "threshold": r.threshold()}
            for r in source.rules
        ],
    }  # fmt: skip


def _require_gate_reader(user) -> None:
    if not (user.is_admin or user.has_role(*MANAGER_ROLES)):
        raise NotAllowed("only ops admins and sales managers may read the handoff gates")


def _rule_specs(payload: GateIn) -> list[dict]:
    specs = []
    for r in payload.rules:
        spec = r.model_dump(exclude_none=True)
        spec["kind"] = getattr(r.kind, "value", r.kind)
        specs.append(spec)
    return specs


def _team(team_id: int) -> Team:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise NotFound(f"team {team_id} does not exist")
    return team


# --- A lead's qualification --------------------------------------------------------------------------


@lead_router.get(
    "/{lead_id}/qualification", response=QualificationOut, summary="Every framework's answers and the gate"
)
def get_qualification(request, lead_id: int):
    return qualification_out(lead_get(request.auth, lead_id))


@lead_router.put(
    "/{lead_id}/qualification", response=QualificationOut, summary="Set BANT criteria (shorthand)"
)
def put_bant(request, lead_id: int, payload: BantIn):
    lead = lead_get(request.auth, lead_id)
    states = {
        k: getattr(v, "value", v) for k, v in payload.model_dump(exclude={"notes"}).items() if v is not None
    }
    unknown = sorted(set(payload.notes) - set(rules.BANT_CRITERIA))
    if unknown:
        raise InvalidInput(f"notes for unknown criteria: {', '.join(unknown)}")
    answers = {k: (states.get(k), payload.notes.get(k)) for k in {**states, **payload.notes}}
    if answers:
        services.criteria_set(lead, "bant", answers, request.auth)
    return qualification_out(lead)


@lead_router.get(
    "/{lead_id}/qualification/history", response=list[HistoryOut], summary="Every answer, newest first"
)
def get_history(request, lead_id: int, framework: str | None = None):
    lead = lead_get(request.auth, lead_id)
    if framework is not None:
        _framework(framework)
    return selectors.answer_history(lead, framework)


@lead_router.put(
    "/{lead_id}/qualification/{framework}", response=QualificationOut, summary="Set criteria of one framework"
)
def put_framework(request, lead_id: int, framework: str, payload: FrameworkAnswersIn):
    """Only the criteria given change; a state or note left out keeps its value. Unknown criteria: 422."""
    lead = lead_get(request.auth, lead_id)
    answers = {k: (getattr(v.state, "value", v.state), v.note) for k, v in payload.criteria.items()}
    services.criteria_set(lead, framework, answers, request.auth)
    return qualification_out(lead)


# --- Framework templates -----------------------------------------------------------------------------


@router.get("/frameworks", response=list[FrameworkOut], summary="Qualification frameworks (templates)")
def list_frameworks(request, include_inactive: bool = False):
    tpl = selectors.templates()
    shown = tpl.frameworks if include_inactive else [f for f in tpl.frameworks if f.active]
    return [framework_out(f) for f in shown]


@router.post("/frameworks", response={201: FrameworkOut}, summary="Create a framework (ops admins)")
def create_framework(request, payload: FrameworkIn):
    data = payload.model_dump()
    fw = services.framework_create(request.auth, **data)
    return Status(201, framework_out(_framework(fw.key)))


@router.get("/frameworks/{key}", response=FrameworkOut)
def get_framework(request, key: str):
    return framework_out(_framework(key))


@router.patch(
    "/frameworks/{key}", response=FrameworkOut, summary="Change a framework or its criteria (ops admins)"
)
def update_framework(request, key: str, payload: FrameworkPatch):
    """Criteria are matched by key: a new key adds one, ``"active": false`` deactivates one."""
    _framework(key)
    data = payload.model_dump(exclude_unset=True)
    nulls = sorted(k for k, v in data.items() if v is None)
    if nulls:
        raise InvalidInput(f"{', '.join(nulls)}: may not be null (leave out what does not change)")
    if "criteria" in data:
        data["criteria"] = [
            {k: v for k, v in c.model_dump(exclude_unset=True).items() if v is not None}
            for c in payload.criteria
        ]
    services.framework_update(key, request.auth, **data)
    return framework_out(_framework(key))


@router.delete(
    "/frameworks/{key}/criteria/{criterion}",
    response={204: None},
    summary="Delete a criterion nobody answered",
)
def delete_criterion(request, key: str, criterion: str):
    _framework(key)
    services.criterion_delete(key, criterion, request.auth)
    return Status(204, None)


# --- Handoff gates -----------------------------------------------------------------------------------


@router.get("/gates", response=list[GateOut], summary="The default gate and each team's (admins, managers)")
def list_gates(request):
    _require_gate_reader(request.auth)
    editable = selectors.teams_gate_editable(request.auth)
    teams = list(Team.objects.order_by("name")) if editable is None else editable
    return [gate_out(None)] + [gate_out(t) for t in teams]


@router.get("/gates/default", response=GateOut)
def get_default_gate(request):
    _require_gate_reader(request.auth)
    return gate_out(None)


@router.put("/gates/default", response=GateOut, summary="Replace the default handoff gate (ops admins)")
def put_default_gate(request, payload: GateIn):
    services.gate_set(None, _rule_specs(payload), request.auth)
    return gate_out(None)


@router.get("/gates/teams/{team_id}", response=GateOut)
def get_team_gate(request, team_id: int):
    _require_gate_reader(request.auth)
    return gate_out(_team(team_id))


@router.put("/gates/teams/{team_id}", response=GateOut, summary="Replace a team's handoff gate")
def put_team_gate(request, team_id: int, payload: GateIn):
    """Ops admins for any team; sales managers for their teams. ``[]`` falls back to the inherited gate."""
    team = _team(team_id)
    services.gate_set(team, _rule_specs(payload), request.auth)
    return gate_out(team)
