"""Rule scoring (spec §4.3): fit (who they are) + engagement (what they did), every point explained.

A scoring model is a list of rules plus two threshold tables:

- **fit rules** test a lead fact (title, seniority, industry, company size, region, source, an imported
  ``extra.<key>`` column such as a budget band…) and give their points when they match;
- **engagement rules** either test a fact the same way (e.g. the lead came through a high-intent
  channel) or count a behaviour (``op="count"`` on ``behaviour.<kind>``): ``points`` per event, at most
  ``cap`` in all, and with ``half_life_days`` each event counts ``0.5 ** (age / half_life)`` of itself,
  so an event one half-life old is worth half;
- the **grade thresholds** turn fit points into a letter (A–D) and engagement points into a digit (1–4):
  the grade matrix, e.g. "B2";
- the **lifecycle thresholds** (bands) are an ordered table: the first row whose fit letter, engagement
  digit and minimum total a lead meets gives its band — ``handoff_ready`` or ``sdr_queue`` —, and a lead
  that meets none is in ``nurture``.

Engagement = (points of the matching fact rules) + (each count rule's contribution, in rule order),
rounded half up and never below 0. Fit = the sum of the matching fit rules, never below 0.

Two implementations of the same arithmetic: ``score`` (one lead; the reference, and what a capture or an
import of a lead without behaviour uses) and ``BulkScorer`` (many leads at once with numpy: each distinct
profile scored once, behaviour contributions as array operations). Tests check they agree.

Pure: no Django, no I/O, no clock reads (callers pass ``now``).
"""

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from baton.core.behaviour import KINDS as EVENT_KINDS

OPERATORS = ("eq", "in", "contains", "gte", "lte", "between", "present", "count")
KINDS = ("fit", "engagement")

# Lead facts a rule may test, and imported columns as ``extra.<key>`` (e.g. ``extra.budget``).
PROFILE_FIELDS = (
    "title", "seniority", "industry", "company_size", "region", "city", "source", "source_detail", "direction",
    "email", "phone", "company", "website_domain",
)  # fmt: skip
EXTRA_PREFIX = "extra."
_EXTRA_KEY = re.compile(r"^[\w .\-/]{1,60}$")
# Behaviour a count rule may count: what the lead did (behaviour events) and what came of our touches.
TOUCH_BEHAVIOURS = ("replied", "connected", "meeting_booked", "meeting_held", "inbound")
BEHAVIOURS = TOUCH_BEHAVIOURS + tuple(EVENT_KINDS)
BEHAVIOUR_FIELDS = tuple(f"behaviour.{b}" for b in BEHAVIOURS)

FIT_LETTERS = "ABCD"
ENGAGEMENT_DIGITS = "1234"
NURTURE, SDR_QUEUE, HANDOFF_READY = "nurture", "sdr_queue", "handoff_ready"
BANDS = (NURTURE, SDR_QUEUE, HANDOFF_READY)  # from cold to hot
DEFAULT_BAND = NURTURE  # a lead that meets no lifecycle threshold

# Behaviour reported a little ahead of our clock counts as happening now (core.behaviour accepts it).
EVENT_SKEW_DAYS = 5 / 1440
MAX_HALF_LIFE_DAYS = 3650
MIN_REFRESH_DAYS = 1 / 24  # a decaying score is refreshed at most hourly


@dataclass(frozen=True)
class Rule:
    kind: str  # "fit" | "engagement"
    field: str  # a lead fact, e.g. "title", "seniority", "extra.budget", or "behaviour.replied" (count)
    op: str
    value: Any
    points: int
    label: str
    cap: int | None = None  # for "count": the most points this rule may give
    half_life_days: float | None = None  # for "count": each event decays by half every so many days


@dataclass(frozen=True)
class Grades:
    """Cut-offs: fit points for A, B, C (else D); engagement points for 1, 2, 3 (else 4)."""

    fit: tuple[int, int, int] = (60, 40, 20)
    engagement: tuple[int, int, int] = (60, 30, 10)


@dataclass(frozen=True)
class BandRule:
    """A lifecycle threshold: a lead whose fit letter is ``fit`` or better, whose engagement digit is
    ``engagement`` or better and whose total is at least ``min_total`` is in ``band``."""

    band: str
    fit: str = "D"
    engagement: str = "4"
    min_total: int = 0

    def as_dict(self) -> dict:
        return {
            "band": self.band,
            "fit": self.fit,
            "engagement": self.engagement,
            "min_total": self.min_total,
        }


DEFAULT_GRADES = Grades()
DEFAULT_BANDS = (
    BandRule(HANDOFF_READY, "A", "2"),
    BandRule(HANDOFF_READY, "B", "1"),
    BandRule(SDR_QUEUE, "B", "3"),
    BandRule(SDR_QUEUE, "C", "2"),
    BandRule(SDR_QUEUE, "D", "1"),
)


class RuleSet(list):
    """The rules of one scoring model, with its version and thresholds (a list of ``Rule``, so every
    caller that takes "the rules" takes it). A plain list of rules scores with the default thresholds."""

    def __init__(self, rules=(), *, version: int | None = None, name: str = "", grades: Grades = DEFAULT_GRADES,
                 bands: Sequence[BandRule] = DEFAULT_BANDS):  # fmt: skip
        super().__init__(rules)
        self.version = version
        self.name = name
        self.grades = grades
        self.bands = tuple(bands)


def _grades_of(rules) -> Grades:
    return getattr(rules, "grades", DEFAULT_GRADES)


def _bands_of(rules) -> tuple[BandRule, ...]:
    return getattr(rules, "bands", DEFAULT_BANDS)


@dataclass(frozen=True)
class Factor:
    kind: str
    label: str
    points: float  # a whole number, except a decayed count's contribution (2 decimals)
    field: str
    count: int | None = None  # count rules: the events counted
    decayed: float | None = None  # count rules with a half-life: the events' decayed weight (3 decimals)
    half_life_days: float | None = None

    def as_dict(self) -> dict:
        d = {"kind": self.kind, "label": self.label, "points": self.points, "field": self.field}
        if self.count is not None:
            d["count"] = self.count
        if self.half_life_days is not None:
            d["decayed"], d["half_life_days"] = self.decayed, self.half_life_days
        return d


@dataclass(frozen=True)
class Score:
    fit: int
    engagement: int
    total: int
    grade: str  # fit letter A–D + engagement digit 1–4, e.g. "B2"
    factors: tuple[Factor, ...] = field(default_factory=tuple)
    band: str = ""  # nurture | sdr_queue | handoff_ready
    band_rule: int | None = None  # the lifecycle threshold (0-based) that gave the band; None: none met
    band_reason: str = ""
    version: int | None = None  # the scoring model's version

    def factors_as_dicts(self) -> list[dict]:
        return [f.as_dict() for f in self.factors]


# --- Matching one fact -------------------------------------------------------------------------


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


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _matches(rule: Rule, value: Any, normed: str | None = None) -> bool:
    if rule.op == "present":
        return value not in (None, "", 0)
    if rule.op in ("eq", "in", "contains"):
        hay = _norm(value) if normed is None else normed
        needles = _needles(rule)
        if rule.op == "contains":
            return bool(hay) and any(n in hay for n in needles)
        return hay in needles if rule.op == "in" else hay == needles[0]
    if rule.op in ("gte", "lte", "between"):
        number = _number(value)
        if number is None:
            return False
        if rule.op == "between":  # [low, high): either end may be None (open)
            low, high = rule.value
            return (low is None or number >= float(low)) and (high is None or number < float(high))
        return number >= float(rule.value) if rule.op == "gte" else number <= float(rule.value)
    raise ValueError(f"unknown operator {rule.op!r}; use one of {', '.join(OPERATORS)}")


# --- Decay, grades and bands ---------------------------------------------------------------------


def decay_weight(age_days: float, half_life_days: float | None) -> float:
    """What one event of this age counts for: 1 without a half-life, else 0.5 ** (age / half-life)."""
    if half_life_days is None:
        return 1.0
    return 0.5 ** (max(0.0, age_days) / half_life_days)


def _capped(points: float, cap: int | None) -> float:
    if cap is None:
        return points
    return min(points, cap) if points >= 0 else max(points, -cap)


def round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def _grade_index(points: int, cuts: Sequence[int]) -> int:
    for i, cut in enumerate(cuts):
        if points >= cut:
            return i
    return len(cuts)


def grade(fit: int, engagement: int, grades: Grades = DEFAULT_GRADES) -> str:
    return (
        FIT_LETTERS[_grade_index(fit, grades.fit)]
        + ENGAGEMENT_DIGITS[_grade_index(engagement, grades.engagement)]
    )


def band_rule_matches(rule: BandRule, grade_: str, total: int) -> bool:
    return (
        FIT_LETTERS.index(grade_[0]) <= FIT_LETTERS.index(rule.fit)
        and ENGAGEMENT_DIGITS.index(grade_[1]) <= ENGAGEMENT_DIGITS.index(rule.engagement)
        and total >= rule.min_total
    )


def describe_band_rule(rule: BandRule) -> str:
    parts = [f"fit {rule.fit} or better" if rule.fit != "D" else "any fit",
             f"engagement {rule.engagement} or better" if rule.engagement != "4" else "any engagement"]  # fmt: skip
    if rule.min_total:
        parts.append(f"score ≥ {rule.min_total}")
    return ", ".join(parts)


def band(grade_: str, total: int, bands: Sequence[BandRule] = DEFAULT_BANDS) -> tuple[str, int | None, str]:
    """The lifecycle band of a grade and total: (band, index of the threshold that gave it, why)."""
    for i, rule in enumerate(bands):
        if band_rule_matches(rule, grade_, total):
            return (
                rule.band,
                i,
                f"{grade_}, score {total}: threshold {i + 1} ({describe_band_rule(rule)}) → {rule.band}",
            )
    return DEFAULT_BAND, None, f"{grade_}, score {total}: no threshold met → {DEFAULT_BAND}"


# --- One lead ------------------------------------------------------------------------------------


def _fact(facts: Mapping[str, Any], name: str) -> Any:
    if name in facts:
        return facts[name]
    if name.startswith(EXTRA_PREFIX):
        extra = facts.get("extra")
        if isinstance(extra, Mapping):
            return extra.get(name[len(EXTRA_PREFIX) :])
    return None


def score(
    rules: Sequence[Rule],
    facts: Mapping[str, Any],
    *,
    now: datetime | None = None,
    events: Mapping[str, Sequence[datetime]] | None = None,
) -> Score:
    """Score one lead.

    ``facts`` holds the lead's fields (``extra.<key>`` is read from ``facts["extra"]`` too) and, for
    count rules, ``behaviour.<name>`` counts. With ``now`` and ``events`` (the times of each behaviour,
    by field), count rules count the events up to ``now`` and decay them by their half-life; without,
    the counts in ``facts`` count in full (no decay), as before versioned models. ``rules`` may be a
    ``RuleSet``: its grade and lifecycle thresholds and version apply.
    """
    static: list[Factor] = []
    counted: list[Factor] = []
    fit_points = static_engagement = 0
    contributions: list[float] = []
    normed: dict[str, str] = {}  # each fact normalised once, however many rules read it
    for rule in rules:
        if rule.op == "count":
            times = events.get(rule.field, ()) if (events is not None and now is not None) else None
            if times is None:
                count = int(_fact(facts, rule.field) or 0)
                decayed = float(count)
            else:
                ages = [(now - t).total_seconds() / 86400 for t in times]
                ages = sorted(
                    (max(0.0, a) for a in ages if a >= -EVENT_SKEW_DAYS), reverse=True
                )  # oldest first
                count = len(ages)
                decayed = 0.0
                for age in ages:
                    decayed += decay_weight(age, rule.half_life_days)
            if count <= 0:
                continue
            contribution = _capped(rule.points * decayed, rule.cap)
            contributions.append(contribution)
            label = f"{rule.label} ×{count}" if count > 1 else rule.label
            if rule.half_life_days is None:
                counted.append(Factor(rule.kind, label, round_half_up(contribution), rule.field, count))
            else:
                counted.append(Factor(rule.kind, label, round(contribution, 2), rule.field, count,
                                      round(decayed, 3), rule.half_life_days))  # fmt: skip
            continue
        value = _fact(facts, rule.field)
        hay = normed.get(rule.field)
        if hay is None:
            hay = normed[rule.field] = _norm(value)
        if _matches(rule, value, hay):
            static.append(Factor(rule.kind, rule.label, rule.points, rule.field))
            if rule.kind == "fit":
                fit_points += rule.points
            else:
                static_engagement += rule.points
    engagement_exact = float(static_engagement)
    for c in contributions:  # the canonical order: fact rules' points first, then each count rule
        engagement_exact += c
    fit = max(0, fit_points)
    engagement = max(0, round_half_up(engagement_exact))
    g = grade(fit, engagement, _grades_of(rules))
    b, b_rule, reason = band(g, fit + engagement, _bands_of(rules))
    return Score(fit, engagement, fit + engagement, g, tuple(static + counted), b, b_rule, reason,
                 getattr(rules, "version", None))  # fmt: skip


def score_key(rules: Sequence[Rule], facts: Mapping[str, Any]) -> tuple:
    """What the rules can see of these facts: two leads with the same key get the same score.

    Lets a bulk caller score each distinct profile once (an import's leads share a few hundred).
    Each rule contributes whether it matches (a count rule: its count), so profiles that differ only in
    what no rule looks at share a key. (Without ``now``/``events``: counts count in full.)
    """
    key = []
    normed: dict[str, str] = {}
    for rule in rules:
        value = _fact(facts, rule.field)
        if rule.op == "count":
            key.append(int(value or 0))
        else:
            hay = normed.get(rule.field)
            if hay is None:
                hay = normed[rule.field] = _norm(value)
            key.append(_matches(rule, value, hay))
    return tuple(key)


def next_change_days(
    static_engagement: float, decaying: Sequence[float], half_lives: Sequence[float], held_days: float = 0.0
) -> float | None:
    """In how many days, at the earliest, the rounded engagement can change by decay alone (None: never).

    ``decaying`` are the contributions of count rules with a half-life (``half_lives``); the rest of
    the engagement (``static_engagement``) does not move with time. Each contribution c(t) lies between
    c·2^(-t/h_min) and c (caps only slow the fall), so the rounded value stays put at least while the
    positive ones can lose no more than the distance to the next half point below, and the negative
    ones recover no more than the distance to the one above. The answer is conservative: at that time
    the value may still be the same, and the caller computes the next one. ``held_days``: how long every
    contribution stays where it is (capped contributions hold at their cap; ``BulkScorer`` computes it).
    """
    positive = sum(c for c in decaying if c > 0)
    negative = -sum(c for c in decaying if c < 0)
    if positive == 0 and negative == 0:
        return None
    exact = static_engagement + positive - negative
    rounded = round_half_up(exact)
    if rounded <= 0 and negative == 0:
        return None  # already clamped at 0 and only falling
    h = min(half_lives)
    days = _due_days(exact - rounded + 0.5, rounded + 0.5 - exact, positive, negative, h, 0.0)
    return None if days is None else max(MIN_REFRESH_DAYS, held_days + days)


def _due_days(
    below: float, above: float, positive: float, negative: float, h: float, floor: float
) -> float | None:
    u = math.inf
    if positive > 0:
        u = min(u, below / positive)
    if negative > 0:
        u = min(u, above / negative)
    if u >= 1:
        return None
    return max(floor, -h * math.log2(1 - u))


# --- Validation ------------------------------------------------------------------------------------


def field_problem(field_: str) -> str:
    """Why ``field_`` is not a fact a rule may read ("" when it is)."""
    if field_ in PROFILE_FIELDS or field_ in BEHAVIOUR_FIELDS:
        return ""
    if field_.startswith(EXTRA_PREFIX):
        if _EXTRA_KEY.match(field_[len(EXTRA_PREFIX) :]):
            return ""
        return "an imported column is extra.<name> (letters, digits, spaces, . - / _; at most 60)"
    return (
        f"unknown field {field_!r}; use one of {', '.join(PROFILE_FIELDS)}, extra.<column>, "
        f"or for counts {', '.join(BEHAVIOUR_FIELDS)}"
    )


def rule_problems(rule: Rule) -> dict[str, str]:
    """What is wrong with a rule, by attribute (empty when nothing is)."""
    p: dict[str, str] = {}
    if rule.kind not in KINDS:
        p["kind"] = "kind must be 'fit' or 'engagement'"
    if not isinstance(rule.field, str) or (problem := field_problem(rule.field)):
        p["field"] = problem if isinstance(rule.field, str) else "must be a text"
    if rule.op not in OPERATORS:
        p["op"] = f"unknown operator {rule.op!r}; use one of {', '.join(OPERATORS)}"
    if not isinstance(rule.label, str) or not rule.label.strip():
        p["label"] = "every rule needs a label (it explains the points)"
    elif len(rule.label) > 120:
        p["label"] = "at most 120 characters"
    if isinstance(rule.points, bool) or not isinstance(rule.points, int) or abs(rule.points) > 1000:
        p["points"] = "must be a whole number between -1000 and 1000"
    behaviour = isinstance(rule.field, str) and rule.field in BEHAVIOUR_FIELDS
    if rule.op == "count":
        if rule.kind != "engagement":
            p["op"] = "only engagement rules count behaviour"
        elif not behaviour and "field" not in p:
            p["field"] = f"a count rule counts a behaviour: one of {', '.join(BEHAVIOUR_FIELDS)}"
    elif behaviour and "op" not in p:
        p["op"] = "behaviour is counted: use op 'count'"
    if rule.cap is not None:
        if rule.op != "count":
            p["cap"] = "only count rules have a cap"
        elif isinstance(rule.cap, bool) or not isinstance(rule.cap, int) or rule.cap < 0:
            p["cap"] = "must be a whole number ≥ 0"
    if rule.half_life_days is not None:
        if rule.op != "count":
            p["half_life_days"] = "only count rules decay"
        elif (isinstance(rule.half_life_days, bool) or not isinstance(rule.half_life_days, int | float)
              or math.isnan(rule.half_life_days) or not 0 < rule.half_life_days <= MAX_HALF_LIFE_DAYS):  # fmt: skip
            p["half_life_days"] = f"must be a number of days above 0 and at most {MAX_HALF_LIFE_DAYS}"
    if rule.op in OPERATORS and "value" not in p and (problem := _value_problem(rule)):
        p["value"] = problem
    return p


def _value_problem(rule: Rule) -> str:
    v = rule.value
    if rule.op == "in" or (rule.op == "contains" and isinstance(v, list | tuple)):
        if not isinstance(v, list | tuple) or not v:
            return f"op {rule.op!r} needs a non-empty list of values"
        if not all(isinstance(x, str | int | float) and not isinstance(x, bool) for x in v):
            return "the values must be texts or numbers"
        if len(v) > 200:
            return "at most 200 values"
    elif rule.op in ("eq", "contains"):
        if not isinstance(v, str | int | float) or isinstance(v, bool) or _norm(v) == "":
            return f"op {rule.op!r} needs a value"
    elif rule.op in ("gte", "lte"):
        if _number(v) is None or isinstance(v, str):
            return f"op {rule.op!r} needs a number"
    elif rule.op == "between":
        if not isinstance(v, list | tuple) or len(v) != 2:
            return "op 'between' needs [low, high] (either may be null)"
        low, high = v
        if (
            any(x is not None and (isinstance(x, str) or _number(x) is None) for x in v)
            or low is high is None
        ):
            return "op 'between' needs numbers [low, high] (one of them may be null)"
        if low is not None and high is not None and float(low) >= float(high):
            return "op 'between' needs low < high"
    return ""


def validate_rule(rule: Rule) -> None:
    problems = rule_problems(rule)
    if problems:
        raise ValueError("; ".join(f"{k}: {v}" for k, v in problems.items()))


def grades_problems(grades: Grades) -> dict[str, str]:
    p: dict[str, str] = {}
    for name, cuts, names in (("fit", grades.fit, "A, B, C"), ("engagement", grades.engagement, "1, 2, 3")):
        if len(cuts) != 3 or any(isinstance(c, bool) or not isinstance(c, int) for c in cuts):
            p[name] = f"three whole numbers, the cut-offs for {names}"
        elif not cuts[0] > cuts[1] > cuts[2]:
            p[name] = (
                f"the cut-offs for {names} must go down strictly (e.g. 60, 40, 20); got {', '.join(map(str, cuts))}"
            )
        elif cuts[2] < 0 or cuts[0] > 10000:
            p[name] = "cut-offs must be between 0 and 10000"
    return p


def bands_problems(bands: Sequence[BandRule]) -> dict[str, str]:
    p: dict[str, str] = {}
    if len(bands) > 20:
        p["bands"] = "at most 20 thresholds"
    for i, rule in enumerate(bands):
        where = f"bands[{i}]"
        if rule.band not in (SDR_QUEUE, HANDOFF_READY):
            p[f"{where}.band"] = (
                f"unknown band {rule.band!r}; use {SDR_QUEUE} or {HANDOFF_READY} ({NURTURE} is what meets none)"
            )
        if not isinstance(rule.fit, str) or rule.fit not in FIT_LETTERS or len(rule.fit) != 1:
            p[f"{where}.fit"] = "one of A, B, C, D"
        if (
            not isinstance(rule.engagement, str)
            or rule.engagement not in ENGAGEMENT_DIGITS
            or len(rule.engagement) != 1
        ):
            p[f"{where}.engagement"] = "one of 1, 2, 3, 4"
        if isinstance(rule.min_total, bool) or not isinstance(rule.min_total, int) or rule.min_total < 0:
            p[f"{where}.min_total"] = "a whole number ≥ 0"
    if p:
        return p
    # A hotter band listed after a colder one that every lead it would take already meets is dead.
    for i, rule in enumerate(bands):
        for j in range(i):
            earlier = bands[j]
            if BANDS.index(earlier.band) < BANDS.index(rule.band) and _covers(earlier, rule):
                p[f"bands[{i}]"] = (
                    f"never applies: threshold {j + 1} ({earlier.band}) takes every lead it would; "
                    f"put the {rule.band} thresholds first"
                )
                break
    return p


def _covers(a: BandRule, b: BandRule) -> bool:
    """Every lead that meets ``b`` also meets ``a``."""
    return (
        FIT_LETTERS.index(a.fit) >= FIT_LETTERS.index(b.fit)
        and ENGAGEMENT_DIGITS.index(a.engagement) >= ENGAGEMENT_DIGITS.index(b.engagement)
        and a.min_total <= b.min_total
    )


def model_problems(rules: Sequence[Rule], grades: Grades, bands: Sequence[BandRule]) -> dict[str, str]:
    """Everything wrong with a model, keyed by where (``rules[2].op``, ``grades.fit``, ``bands[1].fit``)."""
    p: dict[str, str] = {}
    if len(rules) > 200:
        p["rules"] = "at most 200 rules"
    for i, rule in enumerate(rules):
        for k, v in rule_problems(rule).items():
            p[f"rules[{i}].{k}"] = v
    for k, v in grades_problems(grades).items():
        p[f"grades.{k}"] = v
    p.update(bands_problems(bands))
    return p


# --- Comparing two models ----------------------------------------------------------------------------

RULE_ATTRS = ("kind", "field", "op", "value", "points", "cap", "half_life_days")


def _rule_key(rule: Rule) -> tuple:
    return (rule.kind, rule.label.strip().casefold())


def model_diff(old: RuleSet | Sequence[Rule], new: RuleSet | Sequence[Rule]) -> list[dict]:
    """What changes from ``old`` to ``new``: rules added, removed or changed (matched by kind and
    label), and threshold changes. Each change: {"what", "label", "changes": {attr: [old, new]}}."""
    out: list[dict] = []
    before = {_rule_key(r): r for r in old}
    after = {_rule_key(r): r for r in new}
    for key, rule in after.items():
        if key not in before:
            out.append({"what": "rule_added", "label": rule.label, "kind": rule.kind,
                        "changes": {a: [None, _plain(getattr(rule, a))] for a in RULE_ATTRS}})  # fmt: skip
            continue
        was = before[key]
        changes = {a: [_plain(getattr(was, a)), _plain(getattr(rule, a))] for a in RULE_ATTRS
                   if _plain(getattr(was, a)) != _plain(getattr(rule, a))}  # fmt: skip
        if changes:
            out.append({"what": "rule_changed", "label": rule.label, "kind": rule.kind, "changes": changes})
    for key, rule in before.items():
        if key not in after:
            out.append({"what": "rule_removed", "label": rule.label, "kind": rule.kind,
                        "changes": {a: [_plain(getattr(rule, a)), None] for a in RULE_ATTRS}})  # fmt: skip
    g_old, g_new = _grades_of(old), _grades_of(new)
    for name in ("fit", "engagement"):
        if getattr(g_old, name) != getattr(g_new, name):
            out.append({"what": "grades_changed", "label": name,
                        "changes": {name: [list(getattr(g_old, name)), list(getattr(g_new, name))]}})  # fmt: skip
    b_old, b_new = _bands_of(old), _bands_of(new)
    if tuple(b_old) != tuple(b_new):
        out.append({"what": "bands_changed", "label": "bands",
                    "changes": {"bands": [[b.as_dict() for b in b_old], [b.as_dict() for b in b_new]]}})  # fmt: skip
    return out


def _plain(v):
    return list(v) if isinstance(v, tuple) else v


# --- Many leads at once --------------------------------------------------------------------------------


class BulkScorer:
    """The rules of one model compiled for scoring many leads with numpy.

    ``fields`` are the facts the fact rules read: a caller passes each lead's values in that order.
    Each distinct value of a field is matched once against the rules on that field; each distinct
    combination of match results (a profile) is scored once. Behaviour comes as three arrays: the
    lead (index in the batch), the behaviour field (index in ``behaviours``) and the age in days of
    every event. The profile memo lives as long as the scorer: a recompute of a million leads in
    chunks matches each title once.
    """

    def __init__(self, rules: Sequence[Rule]):
        import numpy as np

        self._np = np
        self.rules = list(rules)
        self.version = getattr(rules, "version", None)
        self.grades = _grades_of(rules)
        self.bands = _bands_of(rules)
        self.static = [r for r in self.rules if r.op != "count"]
        self.counts = [r for r in self.rules if r.op == "count"]
        self.fields: tuple[str, ...] = tuple(dict.fromkeys(r.field for r in self.static))
        self.behaviours: tuple[str, ...] = tuple(dict.fromkeys(r.field for r in self.counts))
        self._by_field = [[r for r in self.static if r.field == f] for f in self.fields]
        self._position = {id(r): i for i, r in enumerate(self.static)}
        self._value_memo: list[dict] = [{} for _ in self.fields]
        self._profiles: dict[tuple, int] = {}
        self._raw: dict[tuple, int] = {}  # the values as given → profile
        self._presence_only = {
            i for i, rules in enumerate(self._by_field) if all(r.op == "present" for r in rules)
        }
        self.profile_fit: list[int] = []
        self.profile_engagement: list[int] = []
        self.profile_factors: list[list[dict]] = []
        self._grades = [l + d for l in FIT_LETTERS for d in ENGAGEMENT_DIGITS]  # noqa: E741
        self._band_memo: dict[tuple[int, int], tuple[int, str]] = {}
        half_lives = [r.half_life_days for r in self.counts if r.half_life_days is not None]
        self.min_half_life = min(half_lives) if half_lives else None

    def uses_extra(self) -> bool:
        return any(f.startswith(EXTRA_PREFIX) for f in self.fields)

    def _signature(self, i: int, value: Any) -> tuple:
        memo = self._value_memo[i]
        try:
            return memo[value]
        except KeyError:
            pass
        except TypeError:  # an unhashable value (a list in an imported column): match it each time
            hay = _norm(value)
            return tuple(_matches(r, value, hay) for r in self._by_field[i])
        hay = _norm(value)
        sig = tuple(_matches(r, value, hay) for r in self._by_field[i])
        if len(memo) < 100_000:
            memo[value] = sig
        return sig

    def profile(self, values: Sequence[Any]) -> int:
        """The profile of one lead's values (in ``fields`` order)."""
        raw = self._raw
        try:
            return raw[values]
        except KeyError:
            pass
        except TypeError:  # an unhashable value: no shortcut
            return self._profile(values)
        p = self._profile(values)
        if len(raw) < 200_000:  # leads repeat the same combinations; a bound keeps memory in check
            raw[values] = p
        return p

    def _profile(self, values: Sequence[Any]) -> int:
        key = tuple(self._signature(i, v) for i, v in enumerate(values))
        p = self._profiles.get(key)
        if p is None:
            p = self._profiles[key] = len(self.profile_fit)
            fit = eng = 0
            factors = []
            for i, sig in enumerate(key):
                for rule, hit in zip(self._by_field[i], sig, strict=True):
                    if hit:
                        factors.append((self._position[id(rule)], rule))
            factors.sort(key=lambda pair: pair[0])  # rule order
            for _, rule in factors:
                if rule.kind == "fit":
                    fit += rule.points
                else:
                    eng += rule.points
            self.profile_fit.append(fit)
            self.profile_engagement.append(eng)
            self.profile_factors.append(
                [Factor(r.kind, r.label, r.points, r.field).as_dict() for _, r in factors]
            )
        return p

    def profiles(self, rows: Sequence[Sequence[Any]]):
        np = self._np
        profile = self.profile
        presence = self._presence_only
        if presence:  # e-mail, phone…: only filled-in or not matters, not the (unique) value
            empty = (None, "", 0)
            rows = [
                tuple((v not in empty) if i in presence else v for i, v in enumerate(row)) for row in rows
            ]
        return np.fromiter((profile(tuple(row)) for row in rows), dtype=np.int64, count=len(rows))

    def score(self, profiles, ev_lead, ev_behaviour, ev_age) -> "BulkScores":
        """Score ``len(profiles)`` leads. Events with an age below -EVENT_SKEW_DAYS (after the as-of
        instant) do not count; younger ones count as age 0."""
        np = self._np
        n = len(profiles)
        keep = ev_age >= -EVENT_SKEW_DAYS
        ev_lead, ev_behaviour, ev_age = ev_lead[keep], ev_behaviour[keep], np.maximum(ev_age[keep], 0.0)
        # Each lead's events in age order (oldest first, as ``score`` sums them).
        order = np.lexsort((-ev_age, ev_lead))
        ev_lead, ev_behaviour, ev_age = ev_lead[order], ev_behaviour[order], ev_age[order]
        prof_fit = np.asarray(self.profile_fit, dtype=np.int64)
        prof_eng = np.asarray(self.profile_engagement, dtype=np.int64)
        fit_raw = prof_fit[profiles] if n else np.zeros(0, dtype=np.int64)
        engagement_exact = (prof_eng[profiles] if n else np.zeros(0, dtype=np.int64)).astype(np.float64)
        per_behaviour = {}
        for b in range(len(self.behaviours)):
            mask = ev_behaviour == b
            per_behaviour[b] = (ev_lead[mask], ev_age[mask])
        counts, decayed, contribution = [], [], []
        positive, negative = np.zeros(n), np.zeros(n)
        # When each lead's decaying contributions start to fall: a capped one holds at its cap until its
        # uncapped value (points × decayed count, which halves every half-life exactly) drops below it.
        falls = np.full(n, np.inf)
        weights_memo: dict[tuple[int, float | None], Any] = {}
        for rule in self.counts:
            b = self.behaviours.index(rule.field)
            leads, ages = per_behaviour[b]
            count = np.bincount(leads, minlength=n)
            key = (b, rule.half_life_days)
            if key not in weights_memo:
                if rule.half_life_days is None:
                    weights_memo[key] = count.astype(np.float64)
                else:
                    w = np.power(0.5, ages / rule.half_life_days)
                    weights_memo[key] = np.bincount(leads, weights=w, minlength=n)
            d = weights_memo[key]
            c = rule.points * d
            if rule.cap is not None:
                c = np.minimum(c, rule.cap) if rule.points >= 0 else np.maximum(c, -rule.cap)
            engagement_exact = engagement_exact + c
            if rule.half_life_days is not None:
                positive += np.maximum(c, 0)
                negative += np.maximum(-c, 0)
                if rule.points > 0 and rule.cap:
                    uncapped = rule.points * d
                    with np.errstate(divide="ignore", invalid="ignore"):
                        held = np.where(
                            uncapped > rule.cap, rule.half_life_days * np.log2(uncapped / rule.cap), 0.0
                        )
                    falls = np.minimum(falls, np.where(c != 0, held, np.inf))
                else:
                    falls = np.minimum(falls, np.where(c != 0, 0.0, np.inf))
            counts.append(count)
            decayed.append(d)
            contribution.append(c)
        fit = np.maximum(fit_raw, 0)
        engagement = np.maximum(np.floor(engagement_exact + 0.5), 0).astype(np.int64)
        total = fit + engagement
        fi = np.full(n, 3, dtype=np.int64)
        for i in (2, 1, 0):
            fi[fit >= self.grades.fit[i]] = i
        ei = np.full(n, 3, dtype=np.int64)
        for i in (2, 1, 0):
            ei[engagement >= self.grades.engagement[i]] = i
        grade_idx = fi * 4 + ei
        band_rule = np.full(n, -1, dtype=np.int64)
        for i in range(len(self.bands) - 1, -1, -1):  # the first matching threshold wins
            r = self.bands[i]
            hit = (
                (fi <= FIT_LETTERS.index(r.fit))
                & (ei <= ENGAGEMENT_DIGITS.index(r.engagement))
                & (total >= r.min_total)
            )
            band_rule[hit] = i
        due = np.full(n, np.nan)
        if self.min_half_life is not None and n:
            rounded = np.floor(engagement_exact + 0.5)
            below = engagement_exact - rounded + 0.5
            above = rounded + 0.5 - engagement_exact
            with np.errstate(divide="ignore", invalid="ignore"):
                u = np.minimum(np.where(positive > 0, below / positive, np.inf),
                               np.where(negative > 0, above / negative, np.inf))  # fmt: skip
                moving = (u < 1) & ~((rounded <= 0) & (negative == 0))
                days = -self.min_half_life * np.log2(1 - np.where(moving, u, 0))
            falls = np.where(np.isinf(falls), 0.0, falls)
            due = np.where(moving, np.maximum(falls + days, MIN_REFRESH_DAYS), np.nan)
        return BulkScores(self, profiles, fit, engagement, total, grade_idx, band_rule, due, counts, decayed,
                          contribution)  # fmt: skip

    def band_of(self, grade_idx: int, band_rule: int, total: int) -> tuple[str, str]:
        g = self._grades[grade_idx]
        if band_rule < 0:
            return DEFAULT_BAND, f"{g}, score {total}: no threshold met → {DEFAULT_BAND}"
        r = self.bands[band_rule]
        return r.band, f"{g}, score {total}: threshold {band_rule + 1} ({describe_band_rule(r)}) → {r.band}"


@dataclass
class BulkScores:
    """Arrays over the leads of one ``BulkScorer.score`` call; ``at(i)`` gives one lead's ``Score``."""

    scorer: BulkScorer
    profiles: Any
    fit: Any
    engagement: Any
    total: Any
    grade_idx: Any
    band_rule: Any  # -1: no threshold met
    due_days: Any  # days until the decayed score may change (nan: it cannot)
    counts: list
    decayed: list
    contribution: list

    def grade(self, i: int) -> str:
        return self.scorer._grades[int(self.grade_idx[i])]

    def band(self, i: int) -> str:
        r = int(self.band_rule[i])
        return self.scorer.bands[r].band if r >= 0 else DEFAULT_BAND

    def bands(self) -> list[str]:
        names = [b.band for b in self.scorer.bands] + [DEFAULT_BAND]  # index -1 → the default
        return [names[r] for r in self.band_rule.tolist()]

    def grades(self) -> list[str]:
        g = self.scorer._grades
        return [g[x] for x in self.grade_idx.tolist()]

    def factors(self, i: int) -> list[dict]:
        """The lead's factors as dicts (see ``factor_lists``)."""
        return self.factor_lists([i])[0]

    def factor_lists(self, indices: Sequence[int]) -> list[list[dict]]:
        """The factors of these leads as dicts, in one pass per count rule. A lead whose behaviour
        counts nothing gets its profile's shared list (do not change it)."""
        np = self.scorer._np
        idx = np.asarray(indices, dtype=np.int64)
        shared = self.scorer.profile_factors
        out = [shared[p] for p in self.profiles[idx].tolist()]
        own = [False] * len(out)
        for k, rule in enumerate(self.scorer.counts):
            counts = self.counts[k][idx]
            hit = np.nonzero(counts > 0)[0]
            if not len(hit):
                continue
            numbers = counts[hit].tolist()
            points = self.contribution[k][idx][hit]
            if rule.half_life_days is None:
                points, decayed = np.floor(points + 0.5).astype(np.int64).tolist(), None
            else:  # rounded by numpy (display values: may differ from round() in the last digit)
                points, decayed = (
                    np.round(points, 2).tolist(),
                    np.round(self.decayed[k][idx][hit], 3).tolist(),
                )
            labels: dict[int, str] = {}
            for j, pos in enumerate(hit.tolist()):
                count = numbers[j]
                label = labels.get(count)
                if label is None:
                    label = labels[count] = f"{rule.label} ×{count}" if count > 1 else rule.label
                factor = {
                    "kind": rule.kind,
                    "label": label,
                    "points": points[j],
                    "field": rule.field,
                    "count": count,
                }
                if decayed is not None:
                    factor["decayed"], factor["half_life_days"] = decayed[j], rule.half_life_days
                if not own[pos]:
                    out[pos], own[pos] = list(out[pos]), True
                out[pos].append(factor)
        return out

    def at(self, i: int) -> Score:
        fit, engagement, total = int(self.fit[i]), int(self.engagement[i]), int(self.total[i])
        b, reason = self.scorer.band_of(int(self.grade_idx[i]), int(self.band_rule[i]), total)
        r = int(self.band_rule[i])
        factors = tuple(Factor(**f) for f in self.factors(i))
        return Score(fit, engagement, total, self.grade(i), factors, b, r if r >= 0 else None, reason,
                     self.scorer.version)  # fmt: skip
