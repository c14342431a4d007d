"""Business calendars: when a team works, and business time between two instants (spec §4.5).

A calendar is a time zone, working hours per weekday (local wall-clock times, possibly several spans a
day, e.g. 09:00–12:00 and 13:30–18:00), holidays (dates with no work) and make-up working days (dates —
usually weekends — worked on a given weekday's schedule, as China moves days around its holidays).

Everything is arithmetic on spans of real time: a day's working spans are turned into UTC instants
through the zone (so a daylight-saving change shortens or lengthens the day as the clock on the wall
says), and ``add`` / ``between`` walk day by day over at most ``MAX_DAYS``. Callers store the resulting
due instant once (when a clock starts or resumes); nothing steps through time to find breaches.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from baton.core.errors import InvalidInput

MAX_DAYS = 3 * 366  # how far add() looks for working time before it gives up (a calendar that never works)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Span = tuple[time, time]


@dataclass(frozen=True)
class BusinessCalendar:
    """``hours[weekday]`` (0 = Monday) are local working spans, sorted and not overlapping; ``end`` may
    be ``time(0)`` meaning midnight at the end of the day. ``make_up`` maps a date to the weekday whose
    schedule it follows (a Sunday worked as a Monday)."""

    zone: str
    hours: Mapping[int, tuple[Span, ...]]
    holidays: frozenset[date] = frozenset()
    make_up: Mapping[date, int] = field(default_factory=dict)
    name: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def spans_on(self, day: date) -> tuple[Span, ...]:
        """The local working spans of a date: its make-up schedule, none on a holiday, else its weekday's."""
        if day in self.make_up:
            return self.hours.get(self.make_up[day], ())
        if day in self.holidays:
            return ()
        return self.hours.get(day.weekday(), ())

    def working_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The date's working spans as UTC instants (a span that a DST change makes empty is left out)."""
        tz = self.tz
        out = []
        for start, end in self.spans_on(day):
            a = _instant(day, start, tz)
            b = _instant(day + timedelta(days=1), time(0), tz) if end == time(0) else _instant(day, end, tz)
            if b > a:
                out.append((a, b))
        return out


def whole_days(cal: BusinessCalendar) -> BusinessCalendar:
    """The same calendar counted in whole working days: every hour of a working day counts, none of a
    weekend or holiday ("48 hours" = two working days; a Friday 17:00 handoff is due Tuesday 17:00)."""
    day = ((time(0), time(0)),)
    return replace(cal, hours={weekday: day for weekday, spans in cal.hours.items() if spans},
                   name=f"{cal.name} (working days)")  # fmt: skip


def _instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """A local wall-clock time on a date as a UTC instant, read as PEP 495 reads it: a time that does not
    exist (the hour skipped when clocks go forward) takes the offset before the change, so 02:30 is the
    instant the wall shows 03:30; a time that happens twice (clocks going back) is its first occurrence."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def calendar_from_config(config: Mapping, *, name: str = "", holidays: Iterable[date] = (),
                         make_up: Mapping[date, int] | None = None) -> BusinessCalendar:  # fmt: skip
    """A calendar from its stored form: ``{"zone": "Asia/Shanghai", "hours": {"mon": [["09:00", "18:00"]],
    …}}``. Raises InvalidInput naming every problem: unknown zone or weekday, unreadable or overlapping
    times, no working time at all."""
    problems = []
    zone = str(config.get("zone", "")).strip()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"unknown time zone {zone!r}")
    hours: dict[int, tuple[Span, ...]] = {}
    raw = config.get("hours") or {}
    if not isinstance(raw, Mapping):
        raw, problems = {}, [*problems, "hours must map weekdays (mon … sun) to lists of [start, end]"]
    for key, spans in raw.items():
        if key not in WEEKDAYS:
            problems.append(f"unknown weekday {key!r} (use {', '.join(WEEKDAYS)})")
            continue
        parsed = []
        for span in spans or []:
            try:
                start, end = (_parse_time(t) for t in span)
            except (TypeError, ValueError):
                problems.append(f"{key}: {span!r} is not a [start, end] pair of HH:MM times")
                continue
            if end != time(0) and end <= start:
                problems.append(f"{key}: {span[0]}–{span[1]} ends before it starts")
                continue
            parsed.append((start, end))
        parsed.sort()
        for (_, end_a), (start_b, _) in zip(parsed, parsed[1:], strict=False):
            if end_a == time(0) or start_b < end_a:
                problems.append(f"{key}: working spans overlap")
                break
        if parsed:
            hours[WEEKDAYS.index(key)] = tuple(parsed)
    if not hours and not problems:
        problems.append("the calendar has no working hours on any weekday")
    if problems:
        raise InvalidInput(
            "the calendar is not valid: " + "; ".join(problems), details={"problems": problems}
        )
    return BusinessCalendar(zone, hours, frozenset(holidays), dict(make_up or {}), name)


def _parse_time(text) -> time:
    value = str(text).strip()
    if value in ("24:00", "24:00:00"):
        return time(0)
    return time.fromisoformat(value)


def _days(cal: BusinessCalendar, start: datetime) -> Iterator[date]:
    first = start.astimezone(cal.tz).date()  # spans never cross midnight: none began the day before
    for offset in range(MAX_DAYS + 2):
        yield first + timedelta(days=offset)


def add(cal: BusinessCalendar, start: datetime, seconds: float) -> datetime:
    """The instant when ``seconds`` of business time have passed since ``start`` (aware)."""
    if seconds < 0:
        raise ValueError("business time to add must not be negative")
    left = timedelta(seconds=seconds)
    for day in _days(cal, start):
        for a, b in cal.working_spans(day):
            if b <= start:
                continue
            a = max(a, start)
            if left <= b - a:
                return a + left
            left -= b - a
    raise InvalidInput(
        f"the calendar {cal.name or cal.zone} has no working time in the {MAX_DAYS} days after "
        f"{start.isoformat()}: a target cannot be reached"
    )


def between(cal: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Business seconds from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
    if end <= start:
        return 0.0
    total = timedelta()
    first = start.astimezone(cal.tz).date()
    for offset in range((end.astimezone(cal.tz).date() - first).days + 1):
        for a, b in cal.working_spans(first + timedelta(days=offset)):
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += hi - lo
    return total.total_seconds()


def is_working(cal: BusinessCalendar, at: datetime) -> bool:
    return any(a <= at < b for a, b in cal.working_spans(at.astimezone(cal.tz).date()))


def next_working(cal: BusinessCalendar, at: datetime) -> datetime:
    """``at`` if it is working time, else the start of the next working span."""
    return add(cal, at, 0)


def public_holidays(
    country: str, years: Iterable[int], *, subdiv: str | None = None
) -> tuple[frozenset[date], dict[date, int]]:
    """A country's public holidays and make-up working days (from the ``holidays`` package; China's
    list includes the weekends worked to bridge its holidays), for ``calendar_from_config``. A make-up
    day follows Monday's schedule. Raises InvalidInput for an unknown country or subdivision."""
    import holidays as holidays_lib

    try:
        table = holidays_lib.country_holidays(country, subdiv=subdiv, years=list(years))
    except NotImplementedError:
        raise InvalidInput(f"no holiday list for country {country!r}")
    except ValueError as exc:
        raise InvalidInput(f"holidays for {country!r}: {exc}")
    wanted = set(years)
    days_off = frozenset(table.keys())
    make_up = {
        day: 0 for day in getattr(table, "weekend_workdays", ()) if day.year in wanted and day not in days_off
    }
    return days_off, make_up
