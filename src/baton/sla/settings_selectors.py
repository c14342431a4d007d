"""Reads of the SLA settings (Settings → SLA, /api/v1/sla/…, ``baton sla …``): policies, calendars with the
teams on them, each team's calendar, and a calendar's coming public holidays and make-up working days."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch

from baton.core.errors import InvalidInput, NotAllowed, NotFound
from baton.org.models import MANAGER_ROLES, Team
from baton.sla.hours import hours_format
from baton.sla.models import Calendar, Clock, Policy, TeamCalendar

BUILTIN_ORDER = [k for k, _ in Policy.Key.choices]


def can_read(user) -> bool:
    """Ops admins and sales managers read the SLA settings; only ops admins change them."""
    return user.is_admin or user.has_role(*MANAGER_ROLES)


def require_reader(user) -> None:
    if not can_read(user):
        raise NotAllowed("only ops admins and sales managers may read the SLA settings")


def policies() -> list[Policy]:
    """The built-in policies in the spec's order, then any others by key."""
    rows = list(Policy.objects.all())
    return sorted(rows, key=lambda p: (BUILTIN_ORDER.index(p.key) if p.key in BUILTIN_ORDER else 99, p.key))


def policy_get(key: str) -> Policy:
    policy = Policy.objects.filter(key=key).first()
    if policy is None:
        raise NotFound(f"there is no SLA policy {key!r}")
    return policy


def _with_use(query) -> list[Calendar]:
    """The calendars with ``teams`` (their TeamCalendar links, teams loaded) and ``open_clocks`` (running
    or paused clocks counted in them): three queries."""
    links = TeamCalendar.objects.select_related("team").order_by("team__name")
    rows = list(query.prefetch_related(Prefetch("teams", queryset=links)))
    counts = dict(
        Clock.objects.filter(calendar_id__in=[c.pk for c in rows], state__in=[Clock.State.RUNNING, Clock.State.PAUSED])
        .values("calendar_id").annotate(n=Count("id")).values_list("calendar_id", "n")
    )  # fmt: skip
    for cal in rows:
        cal.open_clocks = counts.get(cal.pk, 0)
    return rows


def calendars() -> list[Calendar]:
    """Every calendar, the default first, with the teams on it and its open clocks (see _with_use)."""
    return _with_use(Calendar.objects.order_by("-is_default", "name"))


def calendar_get(name: str) -> Calendar:
    cal = next(iter(_with_use(Calendar.objects.filter(name=name))), None)
    if cal is None:
        raise NotFound(f"there is no calendar {name!r}")
    return cal


def calendar_by_pk(pk: int) -> Calendar:
    cal = next(iter(_with_use(Calendar.objects.filter(pk=pk))), None)
    if cal is None:
        raise NotFound(f"there is no calendar {pk}")
    return cal


def default_calendar() -> Calendar | None:
    return Calendar.objects.filter(is_default=True).first()


@dataclass(frozen=True)
class TeamRow:
    team: Team
    own: Calendar | None  # the team's own calendar; None: it works on the default one
    default: Calendar | None

    @property
    def calendar(self) -> Calendar | None:
        return self.own or self.default


def team_calendars() -> list[TeamRow]:
    """Every team with its own calendar, or the default one it works on (two queries)."""
    own = {link.team_id: link.calendar for link in TeamCalendar.objects.select_related("calendar")}
    default = default_calendar()
    return [TeamRow(t, own.get(t.pk), default) for t in Team.objects.order_by("name")]


def team_calendar(team_id: int) -> TeamRow:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise NotFound(f"there is no team {team_id}")
    link = TeamCalendar.objects.filter(team=team).select_related("calendar").first()
    return TeamRow(team, link.calendar if link else None, default_calendar())


# --- The coming days off and make-up days -----------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    day: date
    kind: (
        str  # holiday (public), make_up (a weekend worked), day_off (the org's own), working_day (the org's)
    )
    name: str

    @property
    def working(self) -> bool:
        return self.kind in ("make_up", "working_day")

    def as_dict(self) -> dict:
        return {"date": self.day.isoformat(), "kind": self.kind, "name": self.name, "working": self.working}


def _holiday_language(table_class, language: str | None) -> str | None:
    """The holiday names in the reader's language where the list has it (zh-hans → zh_CN, en → en_US)."""
    supported = getattr(table_class, "supported_languages", ()) or ()
    if not language:
        return None
    wanted = {"zh-hans": ["zh_CN", "zh"], "zh": ["zh_CN", "zh"], "en": ["en_US", "en_GB", "en"]}.get(
        language.lower(), [language]
    )
    return next((w for w in wanted if w in supported), None)


def calendar_days(country: str, subdivision: str = "", extra_days_off=(), extra_working_days=(), *,
                  after: date, limit: int = 10, language: str | None = None) -> list[Day]:  # fmt: skip
    """The next ``limit`` dates from ``after`` (included) that differ from the weekly hours: the country's
    public holidays (named), its make-up working days (China's weekends worked around a holiday; they
    follow Monday's hours), and the org's own extra days off and working days. Raises InvalidInput for
    an unknown country or subdivision or a bad date."""
    import holidays as holidays_lib

    found: dict[date, Day] = {}
    if country:
        years = list(range(after.year, after.year + 3))
        try:
            table = holidays_lib.country_holidays(country, subdiv=subdivision or None, years=years)
            lang = _holiday_language(type(table), language)
            if lang:
                table = holidays_lib.country_holidays(country, subdiv=subdivision or None, years=years,
                                                      language=lang)  # fmt: skip
        except NotImplementedError:
            raise InvalidInput(
                f"no public holiday list for {country!r}{f' / {subdivision!r}' if subdivision else ''}"
            )
        for day, name in table.items():
            if day >= after:
                found[day] = Day(day, "holiday", name)
        for day in getattr(table, "weekend_workdays", ()):
            if day >= after and day.year in years and day not in found:
                found[day] = Day(day, "make_up", "")
    for values, kind in ((extra_days_off, "day_off"), (extra_working_days, "working_day")):
        for v in values:
            try:
                day = v if isinstance(v, date) else date.fromisoformat(str(v).strip())
            except ValueError:
                raise InvalidInput(f"{v!r} is not a date (YYYY-MM-DD)")
            if day >= after:
                found[day] = Day(day, kind, found[day].name if day in found else "")
    return [found[d] for d in sorted(found)[:limit]]


def calendar_upcoming(
    cal: Calendar, *, after: date, limit: int = 10, language: str | None = None
) -> list[Day]:
    return calendar_days(cal.holiday_country, cal.holiday_subdivision, cal.extra_days_off,
                         cal.extra_working_days, after=after, limit=limit, language=language)  # fmt: skip


# --- As plain data (the API's bodies, ``baton sla … --json``) ---------------------------------------------


def policy_dict(p: Policy) -> dict:
    return {
        "key": p.key, "name": p.name, "label": str(p.label), "builtin": p.key in Policy.Key.values,
        "start_event": p.start_event, "stop_events": p.stop_events, "target_seconds": p.target_seconds,
        "business_time": p.business_time, "working_days": p.working_days, "reminders": p.reminders,
        "breach_actions": p.breach_actions, "active": p.active,
    }  # fmt: skip


def calendar_dict(cal: Calendar, *, upcoming: bool = False, language: str | None = None) -> dict:
    """A calendar from ``calendars()`` / ``calendar_get()``; with ``upcoming``, its next 10 public holidays,
    make-up days and own dates from today in its zone."""
    from zoneinfo import ZoneInfo

    from baton import clock

    out = {
        "name": cal.name, "zone": cal.zone, "hours": cal.hours, "hours_text": hours_format(cal.hours),
        "holiday_country": cal.holiday_country, "holiday_subdivision": cal.holiday_subdivision,
        "extra_days_off": cal.extra_days_off, "extra_working_days": cal.extra_working_days,
        "is_default": cal.is_default,
        "teams": [{"id": link.team_id, "name": link.team.name} for link in cal.teams.all()],
        "open_clocks": getattr(cal, "open_clocks", 0), "updated_at": cal.updated_at,
    }  # fmt: skip
    if upcoming:
        today = clock.now().astimezone(ZoneInfo(cal.zone)).date()
        out["upcoming"] = [d.as_dict() for d in calendar_upcoming(cal, after=today, language=language)]
    return out


def team_dict(row: TeamRow) -> dict:
    return {
        "team_id": row.team.pk, "team": row.team.name, "calendar": row.own.name if row.own else None,
        "effective": row.calendar.name if row.calendar else None, "source": "team" if row.own else "default",
    }  # fmt: skip
