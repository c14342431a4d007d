"""The one clock every time-dependent piece of Baton reads.

Tests and simulations travel in time with ``travel_to`` instead of sleeping; the demo uses it to
replay a quarter. Production reads the system clock.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_state = threading.local()
_global_override: list[datetime] = []


def now() -> datetime:
    frozen = getattr(_state, "frozen", None)
    if frozen is not None:
        return frozen
    if _global_override:
        return _global_override[-1]
    return datetime.now(UTC)


@contextmanager
def travel_to(moment: datetime) -> Iterator[None]:
    """Freeze this thread's clock at ``moment`` (aware) for the duration of the block."""
    if moment.tzinfo is None:
        raise ValueError("travel_to needs an aware datetime")
    previous = getattr(_state, "frozen", None)
    _state.frozen = moment
    try:
        yield
    finally:
        _state.frozen = previous


def set_frozen(moment: datetime | None) -> None:
    """Freeze (or with None, release) this thread's clock without a context manager."""
    _state.frozen = moment


def advance(delta: timedelta) -> datetime:
    current = now()
    _state.frozen = current + delta
    return _state.frozen
