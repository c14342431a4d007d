"""Choosing who receives a lead or a handoff (spec §4.4), with the explanation of every decision.

Fairness comes from tallies rather than a rotating index. Each destination is a pool; a member's
tally counts what the pool gave them. Round robin gives the next item to the eligible member with
the fewest items, weighted round robin to the one whose *next* item keeps them closest to their share
(the smallest ``(tally + 1) / weight``: stride scheduling, smooth and deterministic), least loaded to
the one with the fewest open items. Ties go to who was served longest ago, then to the smaller id.
A member who joins starts at the pool's current level (nobody is flooded, nothing resets when the
team changes).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

ROUND_ROBIN = "round_robin"
WEIGHTED = "weighted_round_robin"
LEAST_LOADED = "least_loaded"
ACCOUNT_OWNER = "account_owner"
TERRITORY_OWNER = "territory_owner"
DIRECTOR_DISPATCH = "director_dispatch"
STRATEGIES = (ROUND_ROBIN, WEIGHTED, LEAST_LOADED, ACCOUNT_OWNER, TERRITORY_OWNER, DIRECTOR_DISPATCH)
# Strategies that pick a named person first and fall back to the pool when that person cannot take it.
OWNER_STRATEGIES = (ACCOUNT_OWNER, TERRITORY_OWNER)


@dataclass(frozen=True)
class Candidate:
    user_id: int
    username: str
    tally: int
    last_seq: int  # pool sequence number of this member's last assignment (0 = never)
    skip_reason: str = ""  # non-empty: not eligible, and why
    weight: float = 1.0
    load: int = 0  # open items (least loaded)


@dataclass(frozen=True)
class Decision:
    chosen_user_id: int | None
    explanation: dict


def _key(strategy: str, tally: int, weight: float, last_seq: int, load: int, user_id: int) -> tuple:
    if strategy == LEAST_LOADED:
        return (load, (tally + 1) / weight, last_seq, user_id)
    return ((tally + 1) / weight, last_seq, user_id)


def _why(strategy: str, pool: str, name: str, state: list) -> str:
    tally, weight, _, load = state
    if strategy == LEAST_LOADED:
        return f"{name} had the fewest open items in pool '{pool}' ({load})"
    if strategy == WEIGHTED:
        return f"{name} was furthest below their share (weight {weight:g}) in pool '{pool}' ({tally} so far)"
    return f"{name} had the fewest assignments in pool '{pool}' ({tally})"


def choose_many(
    pool: str, candidates: Sequence[Candidate], n: int, *, seq: int, strategy: str = ROUND_ROBIN
) -> list[Decision]:
    """``n`` assignments in a row from the same candidates, each made as a single choice would make it
    once the previous one is counted (the chosen member's tally and load + 1, their last_seq the pool's
    next sequence number, starting after ``seq``). Eligibility is the candidates' for all ``n``."""
    if strategy not in (ROUND_ROBIN, WEIGHTED, LEAST_LOADED):
        strategy = ROUND_ROBIN
    skipped = [
        {"user_id": c.user_id, "username": c.username, "reason": c.skip_reason}
        for c in candidates
        if c.skip_reason
    ]
    names = {c.user_id: c.username for c in candidates if not c.skip_reason}
    state = {
        c.user_id: [c.tally, c.weight if strategy == WEIGHTED else 1.0, c.last_seq, c.load]
        for c in candidates
        if not c.skip_reason
    }
    decisions = []
    total_weight = sum(v[1] for v in state.values())
    for _ in range(n):
        ranked = sorted(
            state, key=lambda u: _key(strategy, state[u][0], state[u][1], state[u][2], state[u][3], u)
        )
        if strategy == WEIGHTED and ranked:
            # Smooth as well as exact: nobody may run ahead of their share of the next item (rounded up).
            given = sum(v[0] for v in state.values()) + 1
            within = [u for u in ranked if state[u][0] < math.ceil(given * state[u][1] / total_weight - 1e-9)]
            ranked = within + [u for u in ranked if u not in within] if within else ranked
        chosen = ranked[0] if ranked else None
        explanation = {
            "strategy": strategy,
            "pool": pool,
            "candidates": [
                {
                    "user_id": u,
                    "username": names[u],
                    "tally": state[u][0],
                    "last_seq": state[u][2],
                    **({"weight": state[u][1]} if strategy == WEIGHTED else {}),
                    **({"load": state[u][3]} if strategy == LEAST_LOADED else {}),
                }
                for u in ranked
            ],  # fmt: skip
            "skipped": skipped,
            "chosen": names[chosen] if chosen is not None else None,
            "why": (
                _why(strategy, pool, names[chosen], state[chosen])
                if chosen is not None
                else _nobody(pool, skipped)
            ),
        }
        decisions.append(Decision(chosen, explanation))
        if chosen is not None:
            seq += 1
            state[chosen][0] += 1
            state[chosen][2] = seq
            state[chosen][3] += 1
    return decisions


def _nobody(pool: str, skipped: list[dict]) -> str:
    if not skipped:
        return f"no eligible rep in pool '{pool}': it has no members"
    reasons = "; ".join(f"{s['username']}: {s['reason']}" for s in skipped[:5])
    more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
    return f"no eligible rep in pool '{pool}' ({reasons}{more})"


def choose_round_robin_many(
    pool: str, candidates: Sequence[Candidate], n: int, *, seq: int
) -> list[Decision]:
    return choose_many(pool, candidates, n, seq=seq, strategy=ROUND_ROBIN)


def choose_round_robin(pool: str, candidates: Sequence[Candidate]) -> Decision:
    return choose_many(pool, candidates, 1, seq=0)[0]


def starting_tally(existing: Sequence[tuple[int, float]] | Sequence[int], weight: float = 1.0) -> int:
    """The tally a member new to a pool starts with: the pool's current level, in proportion to the
    newcomer's weight (``existing`` holds tallies, or (tally, weight) pairs for a weighted pool)."""
    if not existing:
        return 0
    levels = [(item[0] / item[1]) if isinstance(item, tuple) else float(item) for item in existing]
    return int(min(levels) * weight)


def owner_decision(strategy: str, owner: Candidate | None, owner_label: str, fallback: Decision) -> Decision:
    """Account or territory owner: the owner when they can take it, else the pool's choice, saying why."""
    if owner is not None and not owner.skip_reason:
        return Decision(owner.user_id, {
            "strategy": strategy, "pool": fallback.explanation.get("pool"), "candidates": [
                {"user_id": owner.user_id, "username": owner.username, "tally": owner.tally,
                 "last_seq": owner.last_seq}],
            "skipped": [], "chosen": owner.username, "owner": owner.username,
            "why": f"{owner.username} owns {owner_label}",
        })  # fmt: skip
    if owner is None:
        because = f"nobody owns {owner_label}" if owner_label else "no owner applies to this lead"
    else:
        because = f"{owner.username} owns {owner_label} but cannot take it: {owner.skip_reason}"
    explanation = dict(fallback.explanation)
    explanation["owner_strategy"] = strategy
    explanation["owner_skipped"] = because
    explanation["why"] = f"{because}; {explanation.get('why', '')}"
    if owner is not None and owner.skip_reason:
        explanation["skipped"] = [
            {"user_id": owner.user_id, "username": owner.username, "reason": owner.skip_reason},
            *[s for s in explanation.get("skipped", []) if s["user_id"] != owner.user_id],
        ]
    return replace(fallback, explanation=explanation)


# --- Eligibility ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberFacts:
    """What eligibility looks at for one member at one instant (read in bulk by the caller)."""

    active: bool = True
    out_of_office: bool = False
    leave_until: datetime | None = None  # on leave now, until then
    suspended_until: datetime | None = None
    on_eligible_list: bool | None = None  # None: the month has no list
    working_now: bool | None = None  # None: not asked
    assigned_today: int = 0
    open_items: int = 0


@dataclass(frozen=True)
class Requirements:
    eligible_list: bool = True  # the month's list, when it exists
    working_hours: bool = False
    cap_per_day: int | None = None
    cap_open: int | None = None
    honour_suspension: bool = True
    month: str = ""  # for the explanation, e.g. 2026-12


def skip_reason(facts: MemberFacts, at: datetime, req: Requirements = Requirements()) -> str:  # noqa: B008
    """Why this member cannot receive an item now ("" when they can)."""
    if not facts.active:
        return "inactive"
    if facts.leave_until is not None and facts.leave_until > at:
        return f"on leave until {facts.leave_until.date().isoformat()}"
    if facts.out_of_office:
        return "out of office"
    if req.honour_suspension and facts.suspended_until and facts.suspended_until > at:
        return f"suspended until {facts.suspended_until.isoformat()} (SLA penalty)"
    if req.eligible_list and facts.on_eligible_list is False:
        return f"not on the eligible list for {req.month or 'this month'}"
    if req.working_hours and facts.working_now is False:
        return "outside their working hours"
    if req.cap_per_day is not None and facts.assigned_today >= req.cap_per_day:
        return f"daily cap reached ({facts.assigned_today}/{req.cap_per_day})"
    if req.cap_open is not None and facts.open_items >= req.cap_open:
        return f"open-item cap reached ({facts.open_items}/{req.cap_open})"
    return ""


# --- Policies: ordered rules with conditions ------------------------------------------------------------

OPERATORS = ("eq", "ne", "in", "not_in", "contains", "gt", "gte", "lt", "lte", "exists", "missing")
FIELDS = {
    "source": "text", "source_detail": "text", "direction": "text", "region": "text", "city": "text",
    "industry": "text", "company_size": "number", "title": "text", "seniority": "text", "score": "number",
    "fit_score": "number", "engagement_score": "number", "grade": "text", "fit_grade": "text",
    "score_band": "text", "tags": "list", "company": "text", "website_domain": "text",
    "has_account": "bool", "product_line": "text",
}  # fmt: skip
DESTINATIONS = ("team", "role", "region_team", "director", "queue")
QUEUES = ("public_pool",)


class PolicyError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: object = None

    def as_dict(self) -> dict:
        return {"field": self.field, "op": self.op, "value": self.value}


@dataclass(frozen=True)
class Rule:
    key: str
    name: str
    conditions: tuple[Condition, ...]
    destination: dict
    strategy: str
    options: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"key": self.key, "name": self.name, "conditions": [c.as_dict() for c in self.conditions],
                "destination": self.destination, "strategy": self.strategy, "options": self.options}  # fmt: skip


@dataclass(frozen=True)
class Policy:
    rules: tuple[Rule, ...]
    fallback: Rule  # when no rule matches (its conditions are ignored)


def _fact(facts: dict, name: str):
    if name.startswith("extra."):
        return (facts.get("extra") or {}).get(name[6:])
    return facts.get(name)


def _norm(value):
    return value.strip().casefold() if isinstance(value, str) else value


def condition_holds(cond: Condition, facts: dict) -> bool:
    value = _fact(facts, cond.field)
    op, want = cond.op, cond.value
    if op == "exists":
        return value not in (None, "", [], {})
    if op == "missing":
        return value in (None, "", [], {})
    if isinstance(value, list | tuple | set):  # tags: any of them
        items = {_norm(v) for v in value}
        wanted = {_norm(w) for w in (want if isinstance(want, list) else [want])}
        if op in ("eq", "contains", "in"):
            return bool(items & wanted)
        if op in ("ne", "not_in"):
            return not items & wanted
        return False
    if op in ("in", "not_in"):
        inside = _norm(value) in {_norm(w) for w in want}
        return inside if op == "in" else not inside
    if op == "eq":
        return _norm(value) == _norm(want)
    if op == "ne":
        return _norm(value) != _norm(want)
    if op == "contains":
        return isinstance(value, str) and _norm(want) in _norm(value)
    if value is None or value == "":
        return False
    try:
        left, right = float(value), float(want)
    except (TypeError, ValueError):
        return False
    return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]


def rule_matches(rule: Rule, facts: dict) -> tuple[bool, str]:
    """Whether every condition holds; when not, which one failed first (for the explanation)."""
    for cond in rule.conditions:
        if not condition_holds(cond, facts):
            shown = _fact(facts, cond.field)
            return False, f"{cond.field} {cond.op} {cond.value!r} is false (the lead has {shown!r})"
    return True, ""


def policy_match(policy: Policy, facts: dict) -> tuple[Rule, list[dict]]:
    """The first rule whose conditions all hold, else the fallback; and the trace of the rules tried."""
    trace = []
    for rule in policy.rules:
        ok, why = rule_matches(rule, facts)
        trace.append(
            {"rule": rule.key, "name": rule.name, "matched": ok, **({"why_not": why} if why else {})}
        )
        if ok:
            return rule, trace
    trace.append(
        {"rule": policy.fallback.key, "name": policy.fallback.name, "matched": True, "fallback": True}
    )
    return policy.fallback, trace


def _parse_condition(raw, where: str, problems: list[str]) -> Condition | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: a condition is an object with field, op and value")
        return None
    name, op, value = raw.get("field", ""), raw.get("op", "eq"), raw.get("value")
    if not isinstance(name, str) or not (name in FIELDS or (name.startswith("extra.") and len(name) > 6)):
        problems.append(f"{where}: unknown field {name!r} (use one of {', '.join(FIELDS)} or extra.<column>)")
        return None
    if op not in OPERATORS:
        problems.append(f"{where}: unknown operator {op!r} (use one of {', '.join(OPERATORS)})")
        return None
    if op in ("in", "not_in") and (not isinstance(value, list) or not value):
        problems.append(f"{where}: {op} needs a non-empty list of values")
        return None
    if op in ("gt", "gte", "lt", "lte"):
        try:
            float(value)
        except (TypeError, ValueError):
            problems.append(f"{where}: {op} needs a number, not {value!r}")
            return None
    if op not in ("exists", "missing", "in", "not_in") and value in (None, ""):
        problems.append(f"{where}: {op} needs a value")
        return None
    return Condition(name, op, value)


def _parse_destination(raw, where: str, strategy: str, problems: list[str]) -> dict:
    if not isinstance(raw, dict) or raw.get("type") not in DESTINATIONS:
        problems.append(f"{where}: destination type must be one of {', '.join(DESTINATIONS)}")
        return {}
    kind = raw["type"]
    if kind == "team" and not isinstance(raw.get("team_id"), int):
        problems.append(f"{where}: a team destination needs team_id")
    if kind in ("role", "region_team") and not raw.get("role"):
        problems.append(f"{where}: a {kind} destination needs a role")
    if kind == "queue" and raw.get("queue") not in QUEUES:
        problems.append(f"{where}: queue must be one of {', '.join(QUEUES)}")
    if kind == "director" and strategy != DIRECTOR_DISPATCH:
        problems.append(f"{where}: a regional-director destination goes with the director_dispatch strategy")
    if strategy == DIRECTOR_DISPATCH and kind != "director":
        problems.append(
            f"{where}: director_dispatch sends to a regional director (destination type director)"
        )
    return dict(raw)


def _parse_options(raw, where: str, strategy: str, problems: list[str]) -> dict:
    raw = raw or {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: options is an object")
        return {}
    out = {}
    for cap in ("cap_per_day", "cap_open"):
        if raw.get(cap) not in (None, ""):
            if not isinstance(raw[cap], int) or raw[cap] < 1:
                problems.append(f"{where}: {cap} is a whole number of at least 1")
            else:
                out[cap] = raw[cap]
    for flag in ("working_hours", "eligible_list"):
        if flag in raw:
            out[flag] = bool(raw[flag])
    weights = raw.get("weights")
    if strategy == WEIGHTED:
        if not isinstance(weights, dict) or not weights:
            problems.append(f"{where}: weighted round robin needs weights by username, e.g. {{'li.lei': 2}}")
        else:
            bad = [k for k, w in weights.items() if not isinstance(w, int | float) or w <= 0]
            if bad:
                problems.append(f"{where}: weights must be positive numbers ({', '.join(map(str, bad))})")
            out["weights"] = {str(k): float(w) for k, w in weights.items()}
    if strategy in OWNER_STRATEGIES or strategy == DIRECTOR_DISPATCH:
        pool_strategy = raw.get("then", ROUND_ROBIN)
        if pool_strategy not in (ROUND_ROBIN, LEAST_LOADED):
            problems.append(f"{where}: 'then' (when no owner can take it) is round_robin or least_loaded")
        out["then"] = pool_strategy
    return out


def _parse_rule(raw, where: str, problems: list[str], *, fallback: bool = False) -> Rule | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: a rule is an object")
        return None
    before = len(problems)
    strategy = raw.get("strategy", ROUND_ROBIN)
    if strategy not in STRATEGIES:
        problems.append(f"{where}: unknown strategy {strategy!r} (use one of {', '.join(STRATEGIES)})")
    conditions = []
    if not fallback:
        raw_conditions = raw.get("conditions") or []
        if not isinstance(raw_conditions, list):
            problems.append(f"{where}: conditions is a list")
            raw_conditions = []
        for j, c in enumerate(raw_conditions):
            parsed = _parse_condition(c, f"{where}, condition {j + 1}", problems)
            if parsed:
                conditions.append(parsed)
    destination = _parse_destination(raw.get("destination"), where, strategy, problems)
    if destination.get("type") == "queue" and strategy not in (ROUND_ROBIN,):
        problems.append(f"{where}: a queue destination takes no strategy")
    options = _parse_options(raw.get("options"), where, strategy, problems)
    if len(problems) > before:
        return None
    key = str(raw.get("key") or ("fallback" if fallback else where.replace(" ", "-").lower()))
    return Rule(key, str(raw.get("name") or key), tuple(conditions), destination, strategy, options)


def policy_parse(data) -> Policy:
    """A policy from its stored form ({"rules": [...], "fallback": {...}}); every problem at once."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise PolicyError(["a routing policy is an object with rules and a fallback"])
    raw_rules = data.get("rules", [])
    if raw_rules is None:
        raw_rules = []
    if not isinstance(raw_rules, list):
        problems.append("rules is a list")
        raw_rules = []
    rules = []
    for i, raw in enumerate(raw_rules):
        if isinstance(raw, dict) and not raw.get("key"):
            raw = {**raw, "key": f"rule-{i + 1}"}
        rule = _parse_rule(raw, f"rule {i + 1}", problems)
        if rule:
            rules.append(rule)
    keys = [r.key for r in rules]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        problems.append(f"rule keys must be unique ({', '.join(dupes)})")
    if "fallback" not in data:
        problems.append("a policy needs a fallback (where a lead goes when no rule matches), or leads stall")
        fallback = None
    else:
        fallback = _parse_rule(data["fallback"], "fallback", problems, fallback=True)
    if problems or fallback is None:
        raise PolicyError(problems or ["the fallback is not valid"])
    return Policy(tuple(rules), fallback)


def policy_dump(policy: Policy) -> dict:
    return {"rules": [r.as_dict() for r in policy.rules], "fallback": policy.fallback.as_dict()}
