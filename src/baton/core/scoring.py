"""Rule scoring (spec §4.3): fit (who they are) + engagement (what they did), every point explained."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

OPERATORS = ("eq", "in", "contains", "gte", "lte", "present", "count")


@dataclass(frozen=True)
class Rule:
    kind: str  # "fit" | "engagement"
    field: str  # a lead fact, e.g. "title", "industry", "source", "behaviour.replied"
    op: str
    value: Any
    points: int
    label: str
    cap: int | None = None  # for "count": the most points this rule may give


@dataclass(frozen=True)
class Factor:
    kind: str
    label: str
    points: int
    field: str


@dataclass(frozen=True)
class Score:
    fit: int
    engagement: int
    total: int
    grade: str  # fit letter A–D + engagement digit 1–4, e.g. "B2"
    factors: tuple[Factor, ...] = field(default_factory=tuple)

    def factors_as_dicts(self) -> list[dict]:
        return [
            {"kind": f.kind, "label": f.label, "points": f.points, "field": f.field} for f in self.factors
        ]


FIT_GRADES = ((60, "A"), (40, "B"), (20, "C"))
ENGAGEMENT_GRADES = ((60, "1"), (30, "2"), (10, "3"))


def _norm(v: Any) -> str:
    return str(v).strip().casefold() if v is not None else ""


def _needles(rule: Rule) -> tuple[str, ...]:
    """The rule's value(s), normalised once per rule object (rules are loaded once, facts vary)."""
    cached = rule.__dict__.get("_needles")
    if cached is None:
        values = rule.value if isinstance(rule.value, list | tuple) else [rule.value]
        cached = tuple(_norm(v) for v in values)
        object.__setattr__(rule, "_needles", cached)  # a cache, not state: equality ignores it
    return cached


def _matches(rule: Rule, value: Any, normed: str | None = None) -> bool:
    if rule.op == "present":
        return value not in (None, "", 0)
    if rule.op in ("eq", "in", "contains"):
        hay = _norm(value) if normed is None else normed
        needles = _needles(rule)
        if rule.op == "contains":
            return bool(hay) and any(n in hay for n in needles)
        return hay in needles if rule.op == "in" else hay == needles[0]
    if rule.op in ("gte", "lte"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return False
        return number >= float(rule.value) if rule.op == "gte" else number <= float(rule.value)
    raise ValueError(f"unknown operator {rule.op!r}; use one of {', '.join(OPERATORS)}")


def _grade(points: int, table: Sequence[tuple[int, str]], last: str) -> str:
    for threshold, grade in table:
        if points >= threshold:
            return grade
    return last


def score(rules: Sequence[Rule], facts: Mapping[str, Any]) -> Score:
    factors: list[Factor] = []
    normed: dict[str, str] = {}  # each fact normalised once, however many rules read it
    for rule in rules:
        value = facts.get(rule.field)
        if rule.op == "count":
            count = int(value or 0)
            if count <= 0:
                continue
            points = rule.points * count
            if rule.cap is not None:
                points = min(points, rule.cap)
            label = f"{rule.label} ×{count}" if count > 1 else rule.label
            factors.append(Factor(rule.kind, label, points, rule.field))
        elif _matches(rule, value, normed.get(rule.field) if rule.field in normed else
                      normed.setdefault(rule.field, _norm(value))):  # fmt: skip
            factors.append(Factor(rule.kind, rule.label, rule.points, rule.field))
    fit = max(0, sum(f.points for f in factors if f.kind == "fit"))
    engagement = max(0, sum(f.points for f in factors if f.kind == "engagement"))
    grade = _grade(fit, FIT_GRADES, "D") + _grade(engagement, ENGAGEMENT_GRADES, "4")
    return Score(fit, engagement, fit + engagement, grade, tuple(factors))


def score_key(rules: Sequence[Rule], facts: Mapping[str, Any]) -> tuple:
    """What the rules can see of these facts: two leads with the same key get the same score.

    Lets a bulk caller score each distinct profile once (an import's leads share a few hundred).
    Each rule contributes whether it matches (a count rule: its count), so profiles that differ only in
    what no rule looks at share a key.
    """
    key = []
    normed: dict[str, str] = {}
    for rule in rules:
        value = facts.get(rule.field)
        if rule.op == "count":
            key.append(int(value or 0))
        else:
            key.append(_matches(rule, value, normed.get(rule.field) if rule.field in normed else
                                normed.setdefault(rule.field, _norm(value))))  # fmt: skip
    return tuple(key)


def validate_rule(rule: Rule) -> None:
    if rule.kind not in ("fit", "engagement"):
        raise ValueError("kind must be 'fit' or 'engagement'")
    if rule.op not in OPERATORS:
        raise ValueError(f"op must be one of {', '.join(OPERATORS)}")
    if rule.op == "in" and not isinstance(rule.value, list | tuple):
        raise ValueError("op 'in' needs a list value")
