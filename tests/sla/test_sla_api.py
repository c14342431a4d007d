"""/api/v1/sla/…: policies, calendars, team calendars, the due-instant preview. Ops admins write, managers
read, others get 403; bad input is a 422 naming the problem, and changes nothing."""

from datetime import UTC, datetime

import pytest
from api_client import Api

from baton import clock
from baton.org.models import AuditLog
from baton.org.services import team_create, token_create, user_create
from baton.sla.models import Calendar, Policy, TeamCalendar

MON_10 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 30 November 2026, 10:00 in Shanghai
SPLIT = {d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
CHINA = "China office hours"


@pytest.fixture(autouse=True)
def _now():
    clock.set_frozen(MON_10)
    yield
    clock.set_frozen(None)


@pytest.fixture
def org(db):
    sales = team_create("Sales", "sales")
    return {
        "sales": sales,
        "admin": user_create("ops", None, roles=["ops_admin"]),
        "director": user_create("boss", None, roles=["sales_director"], team=sales),
        "sdr": user_create("sdr", None, roles=["sdr_inbound"]),
    }


@pytest.fixture
def api_as(org):
    return lambda who: Api(token_create(org[who]) if who else None)


def body(hours=None, **extra) -> dict:
    return {"zone": "Asia/Shanghai", "hours": SPLIT if hours is None else hours, **extra}


def test_policies_list_and_patch(api_as):
    admin = api_as("admin")
    r = admin.get("/sla/policies")
    assert r.status_code == 200
    keys = [p["key"] for p in r.json()]
    assert keys == ["speed_to_lead", "acceptance", "director_dispatch", "manager_feedback"]
    acceptance = r.json()[1]
    assert acceptance["target_seconds"] == 48 * 3600 and acceptance["builtin"] and acceptance["business_time"]

    r = admin.patch(
        "/sla/policies/acceptance", {"target_seconds": 24 * 3600, "reminders": [0.75], "active": False}
    )
    assert r.status_code == 200, r.json()
    assert (r.json()["target_seconds"], r.json()["reminders"], r.json()["active"]) == (
        24 * 3600,
        [0.75],
        False,
    )
    assert r.json()["breach_actions"] == ["notify", "escalate_manager", "strike"]  # untouched
    assert AuditLog.objects.filter(action="sla.policy_update", actor__username="ops").count() == 1
    r = admin.patch("/sla/policies/acceptance", {"working_days": False})
    assert (r.json()["business_time"], r.json()["working_days"]) == (True, False)  # 48 working hours
    r = admin.patch("/sla/policies/acceptance", {"business_time": False})
    assert r.json()["business_time"] is False


@pytest.mark.parametrize(
    ("payload", "status", "detail"),
    [
        ({"target_seconds": 0}, 422, "target_seconds must be a positive whole number"),
        ({"reminders": [0.5, 1.5]}, 422, "between 0 and 1"),
        ({"reminders": ["soon"]}, 422, "reminders.0"),
        ({"breach_actions": ["notify", "fire"]}, 422, "unknown breach action(s) fire"),
        ({"stop_events": ["first_touch"]}, 422, "cannot be changed"),
        ({"active": None}, 422, "active: may not be null"),
        ({"colour": "red"}, 422, "colour"),
    ],
)
def test_policy_patch_bad_input(api_as, payload, status, detail):
    before = list(Policy.objects.order_by("pk").values())
    r = api_as("admin").patch("/sla/policies/acceptance", payload)
    assert r.status_code == status
    assert r.json()["error"] == "invalid_input" and detail in r.json()["detail"], r.json()
    assert list(Policy.objects.order_by("pk").values()) == before


def test_policy_patch_unknown_policy(api_as):
    r = api_as("admin").patch("/sla/policies/nope", {"active": False})
    assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_calendar_put_creates_replaces_reads_and_deletes(api_as, org):
    admin = api_as("admin")
    r = admin.put("/sla/calendars/Shanghai split", body(holiday_country="CN", extra_days_off=["2026-12-24"]))
    assert r.status_code == 201, r.json()
    cal = r.json()
    assert cal["hours_text"] == "mon-fri 09:00-12:00,13:00-18:00" and not cal["is_default"]
    assert cal["upcoming"][0] == {"date": "2026-12-24", "kind": "day_off", "name": "", "working": False}
    assert cal["upcoming"][1]["date"] == "2027-01-01" and cal["upcoming"][1]["kind"] == "holiday"

    r = admin.put("/sla/calendars/Shanghai split", body(hours={"mon": [["10:00", "16:00"]]}))
    assert r.status_code == 200
    assert r.json()["hours"] == {"mon": [["10:00", "16:00"]]} and r.json()["holiday_country"] == ""

    listed = admin.get("/sla/calendars").json()
    assert [c["name"] for c in listed] == [CHINA, "Shanghai split"]  # the default first
    assert listed[0]["is_default"] and listed[0]["holiday_country"] == "CN"
    assert admin.get("/sla/calendars/Shanghai split").json()["zone"] == "Asia/Shanghai"
    assert admin.get("/sla/calendars/Nope").status_code == 404

    assert admin.delete("/sla/calendars/Shanghai split").status_code == 204
    assert not Calendar.objects.filter(name="Shanghai split").exists()
    assert admin.delete("/sla/calendars/Shanghai split").status_code == 404


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (body(hours={}), "the calendar has no working hours on any weekday"),
        (body(hours={"sat": []}), "no working hours"),
        (body(zone="Asia/Atlantis"), "unknown time zone 'Asia/Atlantis'"),
        (body(hours={"mon": [["09:00", "noon"]]}), "'noon' is not a time of day"),
        (body(hours={"mon": "09:00-18:00"}), "mon: a list of [start, end] spans"),
        (body(hours={"mon": [["09:00", "13:00"], ["12:30", "18:00"]]}), "mon: working spans overlap"),
        (body(hours={"mon": [["17:00", "09:00"]]}), "ends before it starts"),
        (body(holiday_country="ZZ"), "no public holiday list for country 'ZZ'"),
        (body(holiday_country="CN", holiday_subdivision="Atlantis"), "CN has no subdivision 'Atlantis'"),
        (body(extra_working_days=["31/12/2026"]), "'31/12/2026' is not a date"),
        ({"hours": SPLIT}, "zone: Field required"),
        (body(colour="red"), "colour"),
    ],
)
def test_calendar_put_bad_input(api_as, payload, detail):
    before = list(Calendar.objects.order_by("pk").values())
    r = api_as("admin").put("/sla/calendars/Bad", payload)
    assert r.status_code == 422, r.json()
    assert r.json()["error"] == "invalid_input" and detail in r.json()["detail"], r.json()
    assert list(Calendar.objects.order_by("pk").values()) == before
    assert not AuditLog.objects.filter(action__startswith="sla.").exists()


def test_calendar_problems_are_listed(api_as):
    r = api_as("admin").put("/sla/calendars/Bad", body(zone="Nowhere", hours={}))
    assert r.status_code == 422
    assert r.json()["problems"] == [
        "unknown time zone 'Nowhere'"
    ]  # no hours is reported once the zone is right
    r = api_as("admin").put("/sla/calendars/Bad", body(zone="Nowhere", holiday_country="XX"))
    assert len(r.json()["problems"]) == 2


def test_default_and_in_use_calendars_cannot_be_deleted(api_as, org):
    admin = api_as("admin")
    r = admin.delete(f"/sla/calendars/{CHINA}")
    assert r.status_code == 422 and "is the default calendar" in r.json()["detail"]
    admin.put("/sla/calendars/Sales hours", body())
    r = admin.put(f"/sla/teams/{org['sales'].pk}/calendar", {"calendar": "Sales hours"})
    assert r.status_code == 200
    assert r.json() == {"team_id": org["sales"].pk, "team": "Sales", "calendar": "Sales hours",
                        "effective": "Sales hours", "source": "team"}  # fmt: skip
    r = admin.delete("/sla/calendars/Sales hours")
    assert r.status_code == 422 and "teams work on it: Sales" in r.json()["detail"]
    assert admin.get("/sla/calendars/Sales hours").json()["teams"] == [
        {"id": org["sales"].pk, "name": "Sales"}
    ]


def test_the_default_flag_moves_with_a_put(api_as):
    admin = api_as("admin")
    r = admin.put(f"/sla/calendars/{CHINA}", body(holiday_country="CN"))
    assert r.status_code == 422 and "is the default calendar" in r.json()["detail"]
    assert admin.put("/sla/calendars/UTC", body(zone="UTC", is_default=True)).json()["is_default"]
    assert Calendar.objects.get(is_default=True).name == "UTC"


def test_team_calendar_assignment(api_as, org):
    admin = api_as("admin")
    url = f"/sla/teams/{org['sales'].pk}/calendar"
    admin.put("/sla/calendars/Night", body(zone="UTC", hours={"mon": [["00:00", "24:00"]]}))
    assert admin.put(url, {"calendar": "Night"}).json()["source"] == "team"
    r = admin.put(url, {"calendar": None})
    assert r.json() == {"team_id": org["sales"].pk, "team": "Sales", "calendar": None, "effective": CHINA,
                        "source": "default"}  # fmt: skip
    assert not TeamCalendar.objects.exists()
    r = admin.put(url, {"calendar": "Day"})
    assert r.status_code == 422 and "there is no calendar 'Day'" in r.json()["detail"]
    assert admin.put("/sla/teams/99999/calendar", {"calendar": "Night"}).status_code == 404
    assert admin.put(url, {}).status_code == 422  # calendar is required (null for the default)
    teams = admin.get("/sla/teams").json()
    assert teams == [{"team_id": org["sales"].pk, "team": "Sales", "calendar": None, "effective": CHINA,
                      "source": "default"}]  # fmt: skip


def test_preview(api_as):
    director = api_as("director")  # managers may read
    r = director.get(f"/sla/calendars/{CHINA}/preview", start="2026-11-30T10:00:00+08:00", hours=48)
    assert r.status_code == 200, r.json()
    assert r.json()["due_at"] == "2026-12-07T13:00:00+08:00"
    r = director.get(f"/sla/calendars/{CHINA}/preview", hours=48)  # from now
    assert r.json()["due_at"] == "2026-12-07T13:00:00+08:00"
    r = director.get(f"/sla/calendars/{CHINA}/preview", start="2026-09-30T17:00:00", hours=2)  # local time
    assert r.json()["due_at"] == "2026-10-08T10:00:00+08:00"
    assert r.json()["start"] == "2026-09-30T17:00:00+08:00"
    r = director.get(f"/sla/calendars/{CHINA}/preview", hours=-1)
    assert r.status_code == 422 and "0 or more" in r.json()["detail"]
    r = director.get(f"/sla/calendars/{CHINA}/preview", hours=2, start="next week")
    assert r.status_code == 422 and r.json()["error"] == "invalid_input"
    assert director.get(f"/sla/calendars/{CHINA}/preview").status_code == 422  # hours required
    assert director.get("/sla/calendars/Nope/preview", hours=1).status_code == 404


def test_managers_read_and_only_admins_write(api_as, org):
    director = api_as("director")
    for path in ("/sla/policies", "/sla/calendars", f"/sla/calendars/{CHINA}", "/sla/teams"):
        assert director.get(path).status_code == 200, path
    writes = [
        director.patch("/sla/policies/acceptance", {"active": False}),
        director.put("/sla/calendars/Mine", body()),
        director.delete(f"/sla/calendars/{CHINA}"),
        director.put(f"/sla/teams/{org['sales'].pk}/calendar", {"calendar": CHINA}),
    ]
    for r in writes:
        assert r.status_code == 403 and r.json()["error"] == "forbidden", r.json()
        assert "only ops admins" in r.json()["detail"]
    sdr = api_as("sdr")
    for path in ("/sla/policies", "/sla/calendars", f"/sla/calendars/{CHINA}", "/sla/teams",
                 f"/sla/calendars/{CHINA}/preview?hours=1"):  # fmt: skip
        assert sdr.get(path).status_code == 403, path
    assert sdr.patch("/sla/policies/acceptance", {"active": False}).status_code == 403
    assert api_as(None).get("/sla/policies").status_code == 401
    assert Policy.objects.get(key="acceptance").active and not Calendar.objects.filter(name="Mine").exists()
    assert not TeamCalendar.objects.exists()
