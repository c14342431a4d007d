"""Qualification frameworks and gate rules (core/qualification.py): property tests."""

from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from baton.core import qualification as q
from baton.core.qualification import (
    BANT,
    BUILTIN_FRAMEWORKS,
    PROFILE,
    Criterion,
    Framework,
    GateRule,
    bant_gate,
    evaluate_gate,
    evaluate_rule,
    parse_threshold,
    progress,
    required_count,
)

STATE = st.sampled_from(q.CRITERION_STATES)


@st.composite
def frameworks(draw, key=None):
    n = draw(st.integers(0, 20))
    key = key or draw(st.sampled_from(["alpha", "beta", "gamma"]))
    return Framework(key, key.title(), tuple(Criterion(f"c{i}", f"Criterion {i}") for i in range(n)))


@st.composite
def answered(draw, framework=None):
    """A framework and states for a subset of its criteria (absent: unknown)."""
    fw = framework or draw(frameworks())
    keys = draw(st.lists(st.sampled_from(fw.keys), unique=True)) if fw.keys else []
    return fw, {k: draw(STATE) for k in keys}


def rules_for(key):
    return st.one_of(
        st.builds(GateRule.at_least, st.just(key), st.integers(0, 25)),
        st.integers(1, 12).flatmap(
            lambda d: st.builds(GateRule.more_than, st.just(key), st.integers(0, d - 1), st.just(d))
        ),
    )


@given(answered(), st.data())
def test_a_rule_passes_iff_enough_criteria_are_met(fw_states, data):
    fw, states = fw_states
    rule = data.draw(rules_for(fw.key))
    result = evaluate_rule(rule, fw, states)
    met = sum(1 for v in states.values() if v == "met")
    total = len(fw.criteria)
    assert (result.met, result.total) == (met, total)
    if rule.kind == q.AT_LEAST:
        assert result.passed == (met >= rule.count)
    else:
        assert result.passed == (total > 0 and Fraction(met, total) > rule.fraction)
    # The criteria not met, in template order, by key and by label.
    assert list(result.missing_keys) == [c.key for c in fw.criteria if states.get(c.key) != "met"]
    assert list(result.missing) == [c.label for c in fw.criteria if states.get(c.key) != "met"]
    assert result.passed == (result.short == 0)
    assert fw.name in result.explanation and ("not yet met" in result.explanation) != result.passed


@given(st.integers(0, 40), st.integers(1, 12), st.data())
def test_required_count_is_the_smallest_passing_count(total, d, data):
    n = data.draw(st.integers(0, d - 1))
    rule = GateRule.more_than("x", n, d)
    m = required_count(rule, total)
    assert Fraction(m, total or 1) > Fraction(n, d) or total == 0
    assert m == 0 or Fraction(m - 1, total or 1) <= Fraction(n, d)


def test_the_source_rule_more_than_two_thirds_of_fifteen_needs_eleven():
    rule = GateRule.more_than("profile", 2, 3)
    states = {c.key: "met" for c in PROFILE.criteria[:10]}
    assert len(PROFILE.criteria) == 15
    assert not evaluate_rule(rule, PROFILE, states).passed  # 10/15 is exactly 2/3: not more
    states[PROFILE.criteria[10].key] = "met"
    result = evaluate_rule(rule, PROFILE, states)
    assert result.passed and result.required == 11
    assert (
        result.explanation
        == "Customer profile checklist 11 of 15 met (gate: more than 2/3, i.e. at least 11)"
    )


@given(answered(), st.data())
def test_meeting_one_more_criterion_never_fails_a_passing_rule(fw_states, data):
    fw, states = fw_states
    rule = data.draw(rules_for(fw.key))
    not_met = [c.key for c in fw.criteria if states.get(c.key) != "met"]
    assume(not_met)
    before = evaluate_rule(rule, fw, states)
    after = evaluate_rule(rule, fw, {**states, data.draw(st.sampled_from(not_met)): "met"})
    assert after.met == before.met + 1
    assert after.passed or not before.passed


@given(st.data())
def test_a_gate_passes_iff_every_rule_passes_in_any_order(data):
    fws = {key: data.draw(frameworks(key=key)) for key in ("alpha", "beta", "gamma")}
    states = {key: data.draw(answered(fw))[1] for key, fw in fws.items()}
    keys = data.draw(st.lists(st.sampled_from(sorted(fws)), unique=True))
    rules = [data.draw(rules_for(k)) for k in keys]
    gate = evaluate_gate(rules, fws, states)
    singles = [evaluate_rule(r, fws[r.framework], states[r.framework]) for r in rules]
    assert gate.passed == all(s.passed for s in singles)
    assert gate.met == sum(s.met for s in singles) and gate.required == sum(s.required for s in singles)
    assert set(gate.missing) == {m for s in singles if not s.passed for m in s.missing}
    shuffled = data.draw(st.permutations(rules))
    assert evaluate_gate(shuffled, fws, states).passed == gate.passed


def test_an_empty_gate_passes_and_an_unknown_framework_is_an_error():
    gate = evaluate_gate([], {}, {})
    assert gate.passed and gate.rules == () and "no handoff gate" in gate.explanation
    with pytest.raises(ValueError, match="unknown framework 'nope'"):
        evaluate_gate([GateRule.at_least("nope", 1)], {"bant": BANT}, {})


@given(answered())
def test_progress_counts_each_state_once(fw_states):
    fw, states = fw_states
    p = progress(fw, states)
    assert p.met + p.not_met + p.unknown == p.total == len(fw.criteria)
    assert p.met == sum(v == "met" for v in states.values())
    assert 0 <= p.percent <= 100 and (p.percent == 100) == (p.total > 0 and p.met == p.total)


@given(st.fixed_dictionaries({c: STATE for c in q.BANT_CRITERIA}), st.integers(0, 4))
def test_bant_gate_is_the_at_least_rule_on_bant(states, required):
    old = bant_gate(states, required)
    new = evaluate_rule(GateRule.at_least("bant", required), BANT, states)
    assert (old.passed, old.met, old.required) == (new.passed, new.met, new.required)
    assert old.missing == new.missing_keys and old.explanation == new.explanation


def test_bad_states_and_criteria_are_named():
    with pytest.raises(
        ValueError, match=r"unknown BANT criteria: 'budgett'.*states must be one of .*'need': 'yes'"
    ):
        evaluate_rule(GateRule.at_least("bant", 1), BANT, {"budgett": "met", "need": "yes"})
    with pytest.raises(ValueError, match="the rule is for 'champ'"):
        evaluate_rule(GateRule.at_least("champ", 1), BANT, {})


@pytest.mark.parametrize(("rule", "message"), [
    (GateRule("bant", "most"), "unknown rule kind"),
    (GateRule.at_least("bant", -1), "count of 0 or more"),
    (GateRule.more_than("bant", 3, 3), "0 <= n < d"),
    (GateRule.more_than("bant", 1, 0), "0 <= n < d"),
])  # fmt: skip
def test_impossible_rules_are_refused(rule, message):
    with pytest.raises(ValueError, match=message):
        rule.check()


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("at_least", " 3 ", GateRule("", "at_least", count=3)),
    ("more_than", "2/3", GateRule("", "more_than", numerator=2, denominator=3)),
    ("more_than", "2 / 3", GateRule("", "more_than", numerator=2, denominator=3)),
])  # fmt: skip
def test_thresholds_as_people_type_them(kind, text, expected):
    assert parse_threshold(kind, text) == expected


@pytest.mark.parametrize(("kind", "text"), [("at_least", "2/3"), ("at_least", "-1"), ("more_than", "3"),
                                            ("more_than", "4/3"), ("more_than", "a/b"), ("most", "1")])  # fmt: skip
def test_bad_thresholds_are_refused(kind, text):
    with pytest.raises(ValueError):
        parse_threshold(kind, text)


@given(st.text(max_size=45))
def test_keys_are_short_slugs(key):
    ok = bool(q.KEY_RE.match(key)) and not key.endswith("_note")
    if ok:
        q.check_key(key)
    else:
        with pytest.raises(ValueError):
            q.check_key(key)


def test_the_builtin_templates():
    assert [f.key for f in BUILTIN_FRAMEWORKS] == ["bant", "champ", "meddic", "profile"]
    assert [len(f.criteria) for f in BUILTIN_FRAMEWORKS] == [4, 4, 6, 15]
    assert BANT.keys == ("budget", "authority", "need", "timing")
    assert q.MEDDIC.keys == ("metrics", "economic_buyer", "decision_criteria", "decision_process",
                             "identify_pain", "champion")  # fmt: skip
    for fw in BUILTIN_FRAMEWORKS:
        q.check_key(fw.key)
        assert len(set(fw.keys)) == len(fw.keys)
        for c in fw.criteria:
            q.check_key(c.key)
            assert c.label and c.label_zh and c.description and c.description_zh
