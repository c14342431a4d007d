"""The tag-rule condition language: validation messages, evaluation laws (property-tested), explanations."""

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baton.core.behaviour import KINDS
from baton.core.tagging import (
    BEHAVIOUR_OPS,
    FIELDS,
    MAX_DEPTH,
    MAX_NODES,
    NUMBER_FIELDS,
    BehaviourNeed,
    Facts,
    Match,
    Rule,
    describe,
    desired_tags,
    evaluate,
    needs,
    validate,
)

TEXTS = ["manufacturing", "Manufacturing ", "software", "East", "CTO", "技术总监", "", "MES"]

# --- Strategies ---------------------------------------------------------------------------------------


@st.composite
def field_leaf(draw):
    name = draw(st.sampled_from(FIELDS))
    if name in NUMBER_FIELDS:
        op = draw(st.sampled_from(["eq", "in", "gte", "lte", "present"]))
        number = st.integers(-10, 1000)
        value = {"in": st.lists(number, min_size=1, max_size=4), "present": st.booleans()}.get(op, number)
    else:
        op = draw(st.sampled_from(["eq", "in", "contains", "present"]))
        text = st.sampled_from(TEXTS)
        value = {
            "in": st.lists(text, min_size=1, max_size=4),
            "contains": st.one_of(st.sampled_from(TEXTS[:-2] + ["MES"]), st.lists(st.sampled_from(["manu", "cto"]), min_size=1)),
            "present": st.booleans(),
        }.get(op, text)  # fmt: skip
    node = {"field": name, "op": op}
    if op != "present" or draw(st.booleans()):
        node["value"] = draw(value)
    return node


@st.composite
def behaviour_leaf(draw):
    op = draw(st.sampled_from(BEHAVIOUR_OPS))
    node = {"behaviour": draw(st.sampled_from(KINDS)), "op": op}
    if op == "present":
        if draw(st.booleans()):
            node["value"] = draw(st.booleans())
    else:
        node["value"] = draw(st.integers(0, 5))
    if draw(st.booleans()):
        node["within_days"] = draw(st.sampled_from([1, 7, 30, 90]))
    if draw(st.booleans()):
        node["matching"] = draw(st.sampled_from(["MES", "pricing", "白皮书"]))
    return node


leaves = st.one_of(field_leaf(), behaviour_leaf())
conditions = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, children),
    ),
    max_leaves=8,
)


@st.composite
def facts_for(draw, condition):
    fields = {}
    for name in FIELDS:
        if name in NUMBER_FIELDS:
            fields[name] = draw(st.one_of(st.none(), st.integers(-10, 1000)))
        else:
            fields[name] = draw(st.one_of(st.none(), st.sampled_from(TEXTS)))
    counts = {need.key: draw(st.integers(0, 6)) for need in needs(condition)}
    return Facts(fields, counts)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10),
              st.sampled_from(["all", "any", "not", "field", "behaviour", "op", "value", "eq", "industry"])),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["all", "any", "not", "field", "behaviour", "op", "value", "within_days",
                                         "matching", "x"]), children, max_size=4),
    ),
    max_leaves=12,
)  # fmt: skip


# --- Laws ---------------------------------------------------------------------------------------------


@given(st.data(), conditions)
def test_generated_conditions_are_valid_and_evaluate_without_touching_the_facts(data, condition):
    assert validate(condition) == []
    facts = data.draw(facts_for(condition))
    before = copy.deepcopy((dict(facts.fields), dict(facts.behaviour)))
    result, why = evaluate(condition, facts)
    assert isinstance(result, bool) and why.endswith(("yes", "no", ")"))
    assert evaluate(condition, facts) == (result, why)  # deterministic
    assert (dict(facts.fields), dict(facts.behaviour)) == before
    assert describe(condition) and describe(condition)[:3] == why[:3]


@given(st.data(), conditions)
def test_not_inverts(data, condition):
    facts = data.draw(facts_for(condition))
    assert evaluate({"not": condition}, facts)[0] is not evaluate(condition, facts)[0]
    assert evaluate({"not": {"not": condition}}, facts)[0] is evaluate(condition, facts)[0]


@given(st.data(), st.lists(conditions, min_size=1, max_size=4))
def test_all_and_any_combine_their_parts(data, parts):
    facts = data.draw(facts_for({"all": parts}))
    results = [evaluate(p, facts)[0] for p in parts]
    assert evaluate({"all": parts}, facts)[0] is all(results)
    assert evaluate({"any": parts}, facts)[0] is any(results)
    # De Morgan
    assert (
        evaluate({"not": {"all": parts}}, facts)[0]
        is evaluate({"any": [{"not": p} for p in parts]}, facts)[0]
    )


@given(behaviour_leaf().filter(lambda n: n["op"] == "gte"), st.integers(0, 10), st.integers(0, 10))
def test_behaviour_at_least_is_monotone_in_the_count(node, a, b):
    key = needs(node).pop().key
    low, high = sorted((a, b))
    if evaluate(node, Facts({}, {key: low}))[0]:
        assert evaluate(node, Facts({}, {key: high}))[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("manufacturing", True), ("Manufacturing", True), ("  MANUFACTURING  ", True), ("manu facturing", False),
     (None, False), ("", False)],
)  # fmt: skip
def test_text_tests_ignore_letter_case_and_outer_spacing(value, expected):
    condition = {"field": "industry", "op": "eq", "value": "Manufacturing"}
    assert evaluate(condition, Facts({"industry": value}))[0] is expected


@settings(max_examples=300)
@given(json_values)
def test_validate_never_raises_and_valid_means_evaluable(value):
    errors = validate(value)
    assert isinstance(errors, list) and all(isinstance(e, str) and e.startswith("condition") for e in errors)
    if not errors:
        evaluate(value, Facts())
    else:
        with pytest.raises(ValueError):
            evaluate(value, Facts())


@given(st.lists(st.tuples(st.integers(1, 3), conditions), min_size=1, max_size=5), st.data())
def test_a_tag_is_desired_exactly_when_one_of_its_rules_matches_and_the_first_wins(specs, data):
    rules = [Rule(i, tag, cond) for i, (tag, cond) in enumerate(specs)]
    facts = data.draw(facts_for({"all": [c for _, c in specs]}))
    desired = desired_tags(rules, facts)
    for tag in {r.tag for r in rules}:
        matching = [r for r in rules if r.tag == tag and evaluate(r.condition, facts)[0]]
        if matching:
            assert desired[tag] == Match(matching[0].id, evaluate(matching[0].condition, facts)[1])
        else:
            assert tag not in desired


# --- Examples -----------------------------------------------------------------------------------------

EXAMPLE = {
    "all": [
        {"field": "industry", "op": "eq", "value": "manufacturing"},
        {"behaviour": "content_download", "op": "gte", "value": 2},
        {"behaviour": "event_attendance", "within_days": 30, "op": "gte", "value": 1},
    ]
}


def test_the_example_rule_with_its_explanation():
    assert validate(EXAMPLE) == []
    assert needs(EXAMPLE) == {BehaviourNeed("content_download"), BehaviourNeed("event_attendance", 30)}
    facts = Facts({"industry": "Manufacturing"}, {"content_download": 3, "event_attendance@30d": 1})
    ok, why = evaluate(EXAMPLE, facts)
    assert ok
    assert why == (
        'all of [industry = "manufacturing": yes ("Manufacturing"); content_download ≥ 2: yes (3); '
        "event_attendance in the last 30 days ≥ 1: yes (1)]: yes"
    )
    ok, why = evaluate(EXAMPLE, Facts({"industry": "Manufacturing"}, {"content_download": 1}))
    assert not ok and "content_download ≥ 2: no (1)" in why and "in the last 30 days ≥ 1: no (0)" in why
    assert describe(EXAMPLE) == (
        'all of [industry = "manufacturing"; content_download ≥ 2; event_attendance in the last 30 days ≥ 1]'
    )


def test_interest_matching_and_presence():
    cond = {"any": [{"behaviour": "content_download", "matching": " White  Paper ", "op": "present"},
                    {"field": "title", "op": "contains", "value": ["cto", "总监"]}]}  # fmt: skip
    assert needs(cond) == {BehaviourNeed("content_download", None, "white paper")}
    assert evaluate(cond, Facts({"title": "技术总监"}))[0]
    assert evaluate(cond, Facts({"title": "Engineer"}, {"content_download~white paper": 1}))[0]
    assert not evaluate(cond, Facts({"title": None}))[0]
    assert evaluate({"field": "phone", "op": "present", "value": False}, Facts({"phone": "  "}))[0]
    assert evaluate({"field": "company_size", "op": "gte", "value": 200}, Facts({"company_size": 250}))[0]
    assert not evaluate({"field": "company_size", "op": "gte", "value": 200}, Facts({"company_size": None}))[
        0
    ]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            {"field": "industry", "op": "regex", "value": "x"},
            "condition.op: unknown op 'regex'; use one of eq, in",
        ),
        ({"field": "mood", "op": "eq", "value": "x"}, "condition.field: unknown field 'mood'"),
        ("industry = manufacturing", "condition: must be an object"),
        ([{"field": "industry"}], "condition: must be an object"),
        (None, "condition: must be an object"),
        ({}, "condition: needs exactly one of all, any, not, field, behaviour; got keys []"),
        ({"all": []}, "condition.all: must be a non-empty list of conditions"),
        ({"all": {"field": "x"}}, "condition.all: must be a non-empty list"),
        ({"all": [{"field": "industry", "op": "eq", "value": "a"}], "field": "x"}, "got 'all' and 'field'"),
        ({"any": [{"field": "industry", "op": "eq"}]}, "condition.any[0].value: is required for op 'eq'"),
        ({"field": "industry", "op": "gte", "value": 3}, "op 'gte' needs a number field"),
        ({"field": "company_size", "op": "contains", "value": "1"}, "op 'contains' needs a text field"),
        ({"field": "company_size", "op": "gte", "value": "200"}, "the value must be a number"),
        ({"field": "industry", "op": "in", "value": "software"}, "op 'in' needs a list of 1 to 100 texts"),
        ({"field": "industry", "op": "eq", "value": "x", "colour": "red"}, "unknown key(s) 'colour'"),
        ({"behaviour": "tweet", "op": "gte", "value": 1}, "condition.behaviour: unknown behaviour 'tweet'"),
        ({"behaviour": "page_visit", "op": "contains", "value": 1}, "unknown op 'contains' for a behaviour"),
        ({"behaviour": "page_visit", "op": "gte", "value": -1}, "a whole number ≥ 0"),
        ({"behaviour": "page_visit", "op": "gte", "value": True}, "a whole number ≥ 0"),
        (
            {"behaviour": "page_visit", "op": "gte", "value": 1, "within_days": 0},
            "within_days: must be a whole",
        ),
        (
            {"behaviour": "page_visit", "op": "gte", "value": 1, "matching": ""},
            "matching: must be a non-empty",
        ),
        ({"not": {"not": "x"}}, "condition.not.not: must be an object"),
    ],
)
def test_invalid_conditions_say_what_and_where(condition, message):
    errors = validate(condition)
    assert any(message in e for e in errors), errors
    with pytest.raises(ValueError, match="condition"):
        evaluate(condition, Facts())


def test_every_problem_is_listed_at_once():
    errors = validate({"all": [{"field": "mood", "op": "eq", "value": 1}, {"behaviour": "x", "op": "y"}]})
    assert [e.split(":")[0] for e in errors] == [
        "condition.all[0].field", "condition.all[1].behaviour", "condition.all[1].op",
    ]  # fmt: skip


def test_size_and_depth_are_bounded():
    leaf = {"field": "industry", "op": "present"}
    deep = leaf
    for _ in range(MAX_DEPTH + 1):
        deep = {"not": deep}
    assert any("nested deeper" in e for e in validate(deep))
    wide = {"any": [leaf] * MAX_NODES}
    assert any("too large" in e for e in validate(wide))
    assert validate({"any": [leaf] * (MAX_NODES - 1)}) == []
