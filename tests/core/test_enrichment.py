"""Enrichment rules (core.enrichment): the merge plan never overwrites, waiting ends, directory values parse."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baton.core import enrichment as e
from baton.core.enrichment import CompanyFacts, merge_plan, parse_headcount, parse_registered_capital

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

blank = st.sampled_from([None, "", "  "])
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)
capital = st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False)
facts = st.builds(
    CompanyFacts,
    name=text,
    domain=st.sampled_from(["", "acme.com", "example-corp.cn", "b.io"]),
    industry=st.one_of(st.just(""), text),
    city=st.one_of(st.just(""), text),
    region=st.one_of(st.just(""), text),
    headcount=st.one_of(st.none(), st.integers(-5, 10**6)),
    registered_capital=st.one_of(st.none(), capital),
    funding_round=st.one_of(st.just(""), text),
    source=st.just("directory companies.csv, line 2"),
    as_of=st.one_of(st.none(), st.just(date(2026, 1, 1))),
)


def current_values(field: str):
    if field == "headcount":
        return st.one_of(st.none(), st.integers(0, 10**6))
    if field == "registered_capital":
        return st.one_of(st.none(), capital)
    return st.one_of(blank, text)


currents = st.fixed_dictionaries({}, optional={f: current_values(f) for f in e.FACT_FIELDS})


@given(currents, facts)
def test_only_empty_fields_are_filled_and_nothing_typed_is_overwritten(current, found):
    plan = merge_plan(current, found)
    assert set(plan) <= set(current)
    for field, entry in plan.items():
        assert entry.field == field and entry.reason
        assert found.source in entry.reason
        if entry.action == e.FILL:
            assert e.is_empty(current[field])
            assert not e.is_empty(entry.value) and e.problem(field, entry.value) == ""
        else:
            assert entry.action == e.KEEP
            assert not e.is_empty(current[field]) and entry.current == current[field]
    after = {**current, **e.fills(plan)}
    for field, value in current.items():
        if not e.is_empty(value):
            assert after[field] == value  # never overwritten


@given(currents, facts)
def test_a_plan_applied_leaves_nothing_to_fill(current, found):
    after = {**current, **e.fills(merge_plan(current, found))}
    assert not e.fills(merge_plan(after, found))


@given(facts)
def test_everything_valid_the_provider_knows_fills_an_empty_record(found):
    plan = merge_plan(dict.fromkeys(e.FACT_FIELDS), found)
    for field in e.FACT_FIELDS:
        value = found.value(field)
        usable = not e.is_empty(value) and e.problem(field, value) == ""
        assert (field in plan) == usable
        if usable:
            assert plan[field].action == e.FILL


def test_the_plan_explains_itself_and_ignores_invalid_values():
    found = CompanyFacts(name="Acme", domain="ACME.com", industry="Software", city="上海", headcount=-3,
                         registered_capital=Decimal("10000000"), funding_round="x" * 41,
                         source="directory companies.csv, line 7", as_of=date(2026, 5, 1))  # fmt: skip
    current = {"domain": "", "industry": "Finance", "city": "  ", "headcount": None,
               "registered_capital": None, "funding_round": ""}  # fmt: skip
    plan = merge_plan(current, found)
    assert list(plan) == ["domain", "industry", "city", "registered_capital"]
    assert plan["domain"].value == "acme.com"
    assert plan["industry"].action == e.KEEP and plan["industry"].current == "Finance"
    assert plan["industry"].reason == (
        "kept 'Finance' (already set); directory companies.csv, line 7 (as of 2026-05-01) says 'Software'"
    )
    assert plan["city"].reason.startswith("city was empty; directory companies.csv, line 7")
    assert plan["registered_capital"].value == Decimal("10000000.00")
    assert "10,000,000.00 CNY" in plan["registered_capital"].reason
    assert plan["registered_capital"].as_json()["value"] == "10000000.00"


def test_the_same_value_in_another_case_is_not_a_disagreement():
    plan = merge_plan(
        {"industry": "software ", "city": "Shanghai"}, CompanyFacts(industry="Software", city="Beijing")
    )
    assert list(plan) == ["city"] and plan["city"].action == e.KEEP


# --- waiting -----------------------------------------------------------------------------------------


@given(st.integers(-(10**6), 10**6), st.integers(0, 10**5), st.sampled_from(e.STATUSES))
def test_a_lead_waits_only_while_pending_and_within_the_timeout(offset, timeout, status):
    now = NOW + timedelta(seconds=offset)
    decision = e.wait_decision(NOW, now, timeout, status)
    expected = e.ROUTE if status != e.PENDING or offset >= timeout else e.WAIT
    assert decision == expected
    assert e.wait_decision(NOW, now, timedelta(seconds=timeout), status) == decision


@given(st.integers(0, 10**5), st.integers(0, 10**5), st.integers(0, 10**5))
def test_once_released_a_lead_stays_released(timeout, a, b):
    early, late = NOW + timedelta(seconds=min(a, b)), NOW + timedelta(seconds=max(a, b))
    if e.wait_decision(NOW, early, timeout, e.PENDING) == e.ROUTE:
        assert e.wait_decision(NOW, late, timeout, e.PENDING) == e.ROUTE


def test_an_unknown_status_is_refused():
    with pytest.raises(ValueError, match="unknown enrichment status"):
        e.wait_decision(NOW, NOW, 10, "done")


# --- registered capital ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("1000万人民币", "10000000", "CNY"),
        ("1000万元人民币", "10000000", "CNY"),
        ("人民币1000万元", "10000000", "CNY"),
        ("5,000,000", "5000000", "CNY"),
        ("5000000.50", "5000000.50", "CNY"),
        ("2亿", "200000000", "CNY"),
        ("1.5亿元", "150000000", "CNY"),
        ("¥500万", "5000000", "CNY"),
        ("￥５００万", "5000000", "CNY"),
        ("RMB 5 million", "5000000", "CNY"),
        ("CNY 12.5M", "12500000", "CNY"),
        ("100万美元", "1000000", "USD"),
        ("US$1,000,000", "1000000", "USD"),
        ("50万港元", "500000", "HKD"),
        ("0", "0", "CNY"),
    ],
)
def test_registered_capital_as_directories_write_it(text, amount, currency):
    assert parse_registered_capital(text) == (Decimal(amount).quantize(Decimal("0.01")), currency)


@pytest.mark.parametrize("text", ["", "  ", "-", "—", "N/A", "未公开", "暂无"])
def test_blank_capital(text):
    assert parse_registered_capital(text) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "is not an amount"),
        ("1,5", "is not an amount"),
        ("-5", "is not an amount"),
        ("100万美元人民币", "more than one currency"),
        ("9999999万亿", "too large"),
    ],
)
def test_bad_capital(text, message):
    with pytest.raises(ValueError, match=message):
        parse_registered_capital(text)


@given(st.integers(0, 10**9))
def test_capital_in_wan_and_with_separators_round_trips(n):
    assert parse_registered_capital(f"{n}万人民币") == (Decimal(n * 10_000).quantize(Decimal("0.01")), "CNY")
    assert parse_registered_capital(f"{n:,}") == (Decimal(n).quantize(Decimal("0.01")), "CNY")
    assert parse_registered_capital(f"人民币 {n} 元") == (Decimal(n).quantize(Decimal("0.01")), "CNY")


@given(st.integers(1, 9999), st.integers(0, 99))
def test_capital_in_yi_round_trips(whole, cents):
    text = f"{whole}.{cents:02d}亿"
    assert parse_registered_capital(text)[0] == Decimal(f"{whole}.{cents:02d}") * 10**8


# --- headcount ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500", 500), ("1,200", 1200), ("500人", 500), ("约500人", 500), ("500 employees", 500),
        ("100-499人", 100), ("100~499", 100), ("10,000-49,999人", 10000), ("10000+", 10000),
        ("10000人以上", 10000), ("少于50人", 1), ("<50", 1), ("50人以下", 1), ("", None), ("-", None),
        ("５００人", 500),
    ],
)  # fmt: skip
def test_headcount_as_directories_write_it(text, expected):
    assert parse_headcount(text) == expected


@pytest.mark.parametrize("text", ["many", "499-100", "1.5k", "少于0人"])
def test_bad_headcount(text):
    with pytest.raises(ValueError):
        parse_headcount(text)


@given(st.integers(0, 10**7), st.integers(0, 10**7))
def test_headcount_never_claims_more_than_the_text_says(a, b):
    assert parse_headcount(str(a)) == a
    assert parse_headcount(f"{a:,}人") == a
    low, high = min(a, b), max(a, b)
    assert parse_headcount(f"{low}-{high}人") == low


def test_facts_as_json_are_json_values():
    found = CompanyFacts(name="Acme", registered_capital=Decimal("1.50"), as_of=date(2026, 1, 2))
    assert found.as_json()["registered_capital"] == "1.50" and found.as_json()["as_of"] == "2026-01-02"
