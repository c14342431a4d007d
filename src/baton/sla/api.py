"""SLA settings API: /api/v1/sla/policies…, /api/v1/sla/calendars…, /api/v1/sla/teams…

Ops admins and sales managers read; only ops admins change (403 for others). Bad input is a 422 with
every problem named (``{"error": "invalid_input", "detail": …, "problems": […]}``)."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Field, Router, Schema, Status

from baton import clock
from baton.core.errors import InvalidInput
from baton.sla import services
from baton.sla import settings_selectors as selectors
from baton.sla.models import Calendar, Policy

router = Router(tags=["SLA"])


# --- Schemas -----------------------------------------------------------------------------------------


class PolicyOut(Schema):
    key: str
    name: str
    label: str = Field(..., description="the name in the reader's language (built-in policies)")
    builtin: bool = Field(..., description="built-in: start and stop events cannot be changed")
    start_event: str
    stop_events: list[str]
    target_seconds: int
    business_time: bool = Field(..., description="counted in the team's calendar; false: wall-clock time")
    working_days: bool = Field(..., description="business time in whole working days, not working hours")
    reminders: list[float] = Field(..., description="fractions of the target")
    breach_actions: list[str]
    active: bool


class PolicyPatch(Schema):
    target_seconds: int | None = Field(None, description="the target in seconds (business or wall-clock)")
    business_time: bool | None = Field(None, description="count in the team's calendar; false: wall-clock")
    working_days: bool | None = Field(None, description="count whole working days (48 h = two working days)")
    reminders: list[float] | None = Field(None, description="fractions of the target, e.g. [0.5, 0.8]")
    breach_actions: list[str] | None = Field(
        None, description=f"any of {', '.join(services.ACTIONS)}; [] does nothing on a breach"
    )
    active: bool | None = Field(None, description="an inactive policy starts no clocks")
    start_event: str | None = Field(None, description="custom policies only")
    stop_events: list[str] | None = Field(None, description="custom policies only")

    model_config = {"extra": "forbid"}


class TeamRef(Schema):
    id: int
    name: str


class DayOut(Schema):
    date: str
    kind: str = Field(
        ..., description="holiday, make_up (a weekend worked), day_off or working_day (the org's own)"
    )
    name: str
    working: bool


class CalendarOut(Schema):
    name: str
    zone: str
    hours: dict[str, list[list[str]]] = Field(
        ..., description='{"mon": [["09:00", "12:00"], ["13:00", "18:00"]]}'
    )
    hours_text: str = Field(..., description="the same in the compact form: mon-fri 09:00-12:00,13:00-18:00")
    holiday_country: str
    holiday_subdivision: str
    extra_days_off: list[str]
    extra_working_days: list[str]
    is_default: bool
    teams: list[TeamRef]
    open_clocks: int
    updated_at: datetime


class CalendarDetailOut(CalendarOut):
    upcoming: list[DayOut] = Field(..., description="the next 10 public holidays, make-up days and own dates")


class CalendarIn(Schema):
    zone: str = Field(..., max_length=60, description="an IANA time zone, e.g. Asia/Shanghai")
    hours: dict[str, Any] = Field(
        ..., description='working spans per weekday: {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], …}'
    )
    holiday_country: str = Field(
        "", max_length=8, description="ISO country code of the public holidays, e.g. CN"
    )
    holiday_subdivision: str = Field("", max_length=16)
    extra_days_off: list[str] = Field(default_factory=list, description="ISO dates")
    extra_working_days: list[str] = Field(
        default_factory=list, description="ISO dates, worked on Monday's hours"
    )
    is_default: bool = Field(False, description="teams without a calendar of their own work on it")

    model_config = {"extra": "forbid"}


class TeamCalendarIn(Schema):
    calendar: str | None = Field(..., description="a calendar's name; null: the default calendar")

    model_config = {"extra": "forbid"}


class TeamCalendarOut(Schema):
    team_id: int
    team: str
    calendar: str | None = Field(..., description="the team's own calendar (null: none)")
    effective: str | None = Field(..., description="the calendar its clocks count in")
    source: str = Field(..., description="team (its own) or default")


class PreviewOut(Schema):
    calendar: str
    zone: str
    start: datetime
    hours: float
    due_at: datetime = Field(..., description="in the calendar's zone")


# --- Conversions -------------------------------------------------------------------------------------


def policy_out(p: Policy) -> dict:
    return selectors.policy_dict(p)


def calendar_out(cal: Calendar, *, upcoming: bool = False) -> dict:
    return selectors.calendar_dict(cal, upcoming=upcoming, language=get_language())


def _zone(cal: Calendar):
    from zoneinfo import ZoneInfo

    return ZoneInfo(cal.zone)


def team_out(row: selectors.TeamRow) -> dict:
    return selectors.team_dict(row)


# --- Policies ----------------------------------------------------------------------------------------


@router.get("/policies", response=list[PolicyOut], summary="SLA policies (ops admins, managers)")
def policies_list(request: HttpRequest):
    selectors.require_reader(request.auth)
    return [policy_out(p) for p in selectors.policies()]


@router.patch("/policies/{key}", response=PolicyOut, summary="Change a policy (ops admins)")
def policy_patch(request: HttpRequest, key: str, payload: PolicyPatch):
    """Only what is given changes; clocks already running keep their due instant."""
    data = payload.model_dump(exclude_unset=True)
    nulls = sorted(k for k, v in data.items() if v is None)
    if nulls:
        raise InvalidInput(f"{', '.join(nulls)}: may not be null (leave out what does not change)")
    return policy_out(services.policy_update(key, actor=request.auth, **data))


# --- Calendars ---------------------------------------------------------------------------------------


@router.get("/calendars", response=list[CalendarOut], summary="Business calendars (ops admins, managers)")
def calendars_list(request: HttpRequest):
    selectors.require_reader(request.auth)
    return [calendar_out(c) for c in selectors.calendars()]


@router.get("/calendars/{name}", response=CalendarDetailOut, summary="A calendar and its coming days off")
def calendar_get(request: HttpRequest, name: str):
    selectors.require_reader(request.auth)
    return calendar_out(selectors.calendar_get(name), upcoming=True)


@router.put(
    "/calendars/{name}", response={200: CalendarDetailOut, 201: CalendarDetailOut},
    summary="Create or replace a calendar (ops admins)",
)  # fmt: skip
def calendar_put(request: HttpRequest, name: str, payload: CalendarIn):
    """Replaces the whole calendar. 201 when it is new. The default calendar stays the default until
    another one is made the default."""
    cal, created = services.calendar_put(name, actor=request.auth, **payload.model_dump())
    return Status(201 if created else 200, calendar_out(selectors.calendar_get(cal.name), upcoming=True))


@router.delete("/calendars/{name}", response={204: None}, summary="Delete an unused calendar (ops admins)")
def calendar_delete(request: HttpRequest, name: str):
    """Refused (422) for the default calendar, one a team works on, or one open clocks count in."""
    services.calendar_delete(name, request.auth)
    return Status(204, None)


@router.get(
    "/calendars/{name}/preview", response=PreviewOut, summary="When N business hours from a start end"
)
def calendar_preview(request: HttpRequest, name: str, hours: float, start: datetime | None = None):
    """``start`` defaults to now; a start without an offset is read in the calendar's zone."""
    selectors.require_reader(request.auth)
    cal = selectors.calendar_get(name)
    start = start or clock.now()
    due = services.calendar_preview(cal, start, hours * 3600)
    if start.tzinfo is None:
        start = start.replace(tzinfo=_zone(cal))
    return {"calendar": cal.name, "zone": cal.zone, "start": start, "hours": hours, "due_at": due}


# --- Teams -------------------------------------------------------------------------------------------


@router.get("/teams", response=list[TeamCalendarOut], summary="Each team's calendar (ops admins, managers)")
def teams_list(request: HttpRequest):
    selectors.require_reader(request.auth)
    return [team_out(r) for r in selectors.team_calendars()]


@router.put(
    "/teams/{team_id}/calendar", response=TeamCalendarOut, summary="Set a team's calendar (ops admins)"
)
def team_calendar_put(request: HttpRequest, team_id: int, payload: TeamCalendarIn):
    services.calendar_assign(team_id, payload.calendar, request.auth)
    return team_out(selectors.team_calendar(team_id))
