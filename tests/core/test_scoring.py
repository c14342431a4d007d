import pytest
from hypothesis import given
from hypothesis import strategies as st

from baton.core.scoring import Rule, score, validate_rule

RULES = [
    Rule("fit", "title", "contains", ["cto", "总监"], 30, "Decision maker"),
    Rule("fit", "company_size", "gte", 200, 20, "Size ≥ 200"),
    Rule("fit", "industry", "in", ["software"], 15, "Target industry"),
    Rule("engagement", "source", "eq", "trial_signup", 30, "Trial"),
    Rule("engagement", "behaviour.replied", "count", "", 10, "Replied", cap=30),
]


@given(
    title=st.sampled_from(["", "CTO", "技术总监", "engineer"]),
    size=st.one_of(st.none(), st.integers(0, 5000)),
    replies=st.integers(0, 10),
)
def test_score_is_the_sum_of_its_factors(title, size, replies):
    s = score(
        RULES, {"title": title, "company_size": size, "behaviour.replied": replies, "source": "trial_signup"}
    )
    assert s.fit == sum(f.points for f in s.factors if f.kind == "fit")
    assert s.engagement == sum(f.points for f in s.factors if f.kind == "engagement")
    assert s.total == s.fit + s.engagement
    assert s.grade[0] in "ABCD" and s.grade[1] in "1234"
    replied = [f for f in s.factors if f.field == "behaviour.replied"]
    assert (replied[0].points if replied else 0) == min(10 * replies, 30)


def test_chinese_title_matches_and_grade():
    s = score(
        RULES, {"title": "技术总监", "company_size": 500, "industry": "Software", "source": "trial_signup"}
    )
    assert s.fit == 65 and s.grade == "A2"
    assert [f.label for f in s.factors][:3] == ["Decision maker", "Size ≥ 200", "Target industry"]


def test_missing_values_score_nothing():
    s = score(RULES, {})
    assert s.total == 0 and s.grade == "D4" and s.factors == ()


def test_invalid_rules_are_refused():
    with pytest.raises(ValueError):
        validate_rule(Rule("fit", "title", "regex", "x", 1, "x"))
    with pytest.raises(ValueError):
        validate_rule(Rule("mood", "title", "eq", "x", 1, "x"))
    with pytest.raises(ValueError):
        validate_rule(Rule("fit", "title", "in", "x", 1, "x"))


@given(
    st.fixed_dictionaries(
        {
            "title": st.sampled_from(["CEO", " ceo ", "Engineer", "", None, "销售总监"]),
            "industry": st.sampled_from(["software", "Software", "retail", ""]),
            "company_size": st.one_of(st.none(), st.integers(0, 5000)),
            "email": st.sampled_from(["", "a@b.io", "c@d.io"]),
            "behaviour.replied": st.integers(0, 3),
        }
    ),
    st.fixed_dictionaries(
        {
            "title": st.sampled_from(["CEO", "ceo", "Engineer", "", None]),
            "industry": st.sampled_from(["software", "SOFTWARE ", "retail", ""]),
            "company_size": st.one_of(st.none(), st.integers(0, 5000)),
            "email": st.sampled_from(["", "x@y.io"]),
            "behaviour.replied": st.integers(0, 3),
        }
    ),
)
def test_facts_with_the_same_score_key_score_the_same(a, b):
    from baton.core.scoring import score_key

    rules = [
        Rule("fit", "title", "contains", ["ceo", "总监"], 20, "senior"),
        Rule("fit", "industry", "in", ["software", "saas"], 15, "target industry"),
        Rule("fit", "company_size", "gte", 200, 10, "mid-size"),
        Rule("fit", "email", "present", None, 5, "has e-mail"),
        Rule("engagement", "behaviour.replied", "count", None, 10, "replied", cap=20),
    ]
    if score_key(rules, a) == score_key(rules, b):
        assert score(rules, a) == score(rules, b)
