"""Settings → SLA (/settings/sla/): ops admins edit policies, calendars and team calendars (HTMX cards,
CSRF on), managers read, others are refused; the calendar page lists the coming holidays and make-up
days; the preview line says when a target is due."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from baton import clock
from baton.org.services import team_create, user_create
from baton.sla.models import Calendar, Policy, TeamCalendar

MON_10 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 30 November 2026, 10:00 in Shanghai
HTMX = {"HTTP_HX_REQUEST": "true"}
CHINA = "China office hours"
WEEKDAYS_9_TO_6 = {f"hours_{d}": "09:00-12:00, 13:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture(autouse=True)
def _now():
    clock.set_frozen(MON_10)
    yield
    clock.set_frozen(None)


@pytest.fixture
def org(db):
    sales = team_create("Sales East", "sales")
    return {
        "sales": sales,
        "admin": user_create("root", None, roles=["ops_admin"]),
        "director": user_create("diana", None, roles=["sales_director"], team=sales),
        "sdr": user_create("sam", None, roles=["sdr_inbound"]),
    }


def client_for(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def policy_post(**changes) -> dict:
    data = {"target_hours": "48", "target_minutes": "0", "reminders": "50, 80", "counted": "working_hours",
            "breach_actions": ["notify", "escalate_manager"], "active": "on", **changes}  # fmt: skip
    return {f"p-acceptance-{k}": v for k, v in data.items() if v is not None}


def calendar_post(**changes) -> dict:
    data = {"name": "Shanghai split", "zone": "Asia/Shanghai", **WEEKDAYS_9_TO_6, "holiday_country": "CN",
            "holiday_subdivision": "", "extra_days_off": "", "extra_working_days": "", **changes}  # fmt: skip
    return {k: v for k, v in data.items() if v is not None}


def test_admins_see_every_card_with_forms(org):
    page = client_for(org["admin"]).get("/settings/sla/")
    assert page.status_code == 200
    html = page.content.decode()
    for text in ('id="sla-policies"', 'id="sla-calendars"', 'id="sla-teams"', 'id="sla-preview"', CHINA,
                 "Sales East", 'href="/settings/sla/"', "csrfmiddlewaretoken", 'hx-post="/settings/sla/policies/acceptance/"',
                 "Save policy", "New calendar"):  # fmt: skip
        assert text in html, text
    # From Monday 10:00 on the default (China) calendar: two working days; eight working hours.
    assert "48 hours in whole working days from now → due Wed 2026-12-02 10:00 (China office hours" in html
    assert "8 hours in working hours from now → due Mon 2026-11-30 18:00 (China office hours" in html
    assert (
        "5 minutes in wall-clock time from now → due Mon 2026-11-30 02:05" in html
    )  # in the user's zone (UTC)


def test_managers_read_without_forms_and_others_are_refused(org):
    page = client_for(org["director"]).get("/settings/sla/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Handoff acceptance" in html and "Save policy" not in html and "New calendar" not in html
    assert 'href="/settings/sla/"' in html  # the navigation entry
    assert client_for(org["sdr"]).get("/settings/sla/").status_code == 403
    assert 'href="/settings/sla/"' not in client_for(org["sdr"]).get("/leads/").content.decode()
    assert Client().get("/settings/sla/").status_code == 302  # to the sign-in page


def test_policy_save_over_htmx(org):
    r = client_for(org["admin"]).post("/settings/sla/policies/acceptance/",
                                      policy_post(target_hours="24", target_minutes="30", reminders="25%, 75",
                                                  active=None), **HTMX)  # fmt: skip
    assert r.status_code == 200
    html = r.content.decode()
    assert html.startswith('\n<section class="card" id="sla-policies"') or 'id="sla-policies"' in html
    assert "Policy saved: Handoff acceptance." in html  # the toast, out of band
    p = Policy.objects.get(key="acceptance")
    assert (p.target_seconds, p.reminders, p.breach_actions, p.active, p.business_time, p.working_days) == (
        24 * 3600 + 1800, [0.25, 0.75], ["notify", "escalate_manager"], False, True, False
    )  # fmt: skip
    # Counted in whole working days, or in wall-clock time.
    admin = client_for(org["admin"])
    r = admin.post("/settings/sla/policies/acceptance/", policy_post(counted="working_days"), **HTMX)
    p.refresh_from_db()
    assert r.status_code == 200 and (p.business_time, p.working_days) == (True, True)
    r = admin.post("/settings/sla/policies/acceptance/", policy_post(counted="wall_clock"), **HTMX)
    p.refresh_from_db()
    assert r.status_code == 200 and (p.business_time, p.working_days) == (False, False)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"target_hours": "0", "target_minutes": "0"}, "The target must be longer than zero."),
        ({"target_hours": "-1"}, "greater than or equal to 0"),
        ({"target_minutes": "75"}, "less than or equal to 59"),
        ({"reminders": "50, 120"}, "between 0 and 100%"),
        ({"reminders": "half"}, "is not a percentage"),
        ({"breach_actions": ["notify", "fire"]}, "Select a valid choice"),
        ({"counted": "moon_phases"}, "Select a valid choice"),
    ],
)
def test_policy_save_refuses_bad_input(org, changes, message):
    before = list(Policy.objects.order_by("pk").values())
    r = client_for(org["admin"]).post("/settings/sla/policies/acceptance/", policy_post(**changes), **HTMX)
    assert r.status_code == 422
    html = r.content.decode()
    assert "Please correct the fields marked below." in html
    assert message.replace("“", "&ldquo;") in html or message in html.replace("&#x27;", "'"), html
    assert list(Policy.objects.order_by("pk").values()) == before


def test_policy_save_without_htmx_redirects_and_non_admins_are_refused(org):
    r = client_for(org["admin"]).post("/settings/sla/policies/acceptance/", policy_post(target_hours="12"))
    assert r.status_code == 302 and r["Location"] == "/settings/sla/"
    assert Policy.objects.get(key="acceptance").target_seconds == 12 * 3600
    for who in ("director", "sdr"):
        r = client_for(org[who]).post(
            "/settings/sla/policies/acceptance/", policy_post(target_hours="1"), **HTMX
        )
        assert r.status_code == 403
    assert Policy.objects.get(key="acceptance").target_seconds == 12 * 3600
    assert client_for(org["admin"]).post("/settings/sla/policies/nope/", policy_post()).status_code == 404


def test_csrf_is_enforced(org):
    client = client_for(org["admin"], enforce_csrf_checks=True)
    assert (
        client.post("/settings/sla/policies/acceptance/", policy_post(target_hours="1"), **HTMX).status_code
        == 403
    )
    assert client.post("/settings/sla/calendars/new/", calendar_post()).status_code == 403
    assert Policy.objects.get(key="acceptance").target_seconds == 48 * 3600


def test_create_and_edit_a_calendar(org):
    admin = client_for(org["admin"])
    page = admin.get("/settings/sla/calendars/new/")
    assert page.status_code == 200 and 'value="09:00-18:00"' in page.content.decode()
    r = admin.post("/settings/sla/calendars/new/", calendar_post(extra_days_off="2026-12-24\n2026-12-31"))
    cal = Calendar.objects.get(name="Shanghai split")
    assert r.status_code == 302 and r["Location"] == f"/settings/sla/calendars/{cal.pk}/"
    assert cal.hours["mon"] == [["09:00", "12:00"], ["13:00", "18:00"]] and "sat" not in cal.hours
    assert cal.extra_days_off == ["2026-12-24", "2026-12-31"] and cal.holiday_country == "CN"

    page = admin.get(f"/settings/sla/calendars/{cal.pk}/").content.decode()
    assert 'value="09:00-12:00, 13:00-18:00"' in page
    assert (
        'data-day="2026-12-24" data-kind="day_off"' in page
        and 'data-day="2027-01-01" data-kind="holiday"' in page
    )

    r = admin.post(
        f"/settings/sla/calendars/{cal.pk}/", calendar_post(name="Renamed", hours_sat="10:00-14:00")
    )
    assert r.status_code == 302
    cal.refresh_from_db()
    assert cal.name == "Shanghai split"  # the name is not editable
    assert cal.hours["sat"] == [["10:00", "14:00"]] and cal.extra_days_off == []

    r = admin.post("/settings/sla/calendars/new/", calendar_post())
    assert r.status_code == 422 and "A calendar with this name exists" in r.content.decode()


BAD_CALENDAR_FORMS = [
    (
        {f"hours_{d}": "" for d in ("mon", "tue", "wed", "thu", "fri")},
        "the calendar has no working hours on any weekday",
    ),
    ({"zone": "Asia/Atlantis"}, "unknown time zone &#x27;Asia/Atlantis&#x27;"),
    ({"hours_mon": "9-18"}, "&#x27;9&#x27; is not a time of day"),
    ({"hours_tue": "09:00"}, "is not a span of working time"),
    ({"hours_wed": "09:00-13:00, 12:00-18:00"}, "wed: working spans overlap"),
    ({"hours_thu": "18:00-09:00"}, "ends before it starts"),
    ({"holiday_country": "XX"}, "no public holiday list for country &#x27;XX&#x27;"),
    ({"holiday_subdivision": "Atlantis"}, "CN has no subdivision &#x27;Atlantis&#x27;"),
    ({"extra_working_days": "2026-02-30"}, "&#x27;2026-02-30&#x27; is not a date"),
    ({"name": ""}, "This field is required."),
]


@pytest.mark.parametrize(("changes", "message"), BAD_CALENDAR_FORMS)
def test_calendar_form_refuses_bad_input(org, changes, message):
    before = list(Calendar.objects.order_by("pk").values())
    r = client_for(org["admin"]).post("/settings/sla/calendars/new/", calendar_post(**changes))
    assert r.status_code == 422
    assert message in r.content.decode(), r.content.decode()
    assert list(Calendar.objects.order_by("pk").values()) == before


def test_the_default_calendar_stays_default_and_shows_china_holidays(org):
    cal = Calendar.objects.get(name=CHINA)
    admin = client_for(org["admin"])
    with clock.travel_to(datetime(2026, 9, 1, 2, 0, tzinfo=UTC)):
        page = admin.get(f"/settings/sla/calendars/{cal.pk}/").content.decode()
    assert 'data-day="2026-09-20" data-kind="make_up"' in page  # a Sunday worked before National Day
    assert 'data-day="2026-10-01" data-kind="holiday"' in page and "National Day" in page
    assert 'data-day="2026-10-10" data-kind="make_up"' in page
    assert page.count("data-day=") == 10
    # The default checkbox is disabled: saving keeps the calendar the default.
    data = calendar_post(name=CHINA, hours_mon="08:30-17:30")
    assert admin.post(f"/settings/sla/calendars/{cal.pk}/", data).status_code == 302
    cal.refresh_from_db()
    assert cal.is_default and cal.hours["mon"] == [["08:30", "17:30"]]


def test_managers_view_calendars_but_cannot_change_them(org):
    cal = Calendar.objects.get(name=CHINA)
    director = client_for(org["director"])
    page = director.get(f"/settings/sla/calendars/{cal.pk}/")
    assert page.status_code == 200 and "Save calendar" not in page.content.decode()
    assert director.post(f"/settings/sla/calendars/{cal.pk}/", calendar_post(name=CHINA)).status_code == 403
    assert director.get("/settings/sla/calendars/new/").status_code == 403
    assert director.post(f"/settings/sla/calendars/{cal.pk}/delete/", **HTMX).status_code == 403
    assert client_for(org["sdr"]).get(f"/settings/sla/calendars/{cal.pk}/").status_code == 403
    assert client_for(org["admin"]).get("/settings/sla/calendars/999999/").status_code == 404


def test_holidays_partial_follows_the_form(org):
    admin = client_for(org["admin"])
    r = admin.get("/settings/sla/holidays/", {"holiday_country": "cn", "zone": "Asia/Shanghai",
                                              "extra_working_days": "2026-12-27"}, **HTMX)  # fmt: skip
    html = r.content.decode()
    assert r.status_code == 200 and 'data-day="2026-12-27" data-kind="working_day"' in html
    assert 'data-day="2027-01-01" data-kind="holiday"' in html
    r = admin.get("/settings/sla/holidays/", {"holiday_country": "XX", "zone": "Nowhere"}, **HTMX)
    assert "no public holiday list for &#x27;XX&#x27;" in r.content.decode()


def test_delete_a_calendar(org):
    admin = client_for(org["admin"])
    china = Calendar.objects.get(name=CHINA)
    r = admin.post(f"/settings/sla/calendars/{china.pk}/delete/", **HTMX)
    assert r.status_code == 422 and "is the default calendar" in r.content.decode()
    admin.post("/settings/sla/calendars/new/", calendar_post())
    cal = Calendar.objects.get(name="Shanghai split")
    TeamCalendar.objects.create(team=org["sales"], calendar=cal)
    r = admin.post(f"/settings/sla/calendars/{cal.pk}/delete/", **HTMX)
    assert r.status_code == 422 and "teams work on it: Sales East" in r.content.decode()
    TeamCalendar.objects.all().delete()
    r = admin.post(f"/settings/sla/calendars/{cal.pk}/delete/", **HTMX)
    assert r.status_code == 200 and 'id="sla-calendars"' in r.content.decode()
    assert "Calendar Shanghai split deleted." in r.content.decode()
    assert not Calendar.objects.filter(name="Shanghai split").exists()


def test_team_calendar_assignment(org):
    admin = client_for(org["admin"])
    admin.post("/settings/sla/calendars/new/", calendar_post())
    url, field = f"/settings/sla/teams/{org['sales'].pk}/", f"team-{org['sales'].pk}-calendar"
    r = admin.post(url, {field: "Shanghai split"}, **HTMX)
    assert r.status_code == 200 and "Sales East works on Shanghai split." in r.content.decode()
    assert TeamCalendar.objects.get(team=org["sales"]).calendar.name == "Shanghai split"
    r = admin.post(url, {field: ""}, **HTMX)
    assert r.status_code == 200 and not TeamCalendar.objects.exists()
    r = admin.post(url, {field: "Nope"}, **HTMX)
    assert r.status_code == 422 and "Please choose a calendar." in r.content.decode()
    assert client_for(org["director"]).post(url, {field: "Shanghai split"}, **HTMX).status_code == 403
    assert admin.post("/settings/sla/teams/999999/", {"team-999999-calendar": ""}).status_code == 404
    assert not TeamCalendar.objects.exists()


def test_preview_line(org):
    china = Calendar.objects.get(name=CHINA)
    director = client_for(org["director"])
    r = director.get(
        "/settings/sla/preview/", {"calendar": china.pk, "hours": "48", "start": "2026-11-30T10:00"}, **HTMX
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert (
        "48 business hours from Mon 2026-11-30 10:00 → due <strong>Mon 2026-12-07 13:00</strong> (Asia/Shanghai)"
        in html
    )
    r = director.get(
        "/settings/sla/preview/", {"calendar": china.pk, "hours": "2", "start": "2026-09-30T17:00"}, **HTMX
    )
    assert "due <strong>Thu 2026-10-08 10:00</strong>" in r.content.decode()  # National Day skipped
    r = director.get("/settings/sla/preview/", {"calendar": china.pk, "hours": "-3"}, **HTMX)
    assert r.status_code == 422
    r = director.get("/settings/sla/preview/", {"calendar": china.pk, "hours": "2", "start": "soon"}, **HTMX)
    assert r.status_code == 422 and "Enter a date and time" in r.content.decode()
    page = director.get(
        "/settings/sla/preview/", {"calendar": china.pk, "hours": "48"}
    )  # without HTMX: the page
    assert page.status_code == 200 and "due <strong>Mon 2026-12-07 13:00</strong>" in page.content.decode()
