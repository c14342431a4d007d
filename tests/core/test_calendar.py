"""Business calendars: business time added and measured, holidays, make-up days, DST, bad calendars."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baton.core.calendar import (
    BusinessCalendar,
    add,
    between,
    calendar_from_config,
    is_working,
    next_working,
    public_holidays,
)
from baton.core.errors import InvalidInput

WEEK = ("mon", "tue", "wed", "thu", "fri")
SHANGHAI = calendar_from_config(
    {"zone": "Asia/Shanghai", "hours": {d: [["09:00", "12:00"], ["13:30", "18:00"]] for d in WEEK}}
)
ROUND_THE_CLOCK = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
durations = st.integers(min_value=0, max_value=200 * 3600)
zones = st.sampled_from(["Asia/Shanghai", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "UTC"])


def cal_in(zone: str) -> BusinessCalendar:
    hours = {d: [["08:30", "12:00"], ["13:00", "17:30"]] for d in WEEK} | {"sat": [["00:00", "03:30"]]}
    return calendar_from_config({"zone": zone, "hours": hours})


@settings(max_examples=200, deadline=None)
@given(zone=zones, start=instants, seconds=durations)
def test_adding_then_measuring_gives_back_the_duration(zone, start, seconds):
    cal = cal_in(zone)
    due = add(cal, start, seconds)
    assert due >= start
    assert between(cal, start, due) == pytest.approx(seconds, abs=1e-6)


@settings(max_examples=150, deadline=None)
@given(zone=zones, a=instants, b=instants, c=instants)
def test_business_time_adds_up_and_never_exceeds_wall_time(zone, a, b, c):
    a, b, c = sorted((a, b, c))
    cal = cal_in(zone)
    assert between(cal, a, c) == pytest.approx(between(cal, a, b) + between(cal, b, c), abs=1e-6)
    assert 0 <= between(cal, a, c) <= (c - a).total_seconds()
    assert between(cal, c, a) == 0


@settings(max_examples=100, deadline=None)
@given(zone=zones, start=instants, x=durations, y=durations)
def test_more_business_time_is_never_earlier(zone, start, x, y):
    cal = cal_in(zone)
    assert add(cal, start, min(x, y)) <= add(cal, start, max(x, y))
    assert (
        add(cal, add(cal, start, x), y) == add(cal, start, x + y)
        or between(cal, start, add(cal, start, x)) == x
    )


@settings(max_examples=100, deadline=None)
@given(zone=zones, at=instants)
def test_the_next_working_instant_is_working_time(zone, at):
    cal = cal_in(zone)
    nxt = next_working(cal, at)
    assert nxt >= at and is_working(cal, nxt)
    assert (nxt == at) == is_working(cal, at)


def test_48_business_hours_over_china_national_day_with_its_make_up_saturday():
    days_off, make_up = public_holidays("CN", [2026])
    assert date(2026, 10, 1) in days_off and make_up.get(date(2026, 10, 10)) == 0  # a Saturday worked
    cal = calendar_from_config(
        {"zone": "Asia/Shanghai", "hours": {d: [["09:00", "12:00"], ["13:30", "18:00"]] for d in WEEK}},
        holidays=days_off, make_up=make_up,
    )  # fmt: skip
    handed_off = datetime(2026, 9, 30, 17, 0, tzinfo=cal.tz)  # an hour before the holiday
    due = add(cal, handed_off, 48 * 3600)
    # 1 h on 30 Sep; 7.5 h on 8, 9, 10 (make-up Saturday), 12, 13, 14 Oct = 46 h; 2 more on the 15th.
    assert due == datetime(2026, 10, 15, 11, 0, tzinfo=cal.tz)
    assert not is_working(cal, datetime(2026, 10, 3, 10, 0, tzinfo=cal.tz))
    assert is_working(cal, datetime(2026, 10, 10, 10, 0, tzinfo=cal.tz))


def test_lunch_break_and_evening_are_not_business_time():
    start = datetime(2026, 11, 30, 11, 0, tzinfo=SHANGHAI.tz)  # a Monday
    assert add(SHANGHAI, start, 5 * 60) == datetime(2026, 11, 30, 11, 5, tzinfo=SHANGHAI.tz)
    assert add(SHANGHAI, start, 90 * 60) == datetime(2026, 11, 30, 14, 0, tzinfo=SHANGHAI.tz)
    friday_evening = datetime(2026, 12, 4, 17, 58, tzinfo=SHANGHAI.tz)
    assert add(SHANGHAI, friday_evening, 5 * 60) == datetime(2026, 12, 7, 9, 3, tzinfo=SHANGHAI.tz)


@pytest.mark.parametrize(
    "zone, day, hours",
    [
        ("America/New_York", date(2026, 3, 8), 23),  # clocks go forward: a 23-hour day
        ("America/New_York", date(2026, 11, 1), 25),  # and back: 25 hours
        ("Europe/Berlin", date(2026, 10, 25), 25),
        ("Asia/Shanghai", date(2026, 3, 8), 24),  # no DST
    ],
)
def test_a_dst_change_makes_the_working_day_as_long_as_the_wall_clock_says(zone, day, hours):
    cal = calendar_from_config({"zone": zone, "hours": ROUND_THE_CLOCK})
    start = datetime.combine(day, time(0), tzinfo=cal.tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=cal.tz).astimezone(UTC)
    assert between(cal, start, end) == hours * 3600


def test_working_hours_across_the_skipped_hour():
    cal = calendar_from_config({"zone": "America/New_York", "hours": {"sun": [["01:00", "04:00"]]}})
    start = datetime(2026, 3, 8, 6, 0, tzinfo=UTC)  # 01:00 EST; at 02:00 the wall jumps to 03:00
    assert between(cal, start, start + timedelta(hours=5)) == 2 * 3600  # 01:00–04:00 on the wall is 2 h
    assert add(cal, start, 2 * 3600) == datetime(2026, 3, 8, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "config, words",
    [
        ({"zone": "Mars/Olympus", "hours": {"mon": [["09:00", "18:00"]]}}, "unknown time zone"),
        ({"zone": "UTC", "hours": {}}, "no working hours"),
        ({"zone": "UTC", "hours": {"monday": [["09:00", "18:00"]]}}, "unknown weekday"),
        ({"zone": "UTC", "hours": {"mon": [["18:00", "09:00"]]}}, "ends before it starts"),
        ({"zone": "UTC", "hours": {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}}, "overlap"),
        ({"zone": "UTC", "hours": {"mon": [["nine", "five"]]}}, r"not a \[start, end\] pair"),
        ({"zone": "UTC", "hours": ["09:00"]}, "hours must map weekdays"),
    ],
)
def test_bad_calendars_are_refused_with_the_reason(config, words):
    with pytest.raises(InvalidInput, match=words):
        calendar_from_config(config)


def test_a_calendar_whose_every_working_day_is_a_holiday_says_a_target_cannot_be_reached():
    mondays = {date(2026, 1, 5) + timedelta(weeks=w) for w in range(52 * 4)}
    cal = calendar_from_config({"zone": "UTC", "hours": {"mon": [["09:00", "18:00"]]}}, holidays=mondays)
    with pytest.raises(InvalidInput, match="no working time"):
        add(cal, datetime(2026, 1, 1, tzinfo=UTC), 60)
    assert between(cal, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)) == 0


def test_unknown_holiday_country():
    with pytest.raises(InvalidInput, match="no holiday list"):
        public_holidays("XX", [2026])
