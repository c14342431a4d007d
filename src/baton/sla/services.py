"""SLA clocks: started and stopped in bulk by the events of the relay, breaches found by the sweep.

A clock's due instant (and its next reminder) is computed when it starts, in the business time of the
calendar of the person's team (core.calendar), so the sweep is two index range scans of stored
instants, whatever the number of open clocks, and finds a breach at any instant it is run for — not
when somebody next saves the record.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Max, Q

from baton import clock as baton_clock
from baton.core import sla as core
from baton.core.calendar import BusinessCalendar, calendar_from_config, public_holidays
from baton.core.errors import InvalidInput
from baton.dbutil import rows_insert_values, rows_update, rows_where_in
from baton.sla.models import Calendar, Clock, Penalty, Policy, TeamCalendar

# What a breach can do. Re-routing and director escalation come with routing policies.
ACTIONS = ("notify", "escalate_manager", "strike")


def policy_validate(*, target_seconds: int, reminders: Sequence[float], breach_actions: Sequence[str],
                    stop_events: Sequence[str]) -> None:  # fmt: skip
    problems = []
    if not isinstance(target_seconds, int) or target_seconds <= 0:
        problems.append("target_seconds must be a positive whole number")
    bad = [r for r in reminders if not isinstance(r, int | float) or not 0 < r < 1]
    if bad:
        problems.append(f"reminders are fractions of the target between 0 and 1, not {bad}")
    unknown = sorted(set(breach_actions) - set(ACTIONS))
    if unknown:
        problems.append(f"unknown breach action(s) {', '.join(unknown)}; use {', '.join(ACTIONS)}")
    if not stop_events:
        problems.append("a policy needs at least one stop event, or its clocks never stop")
    if problems:
        raise InvalidInput(
            "the SLA policy is not valid: " + "; ".join(problems), details={"problems": problems}
        )


# --- Calendars ------------------------------------------------------------------------------------------


def calendar_build(cal: Calendar) -> BusinessCalendar:
    """The stored calendar as core arithmetic works with it (the country's holidays for the years around
    now). Raises InvalidInput when it cannot be used."""
    now = baton_clock.now()
    days_off, make_up = set(), {}
    if cal.holiday_country:
        off, extra = public_holidays(cal.holiday_country, range(now.year - 1, now.year + 4),
                                     subdiv=cal.holiday_subdivision or None)  # fmt: skip
        days_off |= off
        make_up.update(extra)
    try:
        days_off |= core.holidays_dates(cal.extra_days_off)
        make_up.update(dict.fromkeys(core.holidays_dates(cal.extra_working_days), 0))
    except ValueError as exc:
        raise InvalidInput(f"calendar {cal.name}: {exc}")
    return calendar_from_config({"zone": cal.zone, "hours": cal.hours}, name=cal.name, holidays=days_off,
                                make_up=make_up)  # fmt: skip


def calendar_save(*, name: str, zone: str, hours: dict, holiday_country: str = "", holiday_subdivision: str = "",
                  extra_days_off: Sequence[str] = (), extra_working_days: Sequence[str] = (),
                  is_default: bool = False, teams: Iterable[int] = ()) -> Calendar:  # fmt: skip
    """Create or replace a calendar (by name); validated as a whole before anything is stored."""
    cal = Calendar.objects.filter(name=name).first() or Calendar(name=name)
    cal.zone, cal.hours = zone, hours
    cal.holiday_country, cal.holiday_subdivision = (
        holiday_country.strip().upper(),
        holiday_subdivision.strip(),
    )
    cal.extra_days_off, cal.extra_working_days = list(extra_days_off), list(extra_working_days)
    cal.is_default, cal.updated_at = is_default, baton_clock.now()
    calendar_build(cal)  # raises InvalidInput naming every problem
    with transaction.atomic():
        if is_default:
            Calendar.objects.filter(is_default=True).exclude(pk=cal.pk).update(is_default=False)
        cal.save()
        for team_id in teams:
            TeamCalendar.objects.update_or_create(team_id=team_id, defaults={"calendar": cal})
    return cal


def _team_calendars(team_ids: Iterable[int | None]) -> dict[int | None, Calendar | None]:
    """The calendar of each team (its own, else the default one, under the key None): two queries."""
    wanted = {t for t in team_ids if t is not None}
    found = {link.team_id: link.calendar
             for link in TeamCalendar.objects.filter(team_id__in=wanted).select_related("calendar")}  # fmt: skip
    default = Calendar.objects.filter(is_default=True).first()
    return {None: default, **{team: found.get(team, default) for team in wanted}}


class _Built(dict):
    """Core calendars by stored calendar id, each built once per call (holidays included)."""

    def of(self, cal: Calendar | None) -> BusinessCalendar | None:
        if cal is None:
            return None
        if cal.pk not in self:
            self[cal.pk] = calendar_build(cal)
        return self[cal.pk]

    def by_id(self, calendar_ids: Iterable[int]) -> "_Built":
        for cal in Calendar.objects.filter(pk__in=set(calendar_ids) - self.keys()):
            self[cal.pk] = calendar_build(cal)
        return self


# --- Starting and stopping clocks -------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockStart:
    policy: str  # a Policy key
    lead_id: int
    user_id: int | None
    started_at: datetime
    actionable_at: datetime | None = None  # when the person could first act (after routing/enrichment)
    handoff_id: int | None = None


CLOCK_COLUMNS = ("policy_id", "lead_id", "handoff_id", "user_id", "calendar_id", "state", "started_at",
                 "actionable_at", "due_at", "remind_at", "reminders_left")  # fmt: skip


def clocks_start(requests: Sequence[ClockStart]) -> int:
    """Start clocks (one insert per 500); a policy that is inactive starts none. Returns how many started."""
    from baton.org.models import User

    if not requests:
        return 0
    policies = {p.key: p for p in Policy.objects.filter(key__in={r.policy for r in requests}, active=True)}
    # Teams and calendars only for business-time policies (speed to lead, on a capture, needs neither).
    on_calendar = [r for r in requests if r.policy in policies and policies[r.policy].business_time]
    users = {r.user_id for r in on_calendar if r.user_id}
    teams = dict(rows_where_in(User, "id", users, ("id", "team_id"))) if users else {}
    calendars = _team_calendars(teams.values()) if on_calendar else {}
    built = _Built()
    rows = []
    for r in requests:
        policy = policies.get(r.policy)
        if policy is None:
            continue
        record = calendars.get(teams.get(r.user_id)) if policy.business_time else None
        plan = core.clock_plan(built.of(record), r.started_at, policy.target_seconds, policy.reminders)
        rows.append((policy.pk, r.lead_id, r.handoff_id, r.user_id, record.pk if record else None,
                     Clock.State.RUNNING, r.started_at, r.actionable_at, plan.due_at,
                     plan.reminders[0] if plan.reminders else None,
                     [t.isoformat() for t in plan.reminders[1:]]))  # fmt: skip
    rows_insert_values(Clock, CLOCK_COLUMNS, rows, returning=False)
    return len(rows)


def clocks_cancel(lead_ids: Iterable[int], *, at: datetime, reason: str) -> int:
    """Cancel the open clocks of leads that no longer exist as such (merged into another): no outcome."""
    return Clock.objects.filter(
        lead_id__in=set(lead_ids), state__in=[Clock.State.RUNNING, Clock.State.PAUSED]
    ).update(state=Clock.State.CANCELLED, stopped_at=at, stop_event=reason, remind_at=None)


def clocks_stop(event: str, *, lead_ids: Iterable[int] = (), handoff_ids: Iterable[int] = (),
                at: datetime | None = None, at_by_lead: dict[int, datetime] | None = None) -> list[Clock]:  # fmt: skip
    """Stop the running or paused clocks of these leads (or handoffs) whose policy stops on ``event``;
    each records met or missed, how long, and the system's and the person's parts. Acceptance misses
    count towards the penalty (two in a row: no new MQLs for a month). ``at_by_lead`` gives each lead's
    own stop instant (first touches logged in one batch happened at different times)."""
    at = at or baton_clock.now()
    at_by_lead = at_by_lead or {}
    lead_ids = set(lead_ids) | set(at_by_lead)
    handoff_ids = set(handoff_ids)
    if not lead_ids and not handoff_ids:
        return []
    query = Clock.objects.filter(state__in=[Clock.State.RUNNING, Clock.State.PAUSED])
    query = query.filter(Q(lead_id__in=lead_ids) | Q(handoff_id__in=handoff_ids)).select_related("policy")
    clocks = [c for c in query if event in c.policy.stop_events]
    if not clocks:
        return []
    calendars = _Built().by_id({c.calendar_id for c in clocks if c.calendar_id})
    for c in clocks:
        stop = at_by_lead.get(c.lead_id, at)
        paused = c.paused_seconds
        cal = calendars.get(c.calendar_id) if c.calendar_id else None
        if c.state == Clock.State.PAUSED and c.paused_at is not None:
            paused += core.elapsed(cal, c.paused_at, stop)
        out = core.clock_outcome(cal, started_at=c.started_at, stopped_at=max(stop, c.started_at),
                                 target_seconds=c.policy.target_seconds,
                                 actionable_at=c.actionable_at, paused_seconds=paused)  # fmt: skip
        c.state = Clock.State.MET if out.met else Clock.State.MISSED
        c.stopped_at, c.stop_event, c.remind_at, c.paused_seconds = stop, event, None, paused
        c.outcome = {"met": out.met, "seconds": round(out.business_seconds, 1),
                     "system_seconds": round(out.system_seconds, 1), "person_seconds": round(out.person_seconds, 1),
                     "late_seconds": round(out.late_seconds, 1), "counts_against": core.counts_against_person(
                         out, c.policy.target_seconds), "why": out.explanation}  # fmt: skip
    with transaction.atomic():
        rows_update(
            Clock, clocks, ["state", "stopped_at", "stop_event", "remind_at", "paused_seconds", "outcome"]
        )
        _penalties_apply([c for c in clocks if c.policy.key == "acceptance" and c.user_id], at)
    return clocks


def _penalties_apply(stopped: Sequence[Clock], at: datetime) -> list[int]:
    """Apply the acceptance penalty to the people whose clocks just stopped; returns who was suspended."""
    from baton.notifications.services import NotificationRequest, notifications_send
    from baton.org.models import User

    users = {c.user_id for c in stopped}
    if not users:
        return []
    people = {u.pk: u for u in User.objects.filter(pk__in=users)}
    last_penalty = dict(Penalty.objects.filter(user_id__in=users).values("user_id")
                        .annotate(latest=Max("started_at")).values_list("user_id", "latest"))  # fmt: skip
    history: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    # Each person's acceptance outcomes since their last penalty began (or all), oldest first.
    for pk, user_id, outcome, stopped_at in (
        Clock.objects.filter(
            user_id__in=users, policy__key="acceptance", state__in=[Clock.State.MET, Clock.State.MISSED]
        )
        .order_by("stopped_at", "pk")
        .values_list("pk", "user_id", "outcome", "stopped_at")
    ):
        since = last_penalty.get(user_id)
        if since is None or stopped_at > since:
            history[user_id].append((pk, not outcome.get("counts_against", False)))
    suspended, penalties, notes = [], [], []
    for user_id in sorted(users):
        person = people[user_id]
        outcomes = [ok for _, ok in history[user_id]]
        decision = core.acceptance_penalty(outcomes, at, suspended_until=person.suspended_until)
        if not decision.suspend:
            continue
        person.suspended_until = decision.until
        suspended.append(person)
        missed = [pk for pk, _ in history[user_id][-decision.consecutive_misses :]]
        penalties.append((user_id, at, decision.until, decision.explanation, missed))
        params = {"until": decision.until.isoformat(), "why": decision.explanation}
        notes.append(NotificationRequest(user_id, "sla_penalty", params, at=at))
        if person.manager_id:
            notes.append(NotificationRequest(person.manager_id, "sla_penalty_report", {**params, "who": person.label},
                                             at=at))  # fmt: skip
    rows_update(User, suspended, ["suspended_until"])
    rows_insert_values(
        Penalty, ("user_id", "started_at", "until", "reason", "clocks"), penalties, returning=False
    )
    notifications_send(notes)
    return [p.pk for p in suspended]


# --- The sweep ------------------------------------------------------------------------------------------


def sla_sweep(at: datetime) -> dict[str, int]:
    """Reminders and breaches due at ``at`` (any instant: the worker passes now, ``baton sweep --at`` any
    other). Each clock is reminded and breached once: a conditional update claims it first, so two
    sweeps running together do not both act. Bulk: a few statements per 5,000 clocks."""
    return {"sla_reminded": _reminders(at), "sla_breached": _breaches(at), "penalties_lifted": _lift(at)}


def _lift(at: datetime) -> int:
    """Penalties whose month is over: recorded as lifted, the person told (routing already lets them
    receive MQLs again: it reads suspended_until against the decision's own instant)."""
    from baton.notifications.services import NotificationRequest, notifications_send

    over = list(Penalty.objects.filter(lifted_at__isnull=True, until__lte=at).values_list("pk", "user_id"))
    if not over:
        return 0
    Penalty.objects.filter(pk__in=[pk for pk, _ in over]).update(lifted_at=at)
    notifications_send([NotificationRequest(user_id, "sla_penalty_lifted", {}, at=at) for _, user_id in over])
    return len(over)


def _claim(set_sql: str, where_sql: str, at: datetime, columns: Sequence[str]) -> list[tuple]:
    """One set-based UPDATE … RETURNING: the clocks this sweep claimed, as rows of ``columns``. A clock
    a concurrent sweep claimed first no longer matches ``where_sql`` and is not returned twice."""
    from baton.dbutil import db_reader, db_value

    meta = Clock._meta
    table = connection.ops.quote_name(meta.db_table)
    fields = [meta.get_field(c) for c in columns]
    readers = [db_reader(f) for f in fields]
    returning = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {set_sql} WHERE state = 'running' AND {where_sql} RETURNING {returning}",  # noqa: S608
                       [db_value(meta.get_field("due_at"))(at)])  # fmt: skip
        return [tuple(read(v) for read, v in zip(readers, row, strict=True)) for row in cursor.fetchall()]


def _reminders(at: datetime) -> int:
    from baton.notifications.services import NotificationRequest, notifications_send

    with transaction.atomic():
        rows = _claim("remind_at = NULL", "remind_at IS NOT NULL AND remind_at <= %s", at,
                      ("id", "user_id", "lead_id", "policy", "due_at", "reminders_left"))  # fmt: skip
        if not rows:
            return 0
        names = dict(Policy.objects.values_list("pk", "name"))
        rows = [(pk, user_id, lead_id, None, names[policy_id], due_at, left)
                for pk, user_id, lead_id, policy_id, due_at, left in rows]  # fmt: skip
        # The next reminder of each clock, if it has one left.
        later = [(pk, left) for pk, _, _, _, _, _, left in rows if left]
        if later:
            updates = [_NextReminder(pk, datetime.fromisoformat(left[0]), left[1:]) for pk, left in later]
            rows_update(Clock, updates, ["remind_at", "reminders_left"])
    per_user: dict[int, list] = defaultdict(list)
    for _, user_id, lead_id, key, name, due_at, _ in rows:
        if user_id:
            per_user[user_id].append((lead_id, key, name, due_at))
    notifications_send([
        NotificationRequest(user_id, "sla_reminder", {"count": len(items), "policy": items[0][2],
                            "due_at": min(i[3] for i in items).isoformat()},
                            link=f"/leads/{items[0][0]}/" if len(items) == 1 else "/queue/", at=at)
        for user_id, items in sorted(per_user.items())
    ])  # fmt: skip
    return len(rows)


@dataclass
class _NextReminder:
    pk: int
    remind_at: datetime
    reminders_left: list


def _breaches(at: datetime) -> int:
    from baton.notifications.services import NotificationRequest, notifications_send
    from baton.org.models import User

    # Breached at its due instant, whenever the sweep notices: the record says when it really happened.
    rows = _claim("breached_at = due_at", "breached_at IS NULL AND due_at <= %s", at,
                  ("id", "user_id", "lead_id", "policy", "due_at"))  # fmt: skip
    if not rows:
        return 0
    policies = {p.pk: p for p in Policy.objects.filter(pk__in={row[3] for row in rows})}
    managers = dict(rows_where_in(User, "id", {row[1] for row in rows if row[1]}, ("id", "manager_id")))
    per_person: dict[tuple[int, str], list] = defaultdict(list)
    for _, user_id, lead_id, policy_id, due_at in rows:
        policy = policies[policy_id]
        if user_id and "notify" in policy.breach_actions:
            per_person[(user_id, "sla_breached")].append((lead_id, policy.name, due_at))
        if user_id and managers.get(user_id) and "escalate_manager" in policy.breach_actions:
            per_person[(managers[user_id], "sla_escalated")].append((lead_id, policy.name, due_at))
    notifications_send([
        NotificationRequest(user_id, verb, {"count": len(items), "policy": items[0][1],
                            "since": min(i[2] for i in items).isoformat()},
                            link=f"/leads/{items[0][0]}/" if len(items) == 1 else "/queue/", at=at)
        for (user_id, verb), items in sorted(per_person.items())
    ])  # fmt: skip
    return len(rows)
