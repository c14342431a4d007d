"""Properties of the routing strategies, eligibility and policies (core/routing.py): pure logic, no database."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baton.core.routing import (
    LEAST_LOADED,
    ROUND_ROBIN,
    WEIGHTED,
    Candidate,
    MemberFacts,
    PolicyError,
    Requirements,
    choose_many,
    policy_match,
    policy_parse,
    skip_reason,
    starting_tally,
)

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def fresh(weights: list[int]) -> list[Candidate]:
    return [Candidate(i + 1, f"u{i + 1}", 0, 0, "", float(w)) for i, w in enumerate(weights)]


def run(candidates: list[Candidate], n: int, strategy: str) -> list[int | None]:
    return [d.chosen_user_id for d in choose_many("p", candidates, n, seq=0, strategy=strategy)]


# --- Weighted round robin ---------------------------------------------------------------------------------


@given(st.lists(st.integers(1, 9), min_size=1, max_size=7), st.integers(1, 4))
def test_weighted_round_robin_gives_exact_shares_over_every_full_cycle(weights, cycles):
    total = sum(weights)
    chosen = run(fresh(weights), total * cycles, WEIGHTED)
    for k in range(1, cycles + 1):
        got = Counter(chosen[: total * k])
        assert [got[i + 1] for i in range(len(weights))] == [w * k for w in weights]


@given(st.lists(st.integers(1, 9), min_size=1, max_size=7), st.integers(1, 3), st.data())
def test_weighted_round_robin_cycles_are_exact_from_any_balanced_start(weights, level, data):
    """A pool that already gave every member ``level`` full shares keeps giving exact cycles."""
    start = [Candidate(i + 1, f"u{i + 1}", w * level, data.draw(st.integers(0, 50)), "", float(w))
             for i, w in enumerate(weights)]  # fmt: skip
    got = Counter(run(start, sum(weights), WEIGHTED))
    assert [got[i + 1] for i in range(len(weights))] == weights


def _worst_deviation(weights: list[int], n: int) -> float:
    total, counts, worst = sum(weights), Counter(), 0.0
    for h, user in enumerate(run(fresh(weights), n, WEIGHTED), start=1):
        counts[user] += 1
        worst = max(worst, *(abs(counts[i + 1] - h * w / total) for i, w in enumerate(weights)))
    return worst


@settings(max_examples=300)
@given(st.lists(st.integers(1, 12), min_size=2, max_size=10))
def test_weighted_round_robin_never_strays_more_than_one_from_the_ideal_share(weights):
    assert _worst_deviation(weights, 2 * sum(weights)) <= 1


def test_weighted_round_robin_deviation_example():
    weights = [10] + [1] * 10
    first = run(fresh(weights), 9, WEIGHTED)
    # Ideal after 9 items: 9 × 10/20 = 4.5 for the heavy member; it gets all 9.
    assert Counter(first)[1] <= 5


@given(st.lists(st.integers(1, 9), min_size=2, max_size=7))
def test_weighted_round_robin_is_smooth_enough_for_two_members(weights):
    """What does hold: with two members, the prefix deviation stays within one."""
    assert _worst_deviation(weights[:2], 3 * sum(weights[:2])) <= 1


# --- Round robin and least loaded -------------------------------------------------------------------------


@given(st.integers(1, 12), st.integers(0, 150), st.integers(0, 30))
def test_round_robin_is_even_within_one_from_a_level_pool(n_reps, n_items, level):
    cands = [Candidate(u, f"u{u}", level, u, "") for u in range(1, n_reps + 1)]
    chosen = run(cands, n_items, ROUND_ROBIN)
    got = Counter(chosen)
    counts = [got[u] for u in range(1, n_reps + 1)]
    assert sum(counts) == n_items
    assert max(counts) - min(counts) <= 1
    # and at every prefix, too
    seen = Counter()
    for user in chosen:
        seen[user] += 1
        assert max(seen[u] for u in range(1, n_reps + 1)) - min(seen[u] for u in range(1, n_reps + 1)) <= 1


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20), st.booleans()), min_size=1, max_size=10))
def test_least_loaded_picks_a_member_with_the_minimum_load(rows):
    cands = [Candidate(i + 1, f"u{i + 1}", tally, 0, "" if ok else "away", 1.0, load)
             for i, (tally, load, ok) in enumerate(rows)]  # fmt: skip
    eligible = [c for c in cands if not c.skip_reason]
    (decision,) = choose_many("p", cands, 1, seq=0, strategy=LEAST_LOADED)
    if not eligible:
        assert decision.chosen_user_id is None
        return
    chosen = next(c for c in cands if c.user_id == decision.chosen_user_id)
    assert chosen.load == min(c.load for c in eligible)
    assert decision.explanation["candidates"][0]["load"] == chosen.load


@given(st.lists(st.integers(0, 10), min_size=1, max_size=8), st.integers(1, 40))
def test_least_loaded_levels_the_loads(loads, n):
    cands = [Candidate(i + 1, f"u{i + 1}", 0, 0, "", 1.0, load) for i, load in enumerate(loads)]
    state = {c.user_id: c.load for c in cands}
    for user in run(cands, n, LEAST_LOADED):
        assert state[user] == min(state.values())
        state[user] += 1


# --- Eligibility ------------------------------------------------------------------------------------------

STRATEGY = st.sampled_from([ROUND_ROBIN, WEIGHTED, LEAST_LOADED])


@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(1, 5), st.integers(0, 9), st.sampled_from(
        ["", "", "", "out of office", "inactive", "on leave until 2026-12-01"])), min_size=1, max_size=10),
    st.integers(1, 30), STRATEGY,
)  # fmt: skip
def test_the_ineligible_are_never_chosen_and_always_listed_with_their_reason(rows, n, strategy):
    cands = [
        Candidate(i + 1, f"u{i + 1}", t, 0, why, float(w), load) for i, (t, w, load, why) in enumerate(rows)
    ]
    away = {c.user_id: c.skip_reason for c in cands if c.skip_reason}
    for decision in choose_many("p", cands, n, seq=0, strategy=strategy):
        assert decision.chosen_user_id not in away
        assert {s["user_id"]: s["reason"] for s in decision.explanation["skipped"]} == away
        assert all(s["reason"] for s in decision.explanation["skipped"])
        assert not {c["user_id"] for c in decision.explanation["candidates"]} & set(away)
        if len(away) == len(cands):
            assert decision.chosen_user_id is None and "no eligible rep" in decision.explanation["why"]
        else:
            assert decision.chosen_user_id is not None


FACTS = st.builds(
    MemberFacts,
    active=st.booleans(),
    out_of_office=st.booleans(),
    leave_until=st.one_of(st.none(), st.integers(-48, 48).map(lambda h: AT + timedelta(hours=h))),
    suspended_until=st.one_of(st.none(), st.integers(-48, 48).map(lambda h: AT + timedelta(hours=h))),
    on_eligible_list=st.one_of(st.none(), st.booleans()),
    working_now=st.one_of(st.none(), st.booleans()),
    assigned_today=st.integers(0, 10),
    open_items=st.integers(0, 10),
)
REQUIREMENTS = st.builds(
    Requirements,
    eligible_list=st.booleans(),
    working_hours=st.booleans(),
    cap_per_day=st.one_of(st.none(), st.integers(1, 8)),
    cap_open=st.one_of(st.none(), st.integers(1, 8)),
    month=st.just("2026-11"),
)


@given(FACTS, REQUIREMENTS)
def test_skip_reason_is_empty_exactly_when_every_requirement_holds(facts, req):
    eligible = (
        facts.active
        and not (facts.leave_until is not None and facts.leave_until > AT)
        and not facts.out_of_office
        and not (facts.suspended_until is not None and facts.suspended_until > AT)
        and not (req.eligible_list and facts.on_eligible_list is False)
        and not (req.working_hours and facts.working_now is False)
        and not (req.cap_per_day is not None and facts.assigned_today >= req.cap_per_day)
        and not (req.cap_open is not None and facts.open_items >= req.cap_open)
    )
    assert (skip_reason(facts, AT, req) == "") == eligible


def test_skip_reasons_say_why():
    assert skip_reason(MemberFacts(active=False), AT) == "inactive"
    assert skip_reason(MemberFacts(leave_until=AT + timedelta(days=2)), AT) == "on leave until 2026-11-25"
    assert skip_reason(MemberFacts(leave_until=AT), AT) == ""  # a leave ends at ends_at: [starts, ends)
    assert "SLA penalty" in skip_reason(MemberFacts(suspended_until=AT + timedelta(days=1)), AT)
    assert skip_reason(MemberFacts(on_eligible_list=False), AT, Requirements(month="2026-11")) == (
        "not on the eligible list for 2026-11"
    )
    assert skip_reason(MemberFacts(on_eligible_list=False), AT, Requirements(eligible_list=False)) == ""
    assert skip_reason(MemberFacts(working_now=False), AT, Requirements(working_hours=True)) == (
        "outside their working hours"
    )
    assert (
        skip_reason(MemberFacts(assigned_today=3), AT, Requirements(cap_per_day=3))
        == "daily cap reached (3/3)"
    )
    assert (
        skip_reason(MemberFacts(open_items=4), AT, Requirements(cap_open=4)) == "open-item cap reached (4/4)"
    )


# --- A newcomer's starting tally ---------------------------------------------------------------------------


@given(st.lists(st.integers(0, 1000), max_size=20))
def test_a_newcomer_starts_at_the_round_robin_pool_level(tallies):
    assert starting_tally(tallies) == (min(tallies) if tallies else 0)


@given(
    st.lists(st.tuples(st.integers(0, 500), st.integers(1, 9)), min_size=1, max_size=10), st.integers(1, 9)
)
def test_a_weighted_newcomer_starts_at_the_pool_level_in_proportion_to_their_weight(existing, weight):
    start = starting_tally(existing, weight)
    level = min(t / w for t, w in existing)
    # Their level is the pool's lowest level (rounded down to a whole item): not ahead, not flooded.
    assert start / weight <= level + 1e-9
    assert (start + 1) / weight > level - 1e-9


@given(st.integers(2, 8), st.integers(0, 60), st.integers(1, 40))
def test_a_newcomer_to_a_round_robin_pool_is_not_flooded(n_reps, before, after):
    cands = [Candidate(u, f"u{u}", 0, 0, "") for u in range(1, n_reps + 1)]
    tallies = Counter(run(cands, before, ROUND_ROBIN))
    existing = [tallies[u] for u in range(1, n_reps + 1)]
    newcomer = n_reps + 1
    pool = [Candidate(u, f"u{u}", tallies[u], 0, "") for u in range(1, n_reps + 1)]
    pool.append(Candidate(newcomer, "new", starting_tally(existing), 0, ""))
    got = Counter(run(pool, after, ROUND_ROBIN))
    # The newcomer takes no more than a fair share plus the one turn the pool owed them.
    assert got[newcomer] <= after // (n_reps + 1) + 2


# --- Policies: parsing ------------------------------------------------------------------------------------

FALLBACK = {"key": "fallback", "name": "Everyone", "destination": {"type": "role", "role": "sdr_inbound"},
            "strategy": "round_robin"}  # fmt: skip


def rule(key: str, **over) -> dict:
    return {"key": key, "name": key.title(), "conditions": [{"field": "region", "op": "eq", "value": "East"}],
            "destination": {"type": "team", "team_id": 1}, "strategy": "round_robin", **over}  # fmt: skip


DEFECTS = {
    "unknown field": (
        lambda: rule("a", conditions=[{"field": "shoe_size", "op": "eq", "value": 3}]), "unknown field 'shoe_size'"
    ),
    "unknown op": (lambda: rule("b", conditions=[{"field": "score", "op": "approx", "value": 3}]),
                   "unknown operator 'approx'"),
    "unknown strategy": (lambda: rule("c", strategy="coin_toss"), "unknown strategy 'coin_toss'"),
    "in empty": (lambda: rule("d", conditions=[{"field": "source", "op": "in", "value": []}]),
                 "in needs a non-empty list"),
    "director without dispatch": (lambda: rule("e", destination={"type": "director"}),
                                  "goes with the director_dispatch strategy"),
    "weighted without weights": (lambda: rule("f", strategy="weighted_round_robin"),
                                 "weighted round robin needs weights"),
    "duplicate keys": (lambda: rule("twin"), "rule keys must be unique (twin)"),
}  # fmt: skip


@given(st.sets(st.sampled_from(sorted(DEFECTS)), min_size=1), st.booleans())
def test_policy_parse_lists_every_problem_at_once(defects, without_fallback):
    rules = [rule("ok")]
    for name in sorted(defects):
        make, _ = DEFECTS[name]
        rules.append(make())
        if name == "duplicate keys":
            rules.append(make())
    data = {"rules": rules} if without_fallback else {"rules": rules, "fallback": FALLBACK}
    with pytest.raises(PolicyError) as exc:
        policy_parse(data)
    text = "\n".join(exc.value.problems)
    for name in defects:
        assert DEFECTS[name][1] in text, (name, exc.value.problems)
    assert ("needs a fallback" in text) == without_fallback
    assert len(exc.value.problems) == len(defects) + without_fallback


def test_policy_parse_rejects_odd_shapes_clearly():
    for bad, says in [
        ([], "a routing policy is an object"),
        ({"rules": {"a": rule("a")}, "fallback": FALLBACK}, "rules is a list"),
        ({"rules": [rule("x", destination={"type": "team"})], "fallback": FALLBACK}, "needs team_id"),
        ({"rules": [rule("x", destination={"type": "queue", "queue": "limbo"})], "fallback": FALLBACK},
         "queue must be one of public_pool"),
        ({"rules": [rule("x", strategy="director_dispatch")], "fallback": FALLBACK},
         "director_dispatch sends to a regional director"),
        ({"rules": [rule("x", conditions=[{"field": "score", "op": "gte", "value": "high"}])], "fallback": FALLBACK},
         "gte needs a number"),
        ({"rules": [rule("x", options={"cap_per_day": 0})], "fallback": FALLBACK}, "cap_per_day is a whole number"),
        ({"rules": [rule("x", strategy="weighted_round_robin", options={"weights": {"a": -1}})],
          "fallback": FALLBACK}, "weights must be positive"),
        ({"rules": [rule("x", strategy="account_owner", options={"then": "weighted_round_robin"})],
          "fallback": FALLBACK}, "'then'"),
        ({"rules": [], "fallback": {**FALLBACK, "destination": {"type": "nowhere"}}}, "destination type must be"),
    ]:  # fmt: skip
        with pytest.raises(PolicyError) as exc:
            policy_parse(bad)
        assert any(says in p for p in exc.value.problems), (says, exc.value.problems)


def test_an_empty_object_for_rules_is_refused():
    with pytest.raises(PolicyError):
        policy_parse({"rules": {}, "fallback": FALLBACK})


def test_a_valid_policy_parses_with_defaults_and_keys():
    policy = policy_parse({
        "rules": [{"name": "Big", "conditions": [{"field": "company_size", "op": "gte", "value": 1000}],
                   "destination": {"type": "role", "role": "sdr_inbound"}, "strategy": "weighted_round_robin",
                   "options": {"weights": {"li": 3, "wang": 1}, "cap_per_day": 20, "working_hours": True}},
                  {"conditions": [], "destination": {"type": "director"}, "strategy": "director_dispatch"}],
        "fallback": {**FALLBACK, "conditions": [{"field": "nonsense"}]},  # a fallback's conditions are ignored
    })  # fmt: skip
    assert [r.key for r in policy.rules] == ["rule-1", "rule-2"]
    assert policy.rules[0].options == {
        "weights": {"li": 3.0, "wang": 1.0},
        "cap_per_day": 20,
        "working_hours": True,
    }
    assert policy.rules[1].options == {"then": "round_robin"}
    assert policy.fallback.conditions == ()


# --- Policies: matching -----------------------------------------------------------------------------------

REGIONS = ["East", "West", "North", ""]


@st.composite
def rules_and_facts(draw):
    n = draw(st.integers(0, 6))
    specs = [(draw(st.integers(0, 100)), draw(st.sampled_from(REGIONS))) for _ in range(n)]
    rules = []
    for i, (score, region) in enumerate(specs):
        conditions = [{"field": "score", "op": "gte", "value": score}]
        if region:
            conditions.append({"field": "region", "op": "eq", "value": region})
        rules.append({"key": f"r{i}", "name": f"Rule {i}", "conditions": conditions,
                      "destination": {"type": "team", "team_id": i + 1}, "strategy": "round_robin"})  # fmt: skip
    facts = {
        "score": draw(st.integers(0, 100)),
        "region": draw(st.sampled_from(["east", "West ", "South", ""])),
    }
    return specs, {"rules": rules, "fallback": FALLBACK}, facts


@given(rules_and_facts())
def test_policy_match_returns_the_first_matching_rule_and_the_trace(case):
    specs, data, facts = case
    policy = policy_parse(data)
    expected = next(
        (i for i, (score, region) in enumerate(specs)
         if facts["score"] >= score and (not region or facts["region"].strip().casefold() == region.casefold())),
        None,
    )  # fmt: skip
    chosen, trace = policy_match(policy, facts)
    if expected is None:
        assert chosen is policy.fallback
        assert len(trace) == len(specs) + 1 and trace[-1] == {"rule": "fallback", "name": "Everyone",
                                                               "matched": True, "fallback": True}  # fmt: skip
        assert not any(t["matched"] for t in trace[:-1])
    else:
        assert chosen.key == f"r{expected}"
        assert len(trace) == expected + 1
        assert trace[-1]["matched"] and "why_not" not in trace[-1]
        assert not any(t["matched"] for t in trace[:-1])
    for step in trace:
        if not step["matched"]:
            assert "is false (the lead has" in step["why_not"]


@given(st.lists(st.sampled_from(["vip", "Partner", "event", "cold"]), max_size=4, unique=True))
def test_conditions_on_tags_match_any_of_them(tags):
    policy = policy_parse({"rules": [rule("tagged", conditions=[{"field": "tags", "op": "in", "value": ["VIP", "partner"]}]),
                                     rule("untagged", conditions=[{"field": "tags", "op": "missing"}])],
                           "fallback": FALLBACK})  # fmt: skip
    chosen, _ = policy_match(policy, {"tags": tags})
    if {"vip", "partner"} & {t.casefold() for t in tags}:
        assert chosen.key == "tagged"
    elif not tags:
        assert chosen.key == "untagged"
    else:
        assert chosen.key == "fallback"


@given(
    st.one_of(st.none(), st.integers(0, 5000)),
    st.sampled_from(["gt", "gte", "lt", "lte"]),
    st.integers(0, 5000),
)
def test_numeric_conditions_compare_numbers_and_never_match_a_missing_value(size, op, bound):
    policy = policy_parse({"rules": [rule("n", conditions=[{"field": "company_size", "op": op, "value": bound}])],
                           "fallback": FALLBACK})  # fmt: skip
    chosen, _ = policy_match(policy, {"company_size": size})
    if size is None:
        assert chosen.key == "fallback"
    else:
        holds = {"gt": size > bound, "gte": size >= bound, "lt": size < bound, "lte": size <= bound}[op]
        assert (chosen.key == "n") == holds
