"""Working hours as people type them, and back.

The stored form (what ``core.calendar.calendar_from_config`` reads) is ``{"mon": [["09:00", "12:00"],
["13:00", "18:00"]], …}``. People write ``mon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00`` (the CLI)
or one line of spans per weekday (``09:00-12:00, 13:00-18:00``, the settings page). Parsing only reads
the text; whether the spans make a usable calendar (order, overlaps, some working time) is checked by
``calendar_from_config`` when the calendar is saved.
"""

import re

from baton.core.calendar import WEEKDAYS
from baton.core.errors import InvalidInput

_TIME = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
EXAMPLE = "mon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00"


def _time(text: str, where: str) -> str:
    m = _TIME.match(text.strip())
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise InvalidInput(f"{where}: {text.strip()!r} is not a time of day (HH:MM, e.g. 09:00 or 24:00)")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def spans_parse(text: str, *, where: str = "hours") -> list[list[str]]:
    """``09:00-12:00, 13:00-18:00`` → ``[["09:00", "12:00"], ["13:00", "18:00"]]``; empty → []."""
    spans = []
    for part in (p.strip() for p in str(text or "").split(",")):
        if not part:
            continue
        pieces = [p for p in re.split(r"\s*[-–]\s*", part) if p]
        if len(pieces) != 2:
            raise InvalidInput(
                f"{where}: {part!r} is not a span of working time (start-end, e.g. 09:00-18:00)"
            )
        spans.append([_time(pieces[0], where), _time(pieces[1], where)])
    return spans


def _days(text: str) -> list[str]:
    days: list[str] = []
    for item in (i.strip().lower() for i in text.split(",")):
        first, sep, last = item.partition("-")
        if first not in WEEKDAYS or (sep and last not in WEEKDAYS):
            raise InvalidInput(f"{item!r} is not a weekday or a range of weekdays (use {', '.join(WEEKDAYS)}, "
                               "e.g. mon-fri or sat,sun)")  # fmt: skip
        a, b = WEEKDAYS.index(first), WEEKDAYS.index(last) if sep else WEEKDAYS.index(first)
        if b < a:
            raise InvalidInput(
                f"{item!r}: a range of weekdays goes forward from Monday to Sunday (e.g. mon-fri)"
            )
        days += WEEKDAYS[a : b + 1]
    return days


def hours_parse(text: str) -> dict[str, list[list[str]]]:
    """The compact syntax: groups separated by ``;``, each weekdays then spans, e.g.
    ``mon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00``. Raises InvalidInput with an example."""
    hours: dict[str, list[list[str]]] = {}
    groups = [g.strip() for g in str(text or "").split(";") if g.strip()]
    if not groups:
        raise InvalidInput(f"no working hours given (e.g. '{EXAMPLE}')")
    for group in groups:
        days_text, _, spans_text = group.partition(" ")
        if not spans_text.strip():
            raise InvalidInput(f"{group!r}: give the weekdays, a space, then the spans (e.g. '{EXAMPLE}')")
        spans = spans_parse(spans_text, where=days_text)
        for day in _days(days_text):
            if day in hours:
                raise InvalidInput(f"{day} is given twice in the working hours")
            hours[day] = spans
    return {d: hours[d] for d in WEEKDAYS if d in hours}


def spans_format(spans) -> str:
    return ", ".join(f"{a}-{b}" for a, b in spans or [])


def hours_format(hours: dict) -> str:
    """The compact syntax of stored hours, consecutive weekdays with the same spans grouped:
    ``mon-fri 09:00-18:00; sat 10:00-14:00`` ('' when there are none)."""
    groups: list[tuple[list[str], str]] = []
    for day in WEEKDAYS:
        spans = ",".join(f"{a}-{b}" for a, b in hours.get(day) or [])
        if not spans:
            continue
        if groups and groups[-1][1] == spans and WEEKDAYS.index(groups[-1][0][-1]) == WEEKDAYS.index(day) - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], spans))
    return "; ".join(
        f"{days[0] if len(days) == 1 else f'{days[0]}-{days[-1]}'} {spans}" for days, spans in groups
    )
