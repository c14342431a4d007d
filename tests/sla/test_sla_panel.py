"""The SLA panel's reads (baton.sla.selectors.sla_panel) and GET /api/v1/sla/mine."""

from datetime import UTC, date, datetime, timedelta

import pytest
from api_client import Api

from baton import clock
from baton.analytics.selectors import kpi_report
from baton.leads.services import capture_clean, lead_create
from baton.org.models import OrgSettings
from baton.org.services import team_create, token_create, user_create
from baton.sla.models import Clock, Penalty, Policy
from baton.sla.selectors import sla_panel

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now():
    clock.set_frozen(NOW)
    yield
    clock.set_frozen(None)


@pytest.fixture
def org(db):
    sales = team_create("Sales", "sales")
    boss = user_create("boss", None, roles=["sales_director"], team=sales)
    ae = user_create("ae", None, roles=["ae"], team=sales, manager=boss)
    ae2 = user_create("ae2", None, roles=["ae"], team=sales, manager=ae)  # two levels below the boss
    sdr = user_create("sdr", None, roles=["sdr_inbound"])
    lead = lead_create(capture_clean({"name": "Wang Wei", "email": "w@acme.cn", "company": "Acme"}))
    return {"boss": boss, "ae": ae, "ae2": ae2, "sdr": sdr, "lead": lead}


def make(lead, user, *, policy="acceptance", state="running", due, started=None, stopped=None) -> Clock:
    return Clock.objects.create(
        policy=Policy.objects.get(key=policy), lead=lead, user=user, state=state,
        started_at=started or due - timedelta(hours=48), due_at=due, stopped_at=stopped,
        outcome={"met": state == "met"} if stopped else {},
    )  # fmt: skip


def test_running_clocks_soonest_due_first_with_time_left(org):
    lead, ae = org["lead"], org["ae"]
    later = make(lead, ae, due=NOW + timedelta(hours=5))
    soon = make(lead, ae, policy="speed_to_lead", due=NOW + timedelta(minutes=3))
    late = make(lead, ae, due=NOW - timedelta(minutes=90))
    make(lead, ae, due=NOW - timedelta(days=1), state="met", stopped=NOW - timedelta(days=2))  # not running
    make(lead, org["sdr"], due=NOW + timedelta(hours=1))  # someone else's
    make(lead, ae, due=NOW + timedelta(hours=50), started=NOW + timedelta(hours=2))  # not started yet
    panel = sla_panel(ae)
    assert [c["id"] for c in panel["clocks"]] == [late.pk, soon.pk, later.pk]
    assert (panel["clocks_total"], panel["clocks_overdue"]) == (3, 1)
    first, second, third = panel["clocks"]
    assert first["overdue"] and not first["due_soon"] and first["seconds_left"] == -5400
    assert second["due_soon"] and not second["overdue"] and second["seconds_left"] == 180
    assert not third["due_soon"] and not third["overdue"]
    assert second["policy"] == "speed_to_lead" and second["lead_name"] == "Wang Wei"
    assert panel["reports_overdue"] is None  # not a manager
    assert sla_panel(org["sdr"])["clocks_total"] == 1


def test_a_clock_due_exactly_now_is_overdue(org):
    make(org["lead"], org["ae"], due=NOW)
    [row] = sla_panel(org["ae"])["clocks"]
    assert row["overdue"] and row["seconds_left"] == 0


def test_more_clocks_than_the_panel_shows_are_counted(org):
    for i in range(25):
        make(org["lead"], org["ae"], due=NOW + timedelta(minutes=i - 10))
    panel = sla_panel(org["ae"])
    assert len(panel["clocks"]) == 20 and panel["clocks_total"] == 25 and panel["clocks_overdue"] == 11


def test_compliance_over_the_last_30_days_is_the_kpi(org):
    lead, ae = org["lead"], org["ae"]
    make(lead, ae, due=NOW - timedelta(days=2), state="met", stopped=NOW - timedelta(days=3))
    make(lead, ae, due=NOW - timedelta(days=1))  # open and overdue: a miss
    make(
        lead,
        ae,
        policy="speed_to_lead",
        due=NOW - timedelta(days=5),
        state="met",
        stopped=NOW - timedelta(days=5),
    )
    make(lead, ae, due=NOW - timedelta(days=31), state="met", stopped=NOW - timedelta(days=31))  # too old
    make(lead, ae, due=NOW - timedelta(days=3), state="cancelled", stopped=NOW - timedelta(days=4))
    make(lead, org["sdr"], due=NOW - timedelta(days=1))  # someone else's
    c = sla_panel(ae)["compliance"]
    assert (c["met"], c["missed"], c["decided"], c["rate"], c["days"]) == (2, 1, 3, round(2 / 3, 4), 30)
    assert c["start"] == NOW - timedelta(days=30) and c["end"] == NOW
    assert [(p["key"], p["met"], p["missed"], p["rate"]) for p in c["policies"]] == [
        ("speed_to_lead", 1, 0, 1.0),
        ("acceptance", 1, 1, 0.5),
    ]
    assert c["policies"][1]["label"] == "Handoff acceptance"
    # The KPI's number for a period of whole days that holds the same clocks.
    OrgSettings.objects.update_or_create(pk=1, defaults={"timezone": "UTC"})
    report = kpi_report(date(2026, 11, 1), date(2026, 11, 30), as_of=NOW, rep_ids={ae.pk})["kpis"]
    assert report["sla_compliance"] == c["rate"]
    assert sla_panel(org["sdr"])["compliance"]["rate"] == 0.0
    assert sla_panel(org["boss"])["compliance"]["rate"] is None


def test_the_active_penalty(org):
    ae = org["ae"]
    assert sla_panel(ae)["penalty"] is None
    Penalty.objects.create(user=ae, started_at=NOW - timedelta(days=40), until=NOW - timedelta(days=10),
                           reason="old", clocks=[1, 2])  # over  # fmt: skip
    Penalty.objects.create(user=ae, started_at=NOW - timedelta(days=5), until=NOW + timedelta(days=25),
                           reason="lifted early", clocks=[3, 4], lifted_at=NOW - timedelta(days=1))  # fmt: skip
    assert sla_panel(ae)["penalty"] is None
    Penalty.objects.create(user=ae, started_at=NOW - timedelta(days=2), until=NOW + timedelta(days=28),
                           reason="2 acceptance SLA misses in a row", clocks=[5, 6])  # fmt: skip
    penalty = sla_panel(ae)["penalty"]
    assert penalty["until"] == NOW + timedelta(days=28) and penalty["misses"] == 2
    assert penalty["reason"] == "2 acceptance SLA misses in a row"
    # Suspended by hand, without a penalty record: the panel still says until when.
    org["sdr"].suspended_until = NOW + timedelta(days=3)
    org["sdr"].save()
    assert sla_panel(org["sdr"])["penalty"] == {"started_at": None, "until": NOW + timedelta(days=3), "reason": "",
                                                "misses": 0}  # fmt: skip


def test_a_manager_sees_the_overdue_clocks_of_their_whole_subtree(org):
    lead, boss = org["lead"], org["boss"]
    direct = make(lead, org["ae"], due=NOW - timedelta(hours=1))
    indirect = make(lead, org["ae2"], due=NOW - timedelta(hours=3))
    make(lead, org["ae2"], due=NOW + timedelta(hours=3))  # not overdue
    make(lead, org["sdr"], due=NOW - timedelta(hours=3))  # not a report
    own = make(
        lead, boss, due=NOW - timedelta(hours=2)
    )  # the manager's own: in their clocks, not the reports'
    panel = sla_panel(boss)
    assert [c["id"] for c in panel["reports_overdue"]] == [indirect.pk, direct.pk]
    assert panel["reports_overdue_total"] == 2
    assert panel["reports_overdue"][0]["user_label"] == "ae2"
    assert [c["id"] for c in panel["clocks"]] == [own.pk]
    assert sla_panel(org["ae"])["reports_overdue"] is None


def test_the_panel_costs_a_constant_number_of_queries(org, django_assert_max_num_queries):
    sla_panel(org["boss"])
    with django_assert_max_num_queries(12) as few:
        sla_panel(org["boss"])
    for i in range(30):
        make(org["lead"], org["ae"], due=NOW - timedelta(minutes=i + 1))
        make(org["lead"], org["boss"], due=NOW + timedelta(minutes=i + 1))
    with django_assert_max_num_queries(len(few.captured_queries) + 2):  # + the two counts past 20 rows
        sla_panel(org["boss"])


# --- GET /api/v1/sla/mine ----------------------------------------------------------------------------


def test_the_api_returns_the_panel(org):
    lead, ae = org["lead"], org["ae"]
    clock_ = make(lead, ae, due=NOW + timedelta(minutes=30))
    make(lead, ae, due=NOW - timedelta(days=1), state="met", stopped=NOW - timedelta(days=2))
    Penalty.objects.create(user=ae, started_at=NOW - timedelta(days=2), until=NOW + timedelta(days=28),
                           reason="2 acceptance SLA misses in a row", clocks=[5, 6])  # fmt: skip
    response = Api(token_create(ae)).get("/sla/mine")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["as_of"].startswith("2026-11-30T02:00:00")
    [row] = body["clocks"]
    assert row["id"] == clock_.pk and row["seconds_left"] == 1800 and row["due_soon"] and not row["overdue"]
    assert row["policy"] == "acceptance" and row["lead_id"] == lead.pk
    assert (body["clocks_total"], body["clocks_overdue"]) == (1, 0)
    assert body["compliance"]["rate"] == 1.0 and body["compliance"]["policies"][0]["key"] == "acceptance"
    assert body["penalty"]["misses"] == 2 and body["penalty"]["until"].startswith("2026-12-28")
    assert body["reports_overdue"] is None


def test_the_api_for_a_manager_and_without_a_token(org):
    make(org["lead"], org["ae2"], due=NOW - timedelta(hours=1))
    body = Api(token_create(org["boss"])).get("/sla/mine").json()
    assert body["reports_overdue_total"] == 1 and body["reports_overdue"][0]["user_label"] == "ae2"
    assert body["clocks"] == [] and body["compliance"]["rate"] is None and body["penalty"] is None
    assert Api(None).get("/sla/mine").status_code == 401
