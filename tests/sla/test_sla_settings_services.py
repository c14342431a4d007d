"""SLA settings services: policy changes, calendars (create, replace, delete, assign), the due-instant
preview, the compact hours syntax and the coming holidays. Every bad input is refused whole: nothing is
half-applied and nothing is audit-logged."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from baton import clock
from baton.core.errors import InvalidInput, NotAllowed, NotFound
from baton.leads.services import capture_clean, lead_create
from baton.org.models import AuditLog
from baton.org.services import team_create, user_create
from baton.sla import settings_selectors as selectors
from baton.sla.hours import hours_format, hours_parse, spans_parse
from baton.sla.models import Calendar, Clock, Policy, TeamCalendar
from baton.sla.services import (
    ClockStart,
    calendar_assign,
    calendar_delete,
    calendar_preview,
    calendar_put,
    clocks_start,
    policy_due,
    policy_update,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MON_10 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 30 November 2026, 10:00 in Shanghai
SPLIT = {d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture(autouse=True)
def _now():
    clock.set_frozen(MON_10)
    yield
    clock.set_frozen(None)


@pytest.fixture
def org(db):
    sales = team_create("Sales", "sales")
    west = team_create("West", "sales")
    return {
        "sales": sales,
        "west": west,
        "admin": user_create("ops", None, roles=["ops_admin"]),
        "director": user_create("boss", None, roles=["sales_director"], team=sales),
        "ae": user_create("ae", None, roles=["ae"], team=sales),
    }


def default_cal() -> Calendar:
    return Calendar.objects.get(is_default=True)


def audits(action: str) -> list[AuditLog]:
    return list(AuditLog.objects.filter(action=action).order_by("pk"))


def snapshot(model) -> list[dict]:
    return list(model.objects.order_by("pk").values())


# --- Policies ---------------------------------------------------------------------------------------------


def test_policy_update_changes_what_is_given_and_is_audited(org):
    p = policy_update("acceptance", actor=org["admin"], target_seconds=24 * 3600, reminders=[0.75, 0.25, 0.75],
                      breach_actions=["notify", "notify", "strike"], business_time=False, active=False)  # fmt: skip
    p.refresh_from_db()
    assert (p.target_seconds, p.reminders, p.breach_actions, p.business_time, p.active) == (
        24 * 3600, [0.25, 0.75], ["notify", "strike"], False, False
    )  # fmt: skip
    assert p.start_event == "handoff_created"  # untouched
    (entry,) = audits("sla.policy_update")
    assert entry.actor == org["admin"] and entry.object_id == "acceptance"
    assert entry.data["changes"]["target_seconds"] == [48 * 3600, 24 * 3600]
    assert set(entry.data["changes"]) == {
        "target_seconds",
        "reminders",
        "breach_actions",
        "business_time",
        "active",
    }


def test_policy_update_without_a_change_writes_no_audit(org):
    policy_update("acceptance", actor=None, target_seconds=48 * 3600, active=True)
    assert audits("sla.policy_update") == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"target_seconds": 0}, "target_seconds must be a positive whole number"),
        ({"target_seconds": -60}, "target_seconds must be a positive whole number"),
        ({"target_seconds": True}, "whole number of seconds"),
        ({"target_seconds": "48h"}, "whole number of seconds"),
        ({"target_seconds": 31 * 24 * 3600}, "at most 30 days"),
        ({"reminders": [0.5, 1.2]}, "between 0 and 1"),
        ({"reminders": [0]}, "between 0 and 1"),
        ({"reminders": [True]}, "between 0 and 1"),
        ({"reminders": "0.5"}, "a list of fractions"),
        ({"breach_actions": ["notify", "fire_them"]}, "unknown breach action(s) fire_them"),
        ({"breach_actions": "notify"}, "a list of names"),
        ({"business_time": "yes"}, "business_time must be true or false"),
        ({"active": 1}, "active must be true or false"),
        ({"start_event": "lead_created"}, "cannot be changed"),
        ({"stop_events": ["first_touch"]}, "cannot be changed"),
        ({"stop_events": []}, "cannot be changed"),
    ],
)
def test_policy_update_refuses_bad_input_whole(org, changes, message):
    before = snapshot(Policy)
    with pytest.raises(InvalidInput) as exc:
        policy_update("speed_to_lead", actor=org["admin"], **{"active": False, **changes})
    assert message in exc.value.message
    assert exc.value.message.startswith("the SLA policy speed_to_lead is not valid")
    assert snapshot(Policy) == before  # not even the valid "active" was applied
    assert audits("sla.policy_update") == []


def test_policy_update_names_every_problem(org):
    with pytest.raises(InvalidInput) as exc:
        policy_update("acceptance", actor=org["admin"], target_seconds=0, reminders=[2], breach_actions=["x"])
    assert len(exc.value.details["problems"]) == 3


def test_builtin_events_may_be_given_unchanged(org):
    p = Policy.objects.get(key="acceptance")
    policy_update("acceptance", actor=org["admin"], start_event=p.start_event, stop_events=p.stop_events)


def test_custom_policy_events_are_editable_but_need_a_stop_event(org):
    Policy.objects.create(key="callback", name="Call back", start_event="callback_requested",
                          stop_events=["first_touch"], target_seconds=3600)  # fmt: skip
    p = policy_update("callback", actor=org["admin"], stop_events=["first_touch", "callback_logged"])
    assert p.stop_events == ["first_touch", "callback_logged"]
    with pytest.raises(InvalidInput, match="at least one stop event"):
        policy_update("callback", actor=org["admin"], stop_events=[])


def test_policy_update_unknown_policy_and_non_admins(org):
    with pytest.raises(NotFound, match="no SLA policy 'nope'"):
        policy_update("nope", actor=org["admin"], active=False)
    for who in ("director", "ae"):
        with pytest.raises(NotAllowed, match="only ops admins"):
            policy_update("acceptance", actor=org[who], active=False)
    assert Policy.objects.get(key="acceptance").active


def test_a_new_target_applies_to_clocks_started_afterwards(org):
    lead = lead_create(capture_clean({"name": "L", "email": "l@x.cn"}))
    clocks_start([ClockStart("manager_feedback", lead.pk, org["ae"].pk, MON_10)])
    policy_update("manager_feedback", actor=org["admin"], target_seconds=9 * 3600)
    clocks_start([ClockStart("manager_feedback", lead.pk, org["ae"].pk, MON_10)])
    first, second = Clock.objects.order_by("pk")
    assert first.due_at == datetime(
        2026, 11, 30, 10, 0, tzinfo=UTC
    )  # 8 working hours: Monday 18:00, as it started
    assert second.due_at == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 9 working hours: Tuesday 10:00
    policy_update("manager_feedback", actor=org["admin"], active=False)
    assert clocks_start([ClockStart("manager_feedback", lead.pk, org["ae"].pk, MON_10)]) == 0


def test_working_hours_working_days_or_wall_clock(org):
    lead = lead_create(capture_clean({"name": "L", "email": "l@x.cn"}))

    def due(**changes):
        policy = policy_update("director_dispatch", actor=org["admin"], target_seconds=48 * 3600, **changes)
        clocks_start([ClockStart("director_dispatch", lead.pk, org["ae"].pk, MON_10)])
        stored = Clock.objects.order_by("-pk").first().due_at
        assert policy_due(policy, default_cal(), MON_10) == stored  # the settings page's preview agrees
        return stored.astimezone(SHANGHAI).replace(tzinfo=None)

    assert due(business_time=True, working_days=False) == datetime(2026, 12, 7, 13, 0)  # 48 working hours
    assert due(working_days=True) == datetime(2026, 12, 2, 10, 0)  # two working days
    assert due(business_time=False) == datetime(2026, 12, 2, 10, 0)  # 48 hours on the wall clock
    with pytest.raises(InvalidInput, match="working_days must be true or false"):
        policy_update("director_dispatch", actor=org["admin"], working_days="yes")


# --- Calendars --------------------------------------------------------------------------------------------


def test_calendar_put_creates_then_replaces_and_is_audited(org):
    cal, created = calendar_put("Shanghai split", actor=org["admin"], zone="Asia/Shanghai",
                                hours={**SPLIT, "sat": [], "mon": [["13:00", "18:00"], ["9:00", "12:00"]]},
                                holiday_country="cn", extra_days_off=["2026-12-24", "2026-12-24"],
                                extra_working_days=[date(2026, 12, 27)], teams=[org["sales"].pk])  # fmt: skip
    assert created
    assert cal.hours["mon"] == [["09:00", "12:00"], ["13:00", "18:00"]]  # sorted, HH:MM
    assert "sat" not in cal.hours  # a weekday without spans is not stored
    assert (cal.holiday_country, cal.extra_days_off, cal.extra_working_days) == (
        "CN",
        ["2026-12-24"],
        ["2026-12-27"],
    )
    assert TeamCalendar.objects.get(team=org["sales"]).calendar == cal
    (entry,) = audits("sla.calendar_create")
    assert entry.data["name"] == "Shanghai split" and entry.data["teams"] == [org["sales"].pk]

    cal, created = calendar_put("Shanghai split", actor=org["admin"], zone="Asia/Shanghai", hours=SPLIT)
    assert not created
    assert cal.holiday_country == "" and cal.extra_days_off == []  # a PUT replaces the whole calendar
    (entry,) = audits("sla.calendar_update")
    assert set(entry.data["changes"]) == {"holiday_country", "extra_days_off", "extra_working_days"}
    assert Calendar.objects.count() == 2


BAD_CALENDARS = [
    ({"hours": {}}, "the calendar has no working hours on any weekday"),
    ({"hours": {"mon": [], "sat": []}}, "no working hours"),
    ({"zone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
    ({"zone": ""}, "unknown time zone"),
    ({"hours": {"mon": [["9am", "6pm"]]}}, "'9am' is not a time of day"),
    ({"hours": {"mon": [["09:00", "25:00"]]}}, "'25:00' is not a time of day"),
    ({"hours": {"mon": [["09:00"]]}}, "is not a [start, end] pair"),
    ({"hours": {"mon": "09:00-18:00"}}, "a list of [start, end] spans"),
    ({"hours": [["09:00", "18:00"]]}, "hours map weekdays"),
    ({"hours": {"mon": [["18:00", "09:00"]]}}, "18:00–09:00 ends before it starts"),
    ({"hours": {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}}, "mon: working spans overlap"),
    ({"hours": {"monday": [["09:00", "18:00"]]}}, "unknown weekday 'monday'"),
    ({"holiday_country": "XX"}, "no public holiday list for country 'XX'"),
    ({"holiday_country": "CN", "holiday_subdivision": "ZZ"}, "CN has no subdivision 'ZZ'"),
    ({"holiday_subdivision": "CA"}, "a holiday subdivision needs a holiday country"),
    ({"extra_days_off": ["2026-13-01"]}, "extra days off: '2026-13-01' is not a date"),
    ({"extra_working_days": "2026-12-27"}, "extra working days are a list of dates"),
    ({"extra_days_off": ["2026-12-27"], "extra_working_days": ["2026-12-27"]}, "both an extra day off and"),
    ({"teams": [987654]}, "no team 987654"),
    ({"is_default": "yes"}, "default must be true or false"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_CALENDARS)
def test_calendar_put_refuses_bad_input_whole(org, changes, message):
    existing, _ = calendar_put("Ops", actor=org["admin"], zone="Asia/Shanghai", hours=SPLIT)
    before, links = snapshot(Calendar), snapshot(TeamCalendar)
    for name in ("Ops", "New one"):  # a replace and a create
        args = {"zone": "Asia/Shanghai", "hours": SPLIT, "teams": [org["west"].pk], **changes}
        with pytest.raises(InvalidInput) as exc:
            calendar_put(name, actor=org["admin"], **args)
        assert message in exc.value.message, exc.value.message
        assert exc.value.message.startswith(f"the calendar {name} is not valid")
    assert snapshot(Calendar) == before and snapshot(TeamCalendar) == links
    assert len(audits("sla.calendar_create")) == 1 and audits("sla.calendar_update") == []


@pytest.mark.parametrize(("name", "message"), [("", "needs a name"), ("  ", "needs a name"),
                                               ("a/b", "cannot contain '/'"), ("x" * 121, "at most 120")])  # fmt: skip
def test_calendar_names(org, name, message):
    with pytest.raises(InvalidInput, match=message):
        calendar_put(name, actor=org["admin"], zone="UTC", hours=SPLIT)


def test_calendar_put_names_every_problem_at_once(org):
    with pytest.raises(InvalidInput) as exc:
        calendar_put("Bad", actor=org["admin"], zone="Nowhere", hours={"mon": [["10:00", "09:00"]]},
                     holiday_country="XX", extra_days_off=["soon"])  # fmt: skip
    problems = exc.value.details["problems"]
    assert len(problems) == 4, problems


def test_the_default_calendar_moves_but_never_disappears(org):
    china = default_cal()
    with pytest.raises(InvalidInput, match="is the default calendar"):
        calendar_put(china.name, actor=org["admin"], zone=china.zone, hours=china.hours, is_default=False)
    utc, _ = calendar_put("UTC office", actor=org["admin"], zone="UTC", hours=SPLIT, is_default=True)
    assert list(Calendar.objects.filter(is_default=True)) == [utc]
    # Now the China calendar is an ordinary one and may be saved as such.
    calendar_put(china.name, actor=org["admin"], zone=china.zone, hours=china.hours, holiday_country="CN")
    assert Calendar.objects.filter(is_default=True).get() == utc


def test_calendar_writes_need_an_ops_admin(org):
    cal, _ = calendar_put("Ops", actor=None, zone="UTC", hours=SPLIT)  # the command line
    for who in ("director", "ae"):
        with pytest.raises(NotAllowed):
            calendar_put("Other", actor=org[who], zone="UTC", hours=SPLIT)
        with pytest.raises(NotAllowed):
            calendar_delete(cal.name, org[who])
        with pytest.raises(NotAllowed):
            calendar_assign(org["sales"].pk, cal.name, org[who])
    assert not Calendar.objects.filter(name="Other").exists()
    assert not TeamCalendar.objects.exists()


def test_calendar_delete_refuses_the_default_and_calendars_in_use(org):
    with pytest.raises(
        InvalidInput, match="is the default calendar: make another calendar the default first"
    ):
        calendar_delete(default_cal().name, org["admin"])
    cal, _ = calendar_put("Sales hours", actor=org["admin"], zone="Asia/Shanghai", hours=SPLIT,
                          teams=[org["sales"].pk])  # fmt: skip
    with pytest.raises(InvalidInput, match="teams work on it: Sales"):
        calendar_delete("Sales hours", org["admin"])
    # Its team's clock counts in it: still in use after the team moves to the default calendar.
    lead = lead_create(capture_clean({"name": "L", "email": "l@x.cn"}))
    clocks_start([ClockStart("acceptance", lead.pk, org["ae"].pk, MON_10)])
    assert Clock.objects.get().calendar == cal
    calendar_assign(org["sales"].pk, None, org["admin"])
    with pytest.raises(InvalidInput, match="1 open SLA clock"):
        calendar_delete("Sales hours", org["admin"])
    Clock.objects.update(state=Clock.State.MET)
    calendar_delete("Sales hours", org["admin"])
    assert not Calendar.objects.filter(name="Sales hours").exists()
    assert Clock.objects.get().calendar is None
    assert audits("sla.calendar_delete")[0].data == {"name": "Sales hours"}
    with pytest.raises(NotFound, match="no calendar 'Sales hours'"):
        calendar_delete("Sales hours", org["admin"])


def test_calendar_assign_and_back_to_the_default(org):
    night, _ = calendar_put(
        "Night shift", actor=org["admin"], zone="UTC", hours={"mon": [["00:00", "24:00"]]}
    )
    assert calendar_assign(org["sales"].pk, "Night shift", org["admin"]) == night
    row = selectors.team_calendar(org["sales"].pk)
    assert (row.own, row.calendar) == (night, night)
    # Clocks of the team's people now count in its calendar.
    lead = lead_create(capture_clean({"name": "L", "email": "l@x.cn"}))
    clocks_start([ClockStart("manager_feedback", lead.pk, org["ae"].pk, MON_10)])
    assert Clock.objects.get().due_at == MON_10 + timedelta(hours=8)
    calendar_assign(org["sales"].pk, "Night shift", org["admin"])  # unchanged: no second audit entry
    assert calendar_assign(org["sales"].pk, None, org["admin"]) is None
    row = selectors.team_calendar(org["sales"].pk)
    assert (row.own, row.calendar) == (None, default_cal())
    assert [e.data["calendar"] for e in audits("sla.calendar_assign")] == [
        [None, "Night shift"],
        ["Night shift", None],
    ]
    with pytest.raises(InvalidInput, match="there is no calendar 'Day shift'"):
        calendar_assign(org["sales"].pk, "Day shift", org["admin"])
    with pytest.raises(InvalidInput, match="give the name of a calendar"):
        calendar_assign(org["sales"].pk, " ", org["admin"])
    with pytest.raises(NotFound, match="no team 424242"):
        calendar_assign(424242, "Night shift", org["admin"])
    assert not TeamCalendar.objects.exists()


# --- Preview, holidays ------------------------------------------------------------------------------------


def test_preview_48_business_hours_on_the_china_calendar(db):
    due = calendar_preview(default_cal(), MON_10, 48 * 3600)
    assert due == datetime(2026, 12, 7, 13, 0, tzinfo=SHANGHAI) and due.tzinfo == SHANGHAI
    # A start without an offset is read in the calendar's zone.
    assert calendar_preview(default_cal(), datetime(2026, 11, 30, 10, 0), 48 * 3600) == due


def test_preview_skips_national_day_and_works_the_make_up_saturday(db):
    cal = default_cal()
    # Wednesday 30 September 2026, 17:00: one hour that day, then 1–7 October off, Thursday 8th 09:00–10:00.
    assert calendar_preview(cal, datetime(2026, 9, 30, 17, 0), 2 * 3600) == datetime(
        2026, 10, 8, 10, 0, tzinfo=SHANGHAI
    )
    # Friday 9 October 17:00: Saturday 10 October is a make-up working day.
    assert calendar_preview(cal, datetime(2026, 10, 9, 17, 0), 2 * 3600) == datetime(
        2026, 10, 10, 10, 0, tzinfo=SHANGHAI
    )


@pytest.mark.parametrize(
    ("start", "seconds", "message"),
    [(MON_10, -1, "0 or more"), (MON_10, float("nan"), "0 or more"), (MON_10, "2h", "0 or more"),
     (MON_10, 10**9, "up to 720 business hours"), ("monday", 60, "an instant")],
)  # fmt: skip
def test_preview_bad_input(db, start, seconds, message):
    with pytest.raises(InvalidInput, match=message):
        calendar_preview(default_cal(), start, seconds)


def test_next_holidays_and_make_up_days_of_china(db):
    days = selectors.calendar_upcoming(default_cal(), after=date(2026, 9, 1), language="en")
    assert [(d.day.isoformat(), d.kind) for d in days] == [
        ("2026-09-20", "make_up"), ("2026-09-25", "holiday"), ("2026-10-01", "holiday"), ("2026-10-02", "holiday"),
        ("2026-10-03", "holiday"), ("2026-10-05", "holiday"), ("2026-10-06", "holiday"), ("2026-10-07", "holiday"),
        ("2026-10-10", "make_up"), ("2027-01-01", "holiday"),
    ]  # fmt: skip
    assert days[2].name == "National Day" and days[0].working and not days[1].working
    assert (
        selectors.calendar_upcoming(default_cal(), after=date(2026, 10, 1), language="zh-hans")[0].name
        == "国庆节"
    )


def test_own_days_off_and_working_days_are_listed(db):
    days = selectors.calendar_days("", extra_days_off=["2026-12-24"], extra_working_days=["2026-12-27", "2020-01-01"],
                                   after=date(2026, 12, 1))  # fmt: skip
    assert [d.as_dict() for d in days] == [
        {"date": "2026-12-24", "kind": "day_off", "name": "", "working": False},
        {"date": "2026-12-27", "kind": "working_day", "name": "", "working": True},
    ]
    with pytest.raises(InvalidInput, match="no public holiday list for 'XX'"):
        selectors.calendar_days("XX", after=date(2026, 12, 1))


# --- The compact hours syntax -----------------------------------------------------------------------------


def test_hours_parse_and_format():
    hours = hours_parse("mon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00")
    assert hours == {**SPLIT, "sat": [["10:00", "14:00"]]}
    assert hours_format(hours) == "mon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00"
    assert hours_parse("MON,wed 9:00 - 17:30 ; fri 08:00-24:00") == {
        "mon": [["09:00", "17:30"]], "wed": [["09:00", "17:30"]], "fri": [["08:00", "24:00"]]
    }  # fmt: skip
    assert (
        hours_format({"mon": [["09:00", "17:30"]], "wed": [["09:00", "17:30"]]})
        == "mon 09:00-17:30; wed 09:00-17:30"
    )
    assert spans_parse("09:00-12:00, 13:00-18:00") == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert spans_parse("  ") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "no working hours given"), ("mon-fri", "give the weekdays, a space, then the spans"),
     ("monday 09:00-18:00", "'monday' is not a weekday"), ("fri-mon 09:00-18:00", "goes forward"),
     ("mon 9-18", "'9' is not a time of day"), ("mon 09:00", "is not a span of working time"),
     ("mon 09:00-18:00; mon-fri 10:00-11:00", "mon is given twice"), ("mon 24:30-25:00", "'24:30' is not a time")],
)  # fmt: skip
def test_hours_parse_errors(text, message):
    with pytest.raises(InvalidInput, match=message):
        hours_parse(text)


def test_holiday_subdivision_is_spelled_as_the_holiday_list_spells_it(org):
    cal, _ = calendar_put("California", actor=org["admin"], zone="America/Los_Angeles", hours=SPLIT,
                          holiday_country="us", holiday_subdivision="ca")  # fmt: skip
    assert (cal.holiday_country, cal.holiday_subdivision) == ("US", "CA")
    assert selectors.calendar_upcoming(cal, after=date(2026, 11, 1), language="en")[0].day == date(
        2026, 11, 8
    )
