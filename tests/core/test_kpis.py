import statistics
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baton.core import kpis as K

REQUIRED = [
    "leads",
    "mqls",
    "mql_rate",
    "follow_up_rate",
    "speed_to_lead_median_min",
    "speed_to_lead_p90_min",
    "speed_to_lead_within_5min",
    "touches",
    "calls",
    "emails",
    "messages",
    "meetings_booked",
    "meetings_held",
    "reply_rate",
    "meaningful_conversation_rate",
    "sqls",
    "mql_to_sql_rate",
    "acceptance_within_sla_rate",
    "sql_to_opp_rate",
    "opps_created",
    "opps_per_mql",
    "pipeline_created",
    "pipeline_per_opp",
    "won",
    "bookings",
    "asp",
    "win_rate",
    "sales_cycle_median_days",
    "stage2_reach_rate",
    "sdr_sourced_opps",
    "sdr_sourced_bookings",
    "sdr_sourced_bookings_share",
]


def test_the_catalogue_describes_every_key_once():
    assert len(K.KEYS) == len(set(K.KEYS))
    assert set(REQUIRED) <= set(K.KEYS)
    for d in K.CATALOGUE:
        assert d.kind in (K.FLOW, K.CONVERSION, K.DURATION, K.MONEY)
        assert d.unit in (K.COUNT, K.FRACTION, K.RATIO, K.MINUTES, K.DAYS, K.AMOUNT)
        assert d.label and d.definition.endswith(".") and d.attribution
    assert [c["key"] for c in K.catalogue()] == list(K.KEYS)
    assert "wall-clock" in K.BY_KEY["speed_to_lead_median_min"].definition.lower()
    assert all(d.kind == K.MONEY for d in K.CATALOGUE if d.unit == K.AMOUNT)


def test_a_rate_with_an_empty_denominator_is_null_never_zero():
    assert K.safe_rate(0, 0) is None
    assert K.safe_rate(5, 0) is None
    assert K.safe_rate(0, None) is None
    assert K.safe_rate(0, 3) == 0.0
    assert K.safe_rate(1, 3) == 0.3333
    assert K.safe_rate(2, 3) == 0.6667
    assert K.safe_rate(1, 8) == 0.125
    assert K.safe_rate(1, 20000) == 0.0001  # 0.00005 rounds half up


def test_money_is_a_string_with_two_decimals():
    assert K.money(0) == "0.00"
    assert K.money(None) == "0.00"
    assert K.money(1) == "0.01"
    assert K.money(1234567) == "12345.67"
    assert K.money(-250) == "-2.50"
    assert K.money_per(1000, 0) is None
    assert K.money_per(1000, 3) == "3.33"
    assert K.money_per(1001, 2) == "5.01"  # 5.005 rounds half up
    assert K.to_cents(Decimal("12345.67")) == 1234567


def test_percentile_examples():
    assert K.percentile([], 1, 2) is None
    assert K.percentile([7], 9, 10) == 7
    assert K.percentile([1, 2], 1, 2) == 1.5  # the median of an even count is the mean of the middle two
    assert K.percentile([3, 1, 2], 1, 2) == 2
    assert K.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 9, 10) == pytest.approx(9.1)
    assert K.percentile_scaled([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 9, 10) == 91
    assert K.percentile_ranks(10, 9, 10) == (9, 10, 1)
    assert K.percentile_ranks(11, 9, 10) == (10, 10, 0)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=-(10**12), max_value=10**12), min_size=1, max_size=40))
def test_percentiles_are_linear_interpolation_between_closest_ranks(values):
    # statistics.quantiles(method="inclusive") is the same definition (type 7, as PostgreSQL percentile_cont).
    if len(values) >= 2:
        deciles = statistics.quantiles([Fraction(v) for v in values], n=10, method="inclusive")
        assert Fraction(K.percentile_scaled(values, 9, 10), 10) == deciles[8]
    assert Fraction(K.percentile_scaled(values, 1, 2), 2) == statistics.median([Fraction(v) for v in values])


def test_durations_are_rounded_half_up_to_two_decimals():
    assert K.scaled_micros_to(None, 2, K.MICROS_PER_MINUTE) is None
    assert K.scaled_micros_to(2 * 90_000_000, 2, K.MICROS_PER_MINUTE) == 1.5
    assert K.scaled_micros_to(10 * 300_000, 10, K.MICROS_PER_MINUTE) == 0.01  # 0.005 min rounds up
    assert K.scaled_micros_to(2 * K.MICROS_PER_DAY * 23 // 2, 2, K.MICROS_PER_DAY) == 11.5


def test_period_bounds_are_local_midnights_in_utc():
    lo, hi = K.period_bounds(date(2024, 3, 1), date(2024, 4, 1), ZoneInfo("Asia/Shanghai"))
    assert (lo, hi) == (datetime(2024, 2, 29, 16, tzinfo=UTC), datetime(2024, 3, 31, 16, tzinfo=UTC))
    # New York changes to daylight time on 10 March 2024: the period is an hour shorter.
    lo, hi = K.period_bounds(date(2024, 3, 10), date(2024, 3, 11), ZoneInfo("America/New_York"))
    assert (lo.hour, hi.hour, (hi - lo).total_seconds()) == (5, 4, 23 * 3600)
