"""Reads of qualification: the templates and gates (cached per process), a lead's answers, its progress
per framework, and the handoff gate that applies to it."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction

from baton import clock, localcache
from baton.core import qualification as rules
from baton.org.models import MANAGER_ROLES, Team, User
from baton.org.selectors import subtree_user_ids
from baton.qualification.builtins import seed_builtins
from baton.qualification.models import Criterion, CriterionAnswer, Framework, GateRule

TEMPLATES_CACHE_KEY = "qualification-templates"
GATES_CACHE_KEY = "qualification-gates"


# --- Templates -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionInfo:
    id: int
    key: str
    label: str
    label_zh: str
    description: str
    description_zh: str
    active: bool
    position: int


@dataclass(frozen=True)
class FrameworkInfo:
    id: int
    key: str
    name: str
    name_zh: str
    description: str
    description_zh: str
    builtin: bool
    active: bool
    position: int
    criteria: tuple[CriterionInfo, ...]  # active or not, in order

    @property
    def active_criteria(self) -> tuple[CriterionInfo, ...]:
        return tuple(c for c in self.criteria if c.active)

    def criterion(self, key: str) -> CriterionInfo | None:
        return next((c for c in self.criteria if c.key == key), None)

    def core(self) -> rules.Framework:
        """The framework as the gate sees it: its active criteria only."""
        return rules.Framework(
            self.key,
            self.name,
            tuple(rules.Criterion(c.key, c.label, c.label_zh, c.description, c.description_zh)
                  for c in self.active_criteria),
            name_zh=self.name_zh,
        )  # fmt: skip


@dataclass(frozen=True)
class Templates:
    frameworks: tuple[FrameworkInfo, ...]

    def get(self, key: str) -> FrameworkInfo | None:
        return next((f for f in self.frameworks if f.key == key), None)

    @property
    def active(self) -> tuple[FrameworkInfo, ...]:
        """The frameworks a lead is qualified with: active, with at least one active criterion."""
        return tuple(f for f in self.frameworks if f.active and f.active_criteria)

    def by_criterion_id(self) -> dict[int, tuple[FrameworkInfo, CriterionInfo]]:
        return {c.id: (f, c) for f in self.frameworks for c in f.criteria}


def _load_templates() -> Templates:
    frameworks = list(Framework.objects.order_by("position", "id"))
    known = {f.key for f in frameworks}
    if any(fw.key not in known for fw in rules.BUILTIN_FRAMEWORKS):
        # A database without them (the migration seeds them; a flushed test database does not have them).
        try:
            with transaction.atomic():
                seed_builtins(Framework, Criterion, clock.now())
        except IntegrityError:  # another process seeded them at the same moment
            pass
        frameworks = list(Framework.objects.order_by("position", "id"))
    criteria: dict[int, list[CriterionInfo]] = {}
    for c in Criterion.objects.order_by("position", "id"):
        criteria.setdefault(c.framework_id, []).append(
            CriterionInfo(
                c.pk, c.key, c.label, c.label_zh, c.description, c.description_zh, c.active, c.position
            )  # fmt: skip
        )
    return Templates(
        tuple(
            FrameworkInfo(
                f.pk,
                f.key,
                f.name,
                f.name_zh,
                f.description,
                f.description_zh,
                f.builtin,
                f.active,
                f.position,
                tuple(criteria.get(f.pk, ())),
            )  # fmt: skip
            for f in frameworks
        )
    )


def templates() -> Templates:
    return localcache.get(TEMPLATES_CACHE_KEY, _load_templates)


def answer_counts() -> dict[int, int]:
    """Criterion id → how many answers it has (the settings page: answered criteria cannot be deleted)."""
    from django.db.models import Count

    rows = CriterionAnswer.objects.values("criterion_id").annotate(n=Count("id"))
    return {r["criterion_id"]: r["n"] for r in rows}


# --- Gates -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gates:
    rules: dict[int | None, tuple[rules.GateRule, ...]]  # team id (None: the default) → its own rules
    parents: dict[int, int | None]
    names: dict[int, str]

    def for_team(self, team_id: int | None) -> "GateSource":
        """The team's own gate, else its nearest ancestor's, else the default, else BANT ≥ 3."""
        seen: set[int] = set()
        current = team_id
        while current is not None and current not in seen:
            seen.add(current)
            if current in self.rules:
                kind = "team" if current == team_id else "inherited"
                return GateSource(kind, current, self.names.get(current, ""), self.rules[current])
            current = self.parents.get(current)
        if None in self.rules:
            return GateSource("default", None, "", self.rules[None])
        return GateSource("builtin", None, "", rules.DEFAULT_GATE)


@dataclass(frozen=True)
class GateSource:
    kind: str  # team, inherited (from an ancestor team), default (the organisation's), builtin (BANT ≥ 3)
    team_id: int | None
    team_name: str
    rules: tuple[rules.GateRule, ...]


def _load_gates() -> Gates:
    own: dict[int | None, list[rules.GateRule]] = {}
    for row in GateRule.objects.select_related("framework").order_by("position", "id"):
        own.setdefault(row.team_id, []).append(row.as_rule(row.framework.key))
    teams = list(Team.objects.values_list("pk", "parent_id", "name"))
    return Gates(
        {k: tuple(v) for k, v in own.items()},
        {pk: parent for pk, parent, _ in teams},
        {pk: name for pk, _, name in teams},
    )


def gates() -> Gates:
    return localcache.get(GATES_CACHE_KEY, _load_gates)


def gate_team_id(lead) -> int | None:
    """Whose gate a lead passes: its owner's team (the SDR team that works it); none: the default."""
    if lead.owner_id is None:
        return None
    return lead.owner.team_id


def teams_gate_editable(user: User) -> list[Team] | None:
    """The teams whose gate ``user`` may set: all for ops admins (None), else a manager's own team, the
    teams of their reports and the teams below those; nobody else any."""
    if user.is_admin:
        return None
    if not user.has_role(*MANAGER_ROLES):
        return []
    ids = set(
        User.objects.filter(pk__in=subtree_user_ids(user), team__isnull=False).values_list(
            "team_id", flat=True
        )
    )
    children: dict[int, list[int]] = {}
    for pk, parent in Team.objects.values_list("pk", "parent_id"):
        if parent is not None:
            children.setdefault(parent, []).append(pk)
    frontier = list(ids)
    while frontier:
        frontier = [c for t in frontier for c in children.get(t, ()) if c not in ids]
        ids.update(frontier)
    return list(Team.objects.filter(pk__in=ids).order_by("name"))


def can_edit_gate(user: User, team: Team | None) -> bool:
    editable = teams_gate_editable(user)
    if editable is None:
        return True
    return team is not None and any(t.pk == team.pk for t in editable)


# --- A lead's answers, progress and gate ----------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    state: str
    note: str
    set_by_id: int | None
    set_by: str  # the display name
    set_by_username: str
    set_at: datetime


def _user_label(display_name: str | None, username: str | None) -> str:
    return display_name or username or ""


def lead_answers(lead) -> dict[int, Answer]:
    """Criterion id → the lead's current answer (the latest by set_at, then id). One query."""
    rows = (
        CriterionAnswer.objects.filter(lead_id=lead.pk)
        .order_by("set_at", "id")
        .values_list(
            "criterion_id", "state", "note", "set_by_id", "set_by__display_name", "set_by__username", "set_at"
        )  # fmt: skip
    )
    return {
        cid: Answer(state, note, by_id, _user_label(name, username), username or "", at)
        for cid, state, note, by_id, name, username, at in rows
    }


def answer_history(lead, framework_key: str | None = None) -> list[dict]:
    """Every answer the lead ever got, newest first (optionally of one framework)."""
    qs = CriterionAnswer.objects.filter(lead_id=lead.pk).select_related("criterion__framework", "set_by")
    if framework_key:
        qs = qs.filter(criterion__framework__key=framework_key)
    return [
        {
            "framework": a.criterion.framework.key,
            "criterion": a.criterion.key,
            "label": a.criterion.label,
            "state": a.state,
            "note": a.note,
            "set_by": a.set_by.username if a.set_by else None,
            "set_at": a.set_at,
        }
        for a in qs.order_by("-set_at", "-id")
    ]


def states_of(templates_: Templates, answers: dict[int, Answer]) -> dict[str, dict[str, str]]:
    """Framework key → criterion key → state, for active criteria (answers of deactivated ones are kept
    but do not count)."""
    out: dict[str, dict[str, str]] = {f.key: {} for f in templates_.frameworks}
    for f in templates_.frameworks:
        for c in f.active_criteria:
            if c.id in answers:
                out[f.key][c.key] = answers[c.id].state
    return out


def evaluate(source: GateSource, templates_: Templates, answers: dict[int, Answer]) -> rules.GateResult:
    frameworks = {f.key: f.core() for f in templates_.frameworks}
    return rules.evaluate_gate(source.rules, frameworks, states_of(templates_, answers))


OWNER_TEAM = ...  # the default of ``team`` below: the lead owner's team


def _team_id(lead, team) -> int | None:
    if team is OWNER_TEAM:
        return gate_team_id(lead)
    return team.pk if isinstance(team, Team) else team


def handoff_gate(lead, team: Team | int | None = OWNER_TEAM, *, answers: dict[int, Answer] | None = None):
    """The handoff gate for ``lead`` under ``team``'s rules (default: the owner's team); a GateResult."""
    return gate_view(lead, team, answers=answers).result


@dataclass(frozen=True)
class GateView:
    result: rules.GateResult
    source: GateSource

    @property
    def passed(self) -> bool:
        return self.result.passed


def gate_view(
    lead, team: Team | int | None = OWNER_TEAM, *, answers: dict[int, Answer] | None = None
) -> GateView:
    source = gates().for_team(_team_id(lead, team))
    tpl = templates()
    result = evaluate(source, tpl, lead_answers(lead) if answers is None else answers)
    return GateView(result, source)


@dataclass(frozen=True)
class CriterionRow:
    criterion: CriterionInfo
    answer: Answer | None

    @property
    def state(self) -> str:
        return self.answer.state if self.answer else rules.UNKNOWN

    @property
    def note(self) -> str:
        return self.answer.note if self.answer else ""


@dataclass(frozen=True)
class FrameworkProgress:
    framework: FrameworkInfo
    rows: tuple[CriterionRow, ...]
    progress: rules.Progress
    gate_rules: tuple[rules.RuleResult, ...] = field(default=())

    @property
    def key(self) -> str:
        return self.framework.key

    @property
    def missing(self) -> tuple[CriterionInfo, ...]:
        return tuple(r.criterion for r in self.rows if r.state != rules.MET)

    @property
    def in_gate(self) -> bool:
        return bool(self.gate_rules)

    @property
    def gate_passed(self) -> bool:
        return all(r.passed for r in self.gate_rules)


@dataclass(frozen=True)
class LeadQualification:
    frameworks: tuple[FrameworkProgress, ...]
    gate: GateView

    def framework(self, key: str) -> FrameworkProgress | None:
        return next((f for f in self.frameworks if f.key == key), None)

    def gate_missing(self) -> list[tuple[FrameworkProgress, rules.RuleResult, list[CriterionInfo]]]:
        """For each failing rule: its framework, the result and the criteria not yet met."""
        out = []
        for rule in self.gate.result.rules:
            if rule.passed:
                continue
            fp = self.framework(rule.rule.framework)
            if fp is not None:
                out.append((fp, rule, [c for c in fp.missing if c.key in rule.missing_keys]))
        return out


def lead_qualification(lead, team: Team | int | None = OWNER_TEAM) -> LeadQualification:
    """Progress per active framework (met / total, what is missing) and the handoff gate. Two queries
    when the templates and gates are cached: the answers, and the owner's team if not loaded."""
    tpl = templates()
    answers = lead_answers(lead)
    gate = gate_view(lead, team, answers=answers)
    by_framework: dict[str, list[rules.RuleResult]] = {}
    for r in gate.result.rules:
        by_framework.setdefault(r.rule.framework, []).append(r)
    states = states_of(tpl, answers)
    shown: Iterable[FrameworkInfo] = tpl.active
    # A framework in the gate is shown even if it was deactivated later (its rule still counts).
    shown = list(shown) + [
        f for f in tpl.frameworks if f.key in by_framework and f not in shown and f.active_criteria
    ]
    out = []
    for f in shown:
        rows = tuple(CriterionRow(c, answers.get(c.id)) for c in f.active_criteria)
        out.append(
            FrameworkProgress(
                f, rows, rules.progress(f.core(), states[f.key]), tuple(by_framework.get(f.key, ()))
            )
        )
    return LeadQualification(tuple(out), gate)


def bant_states(lead, answers: dict[int, Answer] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """The lead's BANT states and notes in the shape older clients know (every criterion present)."""
    tpl = templates()
    answers = lead_answers(lead) if answers is None else answers
    bant = tpl.get("bant")
    states = {k: rules.UNKNOWN for k in rules.BANT_CRITERIA}
    notes: dict[str, str] = {}
    if bant is not None:
        for c in bant.criteria:
            a = answers.get(c.id)
            if a is not None:
                states[c.key] = a.state
                if a.note:
                    notes[c.key] = a.note
    return states, notes
