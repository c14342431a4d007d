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
from baton import localcache
from baton.core import sla as core
from baton.core.calendar import BusinessCalendar, calendar_from_config, public_holidays, whole_days
from baton.core.errors import InvalidInput
from baton.dbutil import rows_insert_values, rows_update, rows_where_in
from baton.sla.models import POLICIES_CACHE_KEY, Calendar, Clock, Penalty, Policy, TeamCalendar

# What a breach can do: tell the person, escalate to their manager or to the director above, move the
# item to someone else by the routing policy, count a strike towards the acceptance penalty.
ACTIONS = ("notify", "escalate_manager", "escalate_director", "reroute", "strike")


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


def _basis(policy: Policy, cal: BusinessCalendar | None) -> BusinessCalendar | None:
    """The calendar a policy counts on: working hours, or whole working days."""
    return whole_days(cal) if cal is not None and policy.working_days else cal


def team_calendars_built(team_ids: Iterable[int | None]) -> dict[int | None, BusinessCalendar | None]:
    """Each team's business calendar, built (routing asks whether a rep is within working hours)."""
    built = _Built()
    return {team: built.of(cal) for team, cal in _team_calendars(team_ids).items()}


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


def policies_active() -> dict[str, Policy]:
    """The active policies by key, kept a few seconds per process (``localcache``; saving or deleting
    a policy drops them at once here): every capture starts a clock. Shared: read them, never change them."""
    return localcache.get(POLICIES_CACHE_KEY, lambda: {p.key: p for p in Policy.objects.filter(active=True)})


def clocks_start(requests: Sequence[ClockStart]) -> int:
    """Start clocks (one insert per 500); a policy that is inactive starts none. Returns how many started."""
    return sum(due is not None for due in clocks_start_due(requests))


def clocks_start_due(requests: Sequence[ClockStart]) -> list[datetime | None]:
    """Start clocks; each request's due instant (None: its policy is inactive, no clock)."""
    from baton.org.models import User

    if not requests:
        return []
    policies = policies_active()
    # Teams and calendars only for business-time policies (speed to lead, on a capture, needs neither).
    on_calendar = [r for r in requests if r.policy in policies and policies[r.policy].business_time]
    users = {r.user_id for r in on_calendar if r.user_id}
    teams = dict(rows_where_in(User, "id", users, ("id", "team_id"))) if users else {}
    calendars = _team_calendars(teams.values()) if on_calendar else {}
    built = _Built()
    rows, dues = [], []
    for r in requests:
        policy = policies.get(r.policy)
        if policy is None:
            dues.append(None)
            continue
        record = calendars.get(teams.get(r.user_id)) if policy.business_time else None
        plan = core.clock_plan(
            _basis(policy, built.of(record)), r.started_at, policy.target_seconds, policy.reminders
        )
        rows.append((policy.pk, r.lead_id, r.handoff_id, r.user_id, record.pk if record else None,
                     Clock.State.RUNNING, r.started_at, r.actionable_at, plan.due_at,
                     plan.reminders[0] if plan.reminders else None,
                     [t.isoformat() for t in plan.reminders[1:]]))  # fmt: skip
        dues.append(plan.due_at)
    rows_insert_values(Clock, CLOCK_COLUMNS, rows, returning=False)
    return dues


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
        cal = _basis(c.policy, calendars.get(c.calendar_id)) if c.calendar_id else None
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
        _penalties_apply([c for c in clocks if c.policy.key == "acceptance" and c.user_id
                          and "strike" in c.policy.breach_actions], at)  # fmt: skip
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
    # Only the trailing run of misses matters: a miss happened at its due instant (whether the sweep found
    # it running or it stopped late), a success when it stopped; the run restarts after a penalty. Two
    # bounded reads per person who is not suspended already (a sweep may strike hundreds at once).
    ok = Q(state=Clock.State.MET) | Q(state=Clock.State.MISSED, outcome__counts_against=False)
    miss = Q(state=Clock.State.MISSED, outcome__counts_against=True) | Q(
        state=Clock.State.RUNNING, breached_at__isnull=False
    )
    history: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for user_id in sorted(users):
        until = people[user_id].suspended_until
        if until is not None and until > at:
            continue
        mine = Clock.objects.filter(user_id=user_id, policy__key="acceptance")
        since = last_penalty.get(user_id)
        last_ok = (mine.filter(ok, stopped_at__gt=since) if since else mine.filter(ok)).aggregate(
            latest=Max("stopped_at")
        )["latest"]
        after = max((t for t in (since, last_ok) if t is not None), default=None)
        run = mine.filter(miss, due_at__gt=after) if after else mine.filter(miss)
        history[user_id] = [
            (pk, False) for pk in reversed(run.order_by("-due_at", "-pk").values_list("pk", flat=True)[:50])
        ]
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
                  ("id", "user_id", "lead_id", "policy", "due_at", "handoff_id"))  # fmt: skip
    if not rows:
        return 0
    policies = {p.pk: p for p in Policy.objects.filter(pk__in={row[3] for row in rows})}
    managers = dict(rows_where_in(User, "id", {row[1] for row in rows if row[1]}, ("id", "manager_id")))
    above = dict(rows_where_in(User, "id", set(managers.values()) - {None}, ("id", "manager_id")))
    per_person: dict[tuple[int, str], list] = defaultdict(list)
    strikes, reroute_handoffs, reroute_leads = [], [], []
    for pk, user_id, lead_id, policy_id, due_at, handoff_id in rows:
        policy = policies[policy_id]
        actions = policy.breach_actions
        if user_id and "notify" in actions:
            per_person[(user_id, "sla_breached")].append((lead_id, policy.name, due_at))
        manager = managers.get(user_id)
        if user_id and manager and "escalate_manager" in actions:
            per_person[(manager, "sla_escalated")].append((lead_id, policy.name, due_at))
        director = above.get(manager) or manager
        if (
            user_id
            and director
            and "escalate_director" in actions
            and director != (manager if "escalate_manager" in actions else None)
        ):
            per_person[(director, "sla_escalated")].append((lead_id, policy.name, due_at))
        if user_id and "strike" in actions and policy.key == Policy.Key.ACCEPTANCE:
            strikes.append(_Strike(pk, user_id))
        if "reroute" in actions:
            (reroute_handoffs if handoff_id else reroute_leads).append(handoff_id or lead_id)
    notifications_send([
        NotificationRequest(user_id, verb, {"count": len(items), "policy": items[0][1],
                            "since": min(i[2] for i in items).isoformat()},
                            link=f"/leads/{items[0][0]}/" if len(items) == 1 else "/queue/", at=at)
        for (user_id, verb), items in sorted(per_person.items())
    ])  # fmt: skip
    if strikes:  # a breach counts as a miss now: the person need not decide late for it to count
        _penalties_apply(strikes, at)
    if reroute_handoffs:
        from baton.handoffs.services import handoffs_reroute

        handoffs_reroute(reroute_handoffs, at=at, why="the SLA was breached")
    if reroute_leads:
        from baton.leads.services import leads_reroute

        leads_reroute(reroute_leads, at=at, why="the speed-to-lead SLA was breached")
    return len(rows)


@dataclass(frozen=True)
class _Strike:
    pk: int
    user_id: int


# --- Settings -------------------------------------------------------------------------------------------
#
# What Settings → SLA, /api/v1/sla/… and `baton sla …` change: policies, calendars and which team works
# on which. Ops admins only (``actor=None`` is the command line, run by whoever runs the server). Each
# change is checked as a whole before anything is written (every problem named in one InvalidInput) and
# audit-logged in the same transaction. A running clock keeps the due instant it was given when it
# started: changes apply to the clocks that start afterwards.

MAX_TARGET_SECONDS = 30 * 24 * 3600  # a business-time target must be reachable within core.calendar.MAX_DAYS
_UNSET = object()


def _require_sla_admin(actor, what: str) -> None:
    from baton.core.errors import NotAllowed

    if actor is not None and not actor.is_admin:
        raise NotAllowed(f"only ops admins may {what}")


def _invalid(what: str, problems: list[str]) -> InvalidInput:
    return InvalidInput(f"{what}: " + "; ".join(problems), details={"problems": problems})


def policy_update(key: str, *, actor, target_seconds=_UNSET, business_time=_UNSET, working_days=_UNSET,
                  reminders=_UNSET, breach_actions=_UNSET, active=_UNSET, start_event=_UNSET, stop_events=_UNSET,
                  at: datetime | None = None) -> Policy:  # fmt: skip
    """Change what is given of a policy (validated through ``policy_validate``). ``business_time``: the
    target counts in the team's calendar (else wall-clock time); ``working_days``: in whole working days
    rather than working hours. The built-in policies' start and stop events are wired to the relay's
    events and cannot be changed."""
    from baton.core.errors import NotFound
    from baton.org.services import audit_record

    _require_sla_admin(actor, "change SLA policies")
    at = at or baton_clock.now()
    with transaction.atomic():
        policy = Policy.objects.select_for_update().filter(key=key).first()
        if policy is None:
            keys = ", ".join(Policy.objects.order_by("key").values_list("key", flat=True))
            raise NotFound(f"there is no SLA policy {key!r} (the policies: {keys})")
        problems: list[str] = []
        new = {f: getattr(policy, f) for f in POLICY_FIELDS}
        if target_seconds is not _UNSET:
            if isinstance(target_seconds, bool) or not isinstance(target_seconds, int):
                problems.append(f"the target is a whole number of seconds, not {target_seconds!r}")
            elif target_seconds > MAX_TARGET_SECONDS:
                problems.append(f"the target may be at most {MAX_TARGET_SECONDS // 86400} days "
                                f"({MAX_TARGET_SECONDS} seconds)")  # fmt: skip
            else:
                new["target_seconds"] = target_seconds
        for name, value in (
            ("business_time", business_time),
            ("working_days", working_days),
            ("active", active),
        ):
            if value is _UNSET:
                continue
            if isinstance(value, bool):
                new[name] = value
            else:
                problems.append(f"{name} must be true or false, not {value!r}")
        if reminders is not _UNSET:
            if not isinstance(reminders, list | tuple):
                problems.append(
                    f"reminders are a list of fractions of the target (e.g. [0.5, 0.8]), not {reminders!r}"
                )
            elif all(isinstance(r, int | float) and not isinstance(r, bool) for r in reminders):
                new["reminders"] = sorted({float(r) for r in reminders})
            else:
                problems.append(
                    f"reminders are fractions of the target between 0 and 1, not {list(reminders)}"
                )
        if breach_actions is not _UNSET:
            if not isinstance(breach_actions, list | tuple) or not all(
                isinstance(a, str) for a in breach_actions
            ):
                problems.append(
                    f"breach actions are a list of names ({', '.join(ACTIONS)}), not {breach_actions!r}"
                )
            else:
                new["breach_actions"] = list(dict.fromkeys(a.strip() for a in breach_actions))
        events = {}
        if start_event is not _UNSET:
            if isinstance(start_event, str) and start_event.strip():
                events["start_event"] = start_event.strip()
            else:
                problems.append("the start event is the name of an event")
        if stop_events is not _UNSET:
            if isinstance(stop_events, list | tuple) and all(
                isinstance(e, str) and e.strip() for e in stop_events
            ):
                events["stop_events"] = list(dict.fromkeys(e.strip() for e in stop_events))
            else:
                problems.append("the stop events are a list of event names")
        if key in Policy.Key.values and any(events[f] != getattr(policy, f) for f in events):
            problems.append(f"the start and stop events of the built-in policy {key} are wired to the relay's "
                            "events and cannot be changed")  # fmt: skip
        else:
            new.update(events)
        try:
            policy_validate(target_seconds=new["target_seconds"], reminders=new["reminders"],
                            breach_actions=new["breach_actions"], stop_events=new["stop_events"])  # fmt: skip
        except InvalidInput as exc:
            problems += [p for p in exc.details.get("problems", [exc.message]) if p not in problems]
        if problems:
            raise _invalid(f"the SLA policy {key} is not valid", problems)
        changes = {f: [getattr(policy, f), new[f]] for f in POLICY_FIELDS if getattr(policy, f) != new[f]}
        if not changes:
            return policy
        for f in changes:
            setattr(policy, f, new[f])
        policy.save(update_fields=list(changes))
        audit_record(actor, "sla.policy_update", "sla_policy", policy.key, {"changes": changes}, at=at)
    return policy


POLICY_FIELDS = ("target_seconds", "business_time", "working_days", "reminders", "breach_actions", "active",
                 "start_event", "stop_events")  # fmt: skip
CALENDAR_FIELDS = ("zone", "hours", "holiday_country", "holiday_subdivision", "extra_days_off",
                   "extra_working_days", "is_default")  # fmt: skip


def _calendar_name(name, problems: list[str]) -> str:
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        problems.append("a calendar needs a name")
    elif len(name) > 120:
        problems.append("a calendar name has at most 120 characters")
    elif "/" in name:
        problems.append("a calendar name cannot contain '/'")
    return name


def _hours_clean(hours, problems: list[str]) -> dict:
    """The stored form of working hours: weekdays with at least one span, times as HH:MM. Order,
    overlaps and whether there is any working time at all are for calendar_from_config."""
    from baton.sla.hours import _time

    if not isinstance(hours, dict):
        problems.append(
            'hours map weekdays to lists of [start, end] spans, e.g. {"mon": [["09:00", "18:00"]]}'
        )
        return {}
    out = {}
    for day, spans in hours.items():
        day = str(day).strip().lower()
        if not isinstance(spans, list | tuple):
            problems.append(f"{day}: a list of [start, end] spans, not {spans!r}")
            continue
        clean = []
        for span in spans:
            if not (
                isinstance(span, list | tuple) and len(span) == 2 and all(isinstance(t, str) for t in span)
            ):
                problems.append(f"{day}: {span!r} is not a [start, end] pair of HH:MM times")
                continue
            try:
                clean.append([_time(span[0], day), _time(span[1], day)])
            except InvalidInput as exc:
                problems.append(exc.message)
        if clean:
            out[day] = sorted(clean)
    return out


def _dates_clean(values, what: str, problems: list[str]) -> list[str]:
    from datetime import date

    if isinstance(values, str) or not isinstance(values, list | tuple | set | frozenset):
        problems.append(f"{what} are a list of dates (YYYY-MM-DD)")
        return []
    out = set()
    for v in values:
        try:
            out.add(v if isinstance(v, date) else date.fromisoformat(str(v).strip()))
        except ValueError:
            problems.append(f"{what}: {v!r} is not a date (YYYY-MM-DD)")
    return [d.isoformat() for d in sorted(out)]


def _holidays_check(country: str, subdivision: str, problems: list[str]) -> str:
    """Check the holiday country and subdivision; returns the subdivision as the holiday list spells it."""
    import holidays as holidays_lib

    if not country:
        if subdivision:
            problems.append("a holiday subdivision needs a holiday country")
        return subdivision
    supported = holidays_lib.list_supported_countries()
    if country not in supported:
        problems.append(f"no public holiday list for country {country!r} (use an ISO 3166 code such as CN, "
                        "HK, SG, JP or US, or none)")  # fmt: skip
        return subdivision
    if subdivision:
        subdivision = next((s for s in supported[country] if s.lower() == subdivision.lower()), subdivision)
        try:
            holidays_lib.country_holidays(country, subdiv=subdivision, years=[baton_clock.now().year])
        except (NotImplementedError, ValueError):
            known = ", ".join(supported[country][:20]) or "none"
            problems.append(f"{country} has no subdivision {subdivision!r} (its subdivisions: {known})")
    return subdivision


def _calendar_config(cal: Calendar) -> dict:
    return {f: getattr(cal, f) for f in CALENDAR_FIELDS}


def calendar_put(name: str, *, actor, zone: str, hours: dict, holiday_country: str = "",
                 holiday_subdivision: str = "", extra_days_off=(), extra_working_days=(),
                 is_default: bool = False, teams=(), at: datetime | None = None) -> tuple[Calendar, bool]:  # fmt: skip
    """Create or replace the calendar called ``name`` (and assign it to ``teams``), checked as a whole:
    zone, weekday spans (HH:MM, not overlapping, some working time), the holiday country and subdivision,
    the extra dates. The default calendar stays the default until another is made the default. Returns
    the calendar and whether it was created. Audit-logged."""
    from baton.org.models import Team
    from baton.org.services import audit_record

    _require_sla_admin(actor, "change business calendars")
    problems: list[str] = []
    name = _calendar_name(name, problems)
    zone = zone.strip() if isinstance(zone, str) else ""
    hours = _hours_clean(hours, problems)
    country = holiday_country.strip().upper() if isinstance(holiday_country, str) else ""
    subdivision = holiday_subdivision.strip() if isinstance(holiday_subdivision, str) else ""
    subdivision = _holidays_check(country, subdivision, problems)
    days_off = _dates_clean(extra_days_off, "extra days off", problems)
    working = _dates_clean(extra_working_days, "extra working days", problems)
    both = sorted(set(days_off) & set(working))
    if both:
        problems.append(f"{', '.join(both)}: both an extra day off and an extra working day")
    if not isinstance(is_default, bool):
        problems.append("default must be true or false")
    team_ids = list(dict.fromkeys(teams))
    missing = sorted(set(team_ids) - set(Team.objects.filter(pk__in=team_ids).values_list("pk", flat=True)))
    if missing:
        problems.append(f"no team {', '.join(map(str, missing))}")
    try:
        calendar_from_config({"zone": zone, "hours": hours}, name=name)
    except InvalidInput as exc:
        problems += exc.details.get("problems", [exc.message])
    at = at or baton_clock.now()
    with transaction.atomic():
        current = Calendar.objects.select_for_update().filter(name=name).first() if name else None
        if current is not None and current.is_default and is_default is False:
            problems.append(f"{name} is the default calendar (teams without their own work on it): make another "
                            "calendar the default instead")  # fmt: skip
        if problems:
            raise _invalid(f"the calendar {name or '(no name)'} is not valid", problems)
        before = _calendar_config(current) if current else None
        cal = calendar_save(name=name, zone=zone, hours=hours, holiday_country=country,
                            holiday_subdivision=subdivision, extra_days_off=days_off, extra_working_days=working,
                            is_default=is_default, teams=team_ids)  # fmt: skip
        after = _calendar_config(cal)
        changes = (
            {f: [before[f], after[f]] for f in CALENDAR_FIELDS if before[f] != after[f]} if before else after
        )
        audit_record(actor, "sla.calendar_update" if before else "sla.calendar_create", "sla_calendar", cal.pk,
                     {"name": cal.name, "changes": changes, "teams": team_ids}, at=at)  # fmt: skip
    return cal, before is None


def calendar_delete(name: str, actor, *, at: datetime | None = None) -> None:
    """Delete a calendar nobody uses: not the default, no team on it, no open clock counted in it."""
    from django.db.models import ProtectedError

    from baton.core.errors import NotFound
    from baton.org.services import audit_record

    _require_sla_admin(actor, "delete business calendars")
    with transaction.atomic():
        cal = Calendar.objects.select_for_update().filter(name=name).first()
        if cal is None:
            raise NotFound(f"there is no calendar {name!r}")
        problems = []
        if cal.is_default:
            problems.append(f"{cal.name} is the default calendar: make another calendar the default first")
        teams = sorted(TeamCalendar.objects.filter(calendar=cal).values_list("team__name", flat=True))
        if teams:
            problems.append(f"teams work on it: {', '.join(teams)} (assign them another calendar first)")
        open_clocks = Clock.objects.filter(
            calendar=cal, state__in=[Clock.State.RUNNING, Clock.State.PAUSED]
        ).count()
        if open_clocks:
            problems.append(f"{open_clocks} open SLA clock(s) count business time in it")
        if problems:
            raise _invalid(f"the calendar {cal.name} is in use and cannot be deleted", problems)
        pk = cal.pk
        try:
            cal.delete()
        except ProtectedError:
            raise InvalidInput(f"the calendar {cal.name} is in use and cannot be deleted")
        audit_record(
            actor, "sla.calendar_delete", "sla_calendar", pk, {"name": name}, at=at or baton_clock.now()
        )


def calendar_assign(
    team_id: int, calendar_name: str | None, actor, *, at: datetime | None = None
) -> Calendar | None:
    """Make a team work on a calendar; ``None``: on the default one (its own assignment removed).
    Returns the team's own calendar (None: the default)."""
    from baton.core.errors import NotFound
    from baton.org.models import Team
    from baton.org.services import audit_record

    _require_sla_admin(actor, "assign business calendars")
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise NotFound(f"there is no team {team_id}")
    cal = None
    if calendar_name is not None:
        if not isinstance(calendar_name, str) or not calendar_name.strip():
            raise InvalidInput("give the name of a calendar, or none for the default calendar")
        cal = Calendar.objects.filter(name=calendar_name.strip()).first()
        if cal is None:
            names = ", ".join(Calendar.objects.order_by("name").values_list("name", flat=True))
            raise InvalidInput(f"there is no calendar {calendar_name!r} (the calendars: {names})")
    with transaction.atomic():
        link = TeamCalendar.objects.select_for_update().filter(team=team).select_related("calendar").first()
        before = link.calendar.name if link else None
        if cal is None:
            TeamCalendar.objects.filter(team=team).delete()
        else:
            TeamCalendar.objects.update_or_create(team=team, defaults={"calendar": cal})
        if before != (cal.name if cal else None):
            audit_record(actor, "sla.calendar_assign", "team", team.pk,
                         {"team": team.name, "calendar": [before, cal.name if cal else None]},
                         at=at or baton_clock.now())  # fmt: skip
    return cal


def calendar_preview(cal: Calendar | BusinessCalendar, start: datetime, seconds: float) -> datetime:
    """When ``seconds`` of the calendar's business time have passed since ``start`` (a naive start is
    read in the calendar's zone), in the calendar's zone: "48 business hours from now → due …"."""
    from math import isfinite
    from zoneinfo import ZoneInfo

    from baton.core.calendar import add

    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not isfinite(seconds)
        or seconds < 0
    ):
        raise InvalidInput(f"business time to add is a number of seconds of 0 or more, not {seconds!r}")
    if seconds > MAX_TARGET_SECONDS:
        raise InvalidInput(f"a preview goes up to {MAX_TARGET_SECONDS // 3600} business hours")
    if not isinstance(start, datetime):
        raise InvalidInput(f"the start is an instant (ISO 8601), not {start!r}")
    built = cal if isinstance(cal, BusinessCalendar) else calendar_build(cal)
    tz = ZoneInfo(built.zone)
    if start.tzinfo is None:
        start = start.replace(tzinfo=tz)
    return add(built, start, seconds).astimezone(tz)


def policy_due(policy: Policy, cal: Calendar | None, start: datetime) -> datetime:
    """When a clock of ``policy`` starting at ``start`` is due on the calendar ``cal`` (working hours, or
    whole working days for a working-days policy); wall-clock time for a policy that does not count
    business time, or without a calendar."""
    from datetime import timedelta

    from baton.core.calendar import whole_days

    if not policy.business_time or cal is None:
        return start + timedelta(seconds=policy.target_seconds)
    built = calendar_build(cal)
    return calendar_preview(whole_days(built) if policy.working_days else built, start, policy.target_seconds)
