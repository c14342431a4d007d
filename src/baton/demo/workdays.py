"""Working time in Asia/Shanghai for the simulation: office hours, weekends, Chinese public holidays.

The holiday table is approximate (the official dates are published each year); it only shapes the
demo's traffic, nothing in the product reads it.
"""

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")

# Office hours: morning and afternoon blocks, local time.
BLOCKS = ((time(9, 0), time(12, 0)), (time(13, 30), time(18, 30)))


def _span(start: date, days: int) -> set[date]:
    return {start + timedelta(days=i) for i in range(days)}


HOLIDAYS: set[date] = set()
for _year in range(2024, 2031):
    HOLIDAYS |= {date(_year, 1, 1)} | _span(date(_year, 5, 1), 5) | _span(date(_year, 10, 1), 7)
HOLIDAYS |= (
    _span(date(2025, 1, 28), 8) | _span(date(2025, 4, 4), 3) | _span(date(2025, 5, 31), 3) | {date(2025, 10, 8)}
    | _span(date(2026, 2, 15), 9) | _span(date(2026, 4, 4), 3) | _span(date(2026, 6, 19), 3)
    | _span(date(2026, 9, 25), 3)
    | _span(date(2027, 2, 5), 8) | _span(date(2027, 4, 3), 3) | _span(date(2027, 6, 9), 3)
    | _span(date(2027, 9, 15), 3)
)  # fmt: skip


def is_workday(d: date) -> bool:
    return d.weekday() < 5 and d not in HOLIDAYS


def local(dt: datetime) -> datetime:
    return dt.astimezone(LOCAL)


def in_office_hours(dt: datetime) -> bool:
    lt = local(dt)
    if not is_workday(lt.date()):
        return False
    t = lt.time()
    return any(a <= t < b for a, b in BLOCKS)


def next_office_time(dt: datetime) -> datetime:
    """``dt`` itself if it is in office hours, else the start of the next office block."""
    lt = local(dt)
    for _ in range(30):
        if is_workday(lt.date()):
            t = lt.time()
            for a, b in BLOCKS:
                if t < a:
                    return datetime.combine(lt.date(), a, LOCAL)
                if t < b:
                    return lt
        lt = datetime.combine(lt.date() + timedelta(days=1), time(0, 0), LOCAL)
    return lt


def at_work(dt: datetime, rng: random.Random, settle_minutes: float = 60) -> datetime:
    """A rep acts at ``dt`` if that is office time; otherwise some minutes into the next block."""
    if in_office_hours(dt):
        return dt
    start = next_office_time(dt)
    return start + timedelta(minutes=rng.expovariate(1 / settle_minutes) if settle_minutes else 0)


def working_days(start: datetime, days: float, rng: random.Random) -> datetime:
    """Roughly ``days`` working days after ``start`` (weekends and holidays skipped), in office hours."""
    whole = int(days)
    d = local(start)
    while whole > 0:
        d += timedelta(days=1)
        if is_workday(d.date()):
            whole -= 1
    d += timedelta(hours=(days - int(days)) * 8)
    return at_work(d, rng)


def add_office_hours(start: datetime, hours: float) -> datetime:
    """The moment ``hours`` of office time after ``start`` (time outside office hours does not count)."""
    t = next_office_time(start)
    left = timedelta(hours=hours)
    for _ in range(400):
        lt = local(t)
        block_end = next(datetime.combine(lt.date(), b, LOCAL) for a, b in BLOCKS if a <= lt.time() < b)
        if t + left <= block_end:
            return t + left
        left -= block_end - t
        t = next_office_time(block_end)
    return t
