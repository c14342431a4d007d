"""``baton sla …``: SLA policies and business calendars from the command line (run as the system: the
changes are audit-logged without a person). Exit status 0, or 2 with the reason on stderr."""

import json
import re
import sys
from datetime import datetime

from baton.core.errors import DomainError, InvalidInput


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def duration(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h"] if hours else []
    if minutes or (not hours and not secs):
        parts.append(f"{minutes} min")
    if secs:
        parts.append(f"{secs} s")
    return " ".join(parts)


def fractions_parse(text: str) -> list[float]:
    """``0.5,0.8`` or ``50%,80%`` → [0.5, 0.8]; '' or ``none`` → []."""
    if text.strip().lower() in ("", "none"):
        return []
    out = []
    for part in (p.strip() for p in text.split(",")):
        try:
            out.append(float(part[:-1]) / 100 if part.endswith("%") else float(part))
        except ValueError:
            raise InvalidInput(
                f"--reminders: {part!r} is not a fraction of the target (e.g. 0.5,0.8 or 50%,80%)"
            )
    return out


def names_parse(text: str) -> list[str]:
    if text.strip().lower() in ("", "none"):
        return []
    return [p.strip() for p in text.split(",") if p.strip()]


def dates_parse(text: str) -> list[str]:
    return [] if text.strip().lower() in ("", "none") else [d for d in re.split(r"[\s,;]+", text) if d]


# --- Policies ------------------------------------------------------------------------------------------


def _policy_line(p: dict) -> str:
    clock = ("working days" if p["working_days"] else "working hours") if p["business_time"] else "wall-clock"
    reminders = ",".join(f"{r:g}" for r in p["reminders"]) or "-"
    actions = ",".join(p["breach_actions"]) or "-"
    state = "active" if p["active"] else "inactive"
    return (f"{p['key']:<18} {duration(p['target_seconds']):>12} {clock:<13} reminders {reminders:<9} "
            f"on breach {actions:<30} {state}")  # fmt: skip


def run_policies(*, as_json: bool = False) -> int:
    from baton.sla import settings_selectors as selectors

    rows = [selectors.policy_dict(p) for p in selectors.policies()]
    if as_json:
        _print_json(rows)
        return 0
    for p in rows:
        print(_policy_line(p))
    return 0


def run_policy(key: str, *, target_seconds=None, counted=None, reminders=None, actions=None, active=None,
               as_json: bool = False) -> int:  # fmt: skip
    """Show a policy, or change what is given. ``counted``: working_hours, working_days or wall_clock."""
    from baton.sla import settings_selectors as selectors
    from baton.sla.services import policy_update

    changes = {}
    try:
        if target_seconds is not None:
            changes["target_seconds"] = target_seconds
        if counted is not None:
            changes["business_time"] = counted != "wall_clock"
            changes["working_days"] = counted == "working_days"
        if reminders is not None:
            changes["reminders"] = fractions_parse(reminders)
        if actions is not None:
            changes["breach_actions"] = names_parse(actions)
        if active is not None:
            changes["active"] = active
        policy = policy_update(key, actor=None, **changes) if changes else selectors.policy_get(key)
    except DomainError as exc:
        return _fail(exc.message)
    data = selectors.policy_dict(policy)
    if as_json:
        _print_json(data)
    else:
        print(_policy_line(data))
    return 0


# --- Calendars -----------------------------------------------------------------------------------------


def _print_calendar(data: dict) -> None:
    print(f"{data['name']}{' (default)' if data['is_default'] else ''}")
    holidays = data["holiday_country"] + (
        f"-{data['holiday_subdivision']}" if data["holiday_subdivision"] else ""
    )
    for label, value in (
        ("zone", data["zone"]),
        ("hours", data["hours_text"]),
        ("holidays", holidays or "none"),
        ("extra days off", ", ".join(data["extra_days_off"]) or "-"),
        ("extra working days", ", ".join(data["extra_working_days"]) or "-"),
        ("teams", ", ".join(t["name"] for t in data["teams"]) or ("every team without its own" if data["is_default"] else "-")),
        ("open clocks", data["open_clocks"]),
    ):  # fmt: skip
        print(f"  {label + ':':<20}{value}")
    print("  next public holidays and make-up days:")
    kinds = {"holiday": "holiday", "make_up": "make-up working day", "day_off": "extra day off",
             "working_day": "extra working day"}  # fmt: skip
    for day in data.get("upcoming", []):
        weekday = datetime.fromisoformat(day["date"]).strftime("%a")
        print(f"    {day['date']} {weekday}  {kinds.get(day['kind'], day['kind']):<20}{day['name']}")
    if not data.get("upcoming"):
        print("    none")


def run_calendar_show(name: str, *, as_json: bool = False) -> int:
    from baton.sla import settings_selectors as selectors

    try:
        data = selectors.calendar_dict(selectors.calendar_get(name), upcoming=True, language="en")
    except DomainError as exc:
        return _fail(exc.message)
    if as_json:
        _print_json(data)
    else:
        _print_calendar(data)
    return 0


def run_calendar_set(name: str, *, zone=None, hours=None, holidays=None, subdivision=None, days_off=None,
                     working_days=None, default: bool = False, teams=()) -> int:  # fmt: skip
    """Create or change a calendar: what is not given keeps its value (a new calendar needs --zone and
    --hours); ``--default`` makes it the default; ``--team`` (repeatable) puts teams on it."""
    from baton.org.models import Team
    from baton.sla import settings_selectors as selectors
    from baton.sla.hours import hours_parse
    from baton.sla.models import Calendar
    from baton.sla.services import calendar_put

    current = Calendar.objects.filter(name=name).first()
    if current is None and (zone is None or hours is None):
        return _fail(f"there is no calendar {name!r}: give --zone and --hours to create it")
    team_ids = []
    for team_name in teams:
        team = Team.objects.filter(name=team_name).first()
        if team is None:
            return _fail(f"there is no team {team_name!r}")
        team_ids.append(team.pk)

    def keep(given, attr: str, default):
        return given if given is not None else (getattr(current, attr) if current else default)

    try:
        country = None if holidays is None else ("" if holidays.strip().lower() == "none" else holidays)
        values = {
            "zone": keep(zone, "zone", ""),
            "hours": hours_parse(hours) if hours is not None else current.hours,
            "holiday_country": keep(country, "holiday_country", ""),
            # a new country starts without the old one's subdivision
            "holiday_subdivision": keep(subdivision if subdivision is not None or country is None else "",
                                        "holiday_subdivision", ""),
            "extra_days_off": keep(None if days_off is None else dates_parse(days_off), "extra_days_off", []),
            "extra_working_days": keep(None if working_days is None else dates_parse(working_days),
                                       "extra_working_days", []),
            "is_default": default or bool(current and current.is_default),
        }  # fmt: skip
        cal, created = calendar_put(name, actor=None, teams=team_ids, **values)
    except DomainError as exc:
        return _fail(exc.message)
    print(f"{'created' if created else 'saved'} calendar {cal.name}")
    _print_calendar(selectors.calendar_dict(selectors.calendar_get(cal.name), upcoming=True, language="en"))
    return 0


def parse_start(text: str | None) -> datetime | None:
    """An ISO 8601 instant; without an offset it is read in the calendar's zone."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"--start: not an ISO 8601 time: {text!r} (e.g. 2026-09-30T17:00 or 2026-09-30T09:00:00Z)"
        )


def run_calendar_due(name: str, *, start: str | None, hours: float, as_json: bool = False) -> int:
    from baton import clock
    from baton.sla import settings_selectors as selectors
    from baton.sla.services import calendar_preview

    try:
        cal = selectors.calendar_get(name)
        begin = parse_start(start) or clock.now()
        due = calendar_preview(cal, begin, hours * 3600)
    except DomainError as exc:
        return _fail(exc.message)
    if as_json:
        print(json.dumps({"calendar": cal.name, "zone": cal.zone, "hours": hours, "due_at": due.isoformat()}))
    else:
        print(due.isoformat())
    return 0
