"""A tiny per-process cache for configuration read on every capture and touch (the scoring rules).

Entries live a few seconds and are dropped at once when this process saves or deletes the model
behind them (bulk ``QuerySet.update`` bypasses that: use it only where a few seconds' delay is fine);
other processes see a change within the TTL. Tests clear it between cases.
"""

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
TTL_SECONDS = 5.0

_lock = threading.Lock()
_entries: dict[str, tuple[float, object]] = {}


def get(key: str, loader: Callable[[], T], ttl: float = TTL_SECONDS) -> T:
    now = time.monotonic()
    entry = _entries.get(key)
    if entry is not None and entry[0] > now:
        return entry[1]  # type: ignore[return-value]
    value = loader()
    with _lock:
        _entries[key] = (now + ttl, value)
    return value


def invalidate(key: str) -> None:
    with _lock:
        _entries.pop(key, None)


def clear() -> None:
    with _lock:
        _entries.clear()
