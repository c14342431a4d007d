"""SLA arithmetic for the foundation: wall-clock targets (business calendars come with the SLA engine)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

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
