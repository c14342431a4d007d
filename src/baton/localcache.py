"""A tiny per-process cache for configuration read on every capture and touch (the scoring rules, the
organisation settings, the SLA policies, whether any tag rule is active).

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


def invalidate_on_change(key: str, *models) -> None:
    """Drop ``key`` whenever this process saves or deletes a row of one of ``models`` (Django's
    post_save and post_delete signals; ``QuerySet.update`` and ``bulk_create`` send none), and again
    when that transaction commits: another thread may have cached the old row meanwhile."""
    from django.db import transaction
    from django.db.models.signals import post_delete, post_save

    def drop(**_kwargs) -> None:
        invalidate(key)
        transaction.on_commit(lambda: invalidate(key))

    for model in models:
        for name, signal in (("save", post_save), ("delete", post_delete)):
            signal.connect(
                drop, sender=model, weak=False, dispatch_uid=f"localcache:{key}:{name}:{model._meta.label}"
            )
