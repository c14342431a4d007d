"""SLA arithmetic: wall-clock countdowns, and the engine's clocks in business time (core.calendar)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from baton.core.calendar import BusinessCalendar, add, between

ACCEPTANCE_HOURS = 48
SPEED_TO_LEAD_MINUTES = 5
PENALTY_CONSECUTIVE_MISSES = 2
PENALTY_DAYS = 30


@dataclass(frozen=True)
class Countdown:
    due_at: datetime
    remaining_seconds: int
    overdue: bool


def acceptance_due(handed_off_at: datetime, hours: int = ACCEPTANCE_HOURS) -> datetime:
    return handed_off_at + timedelta(hours=hours)


def countdown(due_at: datetime, now: datetime) -> Countdown:
    remaining = int((due_at - now).total_seconds())
    return Countdown(due_at, remaining, remaining < 0)


def is_overdue(due_at: datetime, now: datetime) -> bool:
    return now >= due_at


# --- The SLA engine (issue: routing, handoff and SLA engine) -------------------------------------------
#
# A clock measures one obligation of one person (answer a new lead, accept a handoff…) against a target in
# business time. Its due instant is computed once, in closed form, when it starts (and again when it
# resumes after a pause); the sweep then only compares stored instants with "now". Time the system made
# the person wait (routing, enrichment) is kept apart from the person's own delay.

BREACH_ACTIONS = ("notify", "escalate_manager", "escalate_director", "reroute", "strike")


@dataclass(frozen=True)
class ClockPlan:
    """When a clock that starts now is due, and when to remind."""

    started_at: datetime
    due_at: datetime
    reminders: tuple[datetime, ...]  # ascending, all before due_at


def clock_plan(
    calendar: BusinessCalendar | None, started_at: datetime, target_seconds: int,
    reminder_fractions: Sequence[float] = (), *, already_used: float = 0.0,
) -> ClockPlan:  # fmt: skip
    """The due instant ``target_seconds`` of business time after ``started_at`` (wall-clock time when
    ``calendar`` is None), less ``already_used`` business seconds (a resumed clock), and the reminder
    instants at the given fractions of the target (those still ahead)."""
    if target_seconds <= 0:
        raise ValueError("an SLA target must be positive")
    for f in reminder_fractions:
        if not 0 < f < 1:
            raise ValueError(f"a reminder is a fraction of the target between 0 and 1, not {f}")
    left = max(0.0, target_seconds - already_used)

    def after(seconds: float) -> datetime:
        if calendar is None:
            return started_at + timedelta(seconds=seconds)
        return add(calendar, started_at, seconds)

    due = after(left)
    reminders = tuple(
        after(f * target_seconds - already_used)
        for f in sorted(set(reminder_fractions))
        if f * target_seconds > already_used
    )
    return ClockPlan(started_at, due, reminders)


def elapsed(calendar: BusinessCalendar | None, start: datetime, end: datetime) -> float:
    """Seconds of (business) time from start to end."""
    if calendar is None:
        return max(0.0, (end - start).total_seconds())
    return between(calendar, start, end)


@dataclass(frozen=True)
class ClockOutcome:
    met: bool
    business_seconds: float  # from start to stop, in the clock's time
    system_seconds: float  # of those, waiting on the system (before the person could act)
    person_seconds: float  # the person's own part
    late_seconds: float  # past the target (0 when met)
    explanation: str


def clock_outcome(
    calendar: BusinessCalendar | None, *, started_at: datetime, stopped_at: datetime, target_seconds: int,
    actionable_at: datetime | None = None, paused_seconds: float = 0.0,
) -> ClockOutcome:  # fmt: skip
    """How a stopped clock did. ``actionable_at`` is when the person could first act (assigned after
    routing or enrichment); the time before it is the system's. Paused time is nobody's."""
    total = max(0.0, elapsed(calendar, started_at, stopped_at) - paused_seconds)
    system = 0.0
    if actionable_at is not None and actionable_at > started_at:
        system = min(total, elapsed(calendar, started_at, min(actionable_at, stopped_at)))
    person = total - system
    met = total <= target_seconds
    late = max(0.0, total - target_seconds)
    if met:
        why = f"met: {_duration(total)} of {_duration(target_seconds)}"
    elif person <= target_seconds:
        why = (f"missed by {_duration(late)}, but the system's {_duration(system)} caused it: "
               f"the person took {_duration(person)}")  # fmt: skip
    else:
        why = f"missed by {_duration(late)}: the person took {_duration(person)}" + (
            f" (plus {_duration(system)} waiting on the system)" if system else ""
        )
    return ClockOutcome(met, total, system, person, late, why)


def counts_against_person(outcome: ClockOutcome, target_seconds: int) -> bool:
    """A miss is the person's only when their own part alone exceeds the target."""
    return not outcome.met and outcome.person_seconds > target_seconds


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60:02d} min" if rest >= 60 else f"{hours} h"


@dataclass(frozen=True)
class PenaltyDecision:
    suspend: bool
    until: datetime | None
    consecutive_misses: int
    explanation: str


def add_months(at: datetime, months: int) -> datetime:
    """The same day and time ``months`` later (the month's last day when it is shorter)."""
    import calendar as month_calendar

    month0 = at.month - 1 + months
    year, month = at.year + month0 // 12, month0 % 12 + 1
    day = min(at.day, month_calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)


def acceptance_penalty(
    outcomes: Sequence[bool], now: datetime, *, misses: int = PENALTY_CONSECUTIVE_MISSES, months: int = 1,
    suspended_until: datetime | None = None,
) -> PenaltyDecision:  # fmt: skip
    """Spec §4.5: ``misses`` consecutive acceptance misses → no new MQLs for ``months``. ``outcomes`` are
    the person's acceptance outcomes since their last penalty began, oldest first (True = within the
    SLA), so the run restarts after a penalty; a person already suspended is not suspended again."""
    run = 0
    for ok in reversed(outcomes):
        if ok:
            break
        run += 1
    if suspended_until is not None and suspended_until > now:
        return PenaltyDecision(False, suspended_until, run, "already suspended")
    if run >= misses:
        until = add_months(now, months)
        return PenaltyDecision(
            True, until, run,
            f"{run} acceptance SLA misses in a row: no new MQLs until {until:%Y-%m-%d %H:%M}",
        )  # fmt: skip
    return PenaltyDecision(False, None, run, f"{run} miss(es) in a row; a penalty takes {misses}")


def holidays_dates(values: Sequence[str]) -> frozenset[date]:
    """ISO dates from a stored list; raises ValueError naming the first bad one."""
    out = set()
    for v in values:
        try:
            out.add(date.fromisoformat(str(v)))
        except ValueError:
            raise ValueError(f"{v!r} is not a date (YYYY-MM-DD)")
    return frozenset(out)
