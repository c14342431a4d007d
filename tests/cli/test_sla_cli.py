"""``baton sla …``: list and change policies, show and set calendars (the compact hours syntax), print a
due instant. Bad input: exit status 2 with the reason on stderr, nothing changed."""

import json
from datetime import UTC, datetime

import pytest

from baton import clock
from baton.cli import main
from baton.org.models import AuditLog
from baton.org.services import team_create
from baton.sla.models import Calendar, Policy, TeamCalendar

pytestmark = pytest.mark.django_db
MON_10 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 30 November 2026, 10:00 in Shanghai
CHINA = "China office hours"


@pytest.fixture(autouse=True)
def _now():
    clock.set_frozen(MON_10)
    yield
    clock.set_frozen(None)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["sla", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_policies_table_and_json(capsys):
    code, out, _ = run(capsys, "policies")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [
        "speed_to_lead",
        "acceptance",
        "director_dispatch",
        "manager_feedback",
    ]
    assert "48 h" in lines[1] and "working days" in lines[1] and "notify,escalate_manager,strike" in lines[1]
    assert "5 min" in lines[0] and "wall-clock" in lines[0]
    code, out, _ = run(capsys, "policies", "--json")
    assert json.loads(out)[1]["target_seconds"] == 48 * 3600


def test_policy_change(capsys):
    code, out, _ = run(capsys, "policy", "acceptance", "--target-hours", "24", "--wall-clock", "--reminders", "0.5,75%",
                       "--actions", "notify,strike", "--inactive")  # fmt: skip
    assert code == 0 and "24 h" in out and "inactive" in out
    p = Policy.objects.get(key="acceptance")
    assert (p.target_seconds, p.business_time, p.reminders, p.breach_actions, p.active) == (
        24 * 3600, False, [0.5, 0.75], ["notify", "strike"], False
    )  # fmt: skip
    assert AuditLog.objects.get(action="sla.policy_update").actor is None  # the command line
    code, out, _ = run(
        capsys, "policy", "speed_to_lead", "--target-minutes", "10", "--reminders", "none", "--json"
    )
    assert code == 0 and json.loads(out)["target_seconds"] == 600 and json.loads(out)["reminders"] == []
    code, out, _ = run(capsys, "policy", "acceptance")  # no option: shows it
    assert code == 0 and out.startswith("acceptance")
    assert run(capsys, "policy", "acceptance", "--working-days")[0] == 0
    p.refresh_from_db()
    assert (p.business_time, p.working_days) == (True, True)
    code, out, _ = run(capsys, "policy", "acceptance", "--business-time")
    p.refresh_from_db()
    assert (p.business_time, p.working_days) == (True, False) and "working hours" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--active"], "there is no SLA policy 'nope'"),
        (["acceptance", "--target-hours", "0"], "target_seconds must be a positive whole number"),
        (["acceptance", "--target-hours", "1000"], "at most 30 days"),
        (["acceptance", "--reminders", "0.5,1.5"], "between 0 and 1"),
        (["acceptance", "--reminders", "half"], "'half' is not a fraction"),
        (["acceptance", "--actions", "notify,fire"], "unknown breach action(s) fire"),
    ],
)
def test_policy_bad_input(capsys, args, message):
    before = list(Policy.objects.order_by("pk").values())
    code, out, err = run(capsys, "policy", *args)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err, err
    assert list(Policy.objects.order_by("pk").values()) == before


def test_policy_options_that_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["sla", "policy", "acceptance", "--target-hours", "1", "--target-minutes", "5"])
    assert exc.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sla", "policy", "acceptance", "--target-hours", "two"])


def test_calendar_show(capsys):
    code, out, _ = run(capsys, "calendar", "show", CHINA)
    assert code == 0
    assert out.startswith("China office hours (default)")
    assert "mon-fri 09:00-18:00" in out and "Asia/Shanghai" in out
    assert "2027-01-01 Fri  holiday" in out and "New Year's Day" in out
    code, out, _ = run(capsys, "calendar", "show", CHINA, "--json")
    data = json.loads(out)
    assert data["hours_text"] == "mon-fri 09:00-18:00" and len(data["upcoming"]) == 10
    code, _, err = run(capsys, "calendar", "show", "Nope")
    assert code == 2 and "there is no calendar 'Nope'" in err


def test_calendar_set_creates_changes_and_assigns(capsys):
    sales = team_create("Sales", "sales")
    code, out, _ = run(capsys, "calendar", "set", "Split", "--zone", "Asia/Shanghai", "--hours",
                       "mon-fri 09:00-12:00,13:00-18:00; sat 10:00-14:00", "--holidays", "CN", "--team", "Sales",
                       "--days-off", "2026-12-24,2026-12-31")  # fmt: skip
    assert code == 0 and out.startswith("created calendar Split")
    cal = Calendar.objects.get(name="Split")
    assert cal.hours["sat"] == [["10:00", "14:00"]] and cal.hours["fri"] == [
        ["09:00", "12:00"],
        ["13:00", "18:00"],
    ]
    assert cal.extra_days_off == ["2026-12-24", "2026-12-31"] and not cal.is_default
    assert TeamCalendar.objects.get(team=sales).calendar == cal
    # What is not given keeps its value.
    code, out, _ = run(capsys, "calendar", "set", "Split", "--default", "--holidays", "none")
    assert code == 0 and out.startswith("saved calendar Split")
    cal.refresh_from_db()
    assert cal.is_default and cal.holiday_country == "" and cal.hours["sat"] == [["10:00", "14:00"]]
    assert not Calendar.objects.get(name=CHINA).is_default
    assert AuditLog.objects.filter(action__in=["sla.calendar_create", "sla.calendar_update"]).count() == 2
    # Saving the default without --default keeps it the default.
    assert run(capsys, "calendar", "set", "Split", "--zone", "UTC")[0] == 0
    assert Calendar.objects.get(name="Split").is_default


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["New"], "give --zone and --hours to create it"),
        (["New", "--zone", "UTC", "--hours", "mon-fri"], "give the weekdays, a space, then the spans"),
        (["New", "--zone", "UTC", "--hours", "weekdays 09:00-18:00"], "'weekdays' is not a weekday"),
        (["New", "--zone", "UTC", "--hours", "mon 9h-18h"], "'9h' is not a time of day"),
        (["New", "--zone", "UTC", "--hours", "mon 09:00-13:00,12:00-18:00"], "mon: working spans overlap"),
        (["New", "--zone", "UTC", "--hours", "mon 18:00-09:00"], "ends before it starts"),
        (["New", "--zone", "Moon/Base", "--hours", "mon-fri 09:00-18:00"], "unknown time zone 'Moon/Base'"),
        (
            ["New", "--zone", "UTC", "--hours", "mon-fri 09:00-18:00", "--holidays", "XX"],
            "no public holiday list",
        ),
        (
            ["New", "--zone", "UTC", "--hours", "mon 09:00-18:00", "--days-off", "soon"],
            "'soon' is not a date",
        ),
        (
            ["New", "--zone", "UTC", "--hours", "mon 09:00-18:00", "--team", "Ghosts"],
            "there is no team 'Ghosts'",
        ),
        ([CHINA, "--hours", "mon 09:00-12:00; mon 13:00-18:00"], "mon is given twice"),
    ],
)
def test_calendar_set_bad_input(capsys, args, message):
    before = list(Calendar.objects.order_by("pk").values())
    code, out, err = run(capsys, "calendar", "set", *args)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err, err
    assert list(Calendar.objects.order_by("pk").values()) == before


def test_calendar_due(capsys):
    code, out, _ = run(
        capsys, "calendar", "due", CHINA, "--start", "2026-11-30T10:00:00+08:00", "--hours", "48"
    )
    assert (code, out) == (0, "2026-12-07T13:00:00+08:00\n")
    assert (
        run(capsys, "calendar", "due", CHINA, "--hours", "48")[1] == "2026-12-07T13:00:00+08:00\n"
    )  # from now
    # Without an offset the start is in the calendar's zone; National Day (1–7 October 2026) is skipped.
    assert run(capsys, "calendar", "due", CHINA, "--start", "2026-09-30T17:00", "--hours", "2")[1] == (
        "2026-10-08T10:00:00+08:00\n"
    )
    code, out, _ = run(
        capsys, "calendar", "due", CHINA, "--start", "2026-10-09T09:00:00Z", "--hours", "2", "--json"
    )
    assert (
        json.loads(out)["due_at"] == "2026-10-10T10:00:00+08:00"
    )  # 17:00–18:00 Friday, then the make-up Saturday
    code, _, err = run(capsys, "calendar", "due", CHINA, "--start", "tomorrow", "--hours", "1")
    assert code == 2 and "not an ISO 8601 time" in err
    code, _, err = run(capsys, "calendar", "due", CHINA, "--hours", "-1")
    assert code == 2 and "0 or more" in err
    code, _, err = run(capsys, "calendar", "due", "Nope", "--hours", "1")
    assert code == 2 and "there is no calendar 'Nope'" in err
