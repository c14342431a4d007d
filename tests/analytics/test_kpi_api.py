"""GET /api/v1/kpis: parameters, visibility, errors."""

from datetime import UTC, datetime

import pytest
from analytics.kpi_world import build_world
from api_client import Api

from baton.analytics.api import visible_rep_ids
from baton.analytics.selectors import kpi_report
from baton.core import kpis as K
from baton.org.models import RoleAssignment, User
from baton.org.selectors import subtree_user_ids
from baton.org.services import token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = build_world(7, tz="Asia/Shanghai", n_leads=120)
    admin = User.objects.create(username="ops", display_name="Ops")
    RoleAssignment.objects.create(user=admin, role="ops_admin")
    world.users["ops"] = admin
    return world


def as_user(user) -> Api:
    return Api(token_create(user))


def params(world, **extra) -> dict:
    return {
        "from": world.start.isoformat(),
        "to": world.end.isoformat(),
        "at": world.as_of.isoformat(),
        **extra,
    }


def test_admin_sees_the_whole_organisation(world):
    response = as_user(world.users["ops"]).get("/kpis", **params(world, by_rep="true"))
    assert response.status_code == 200, response.content
    body = response.json()
    expected = kpi_report(world.start, world.end, as_of=world.as_of, by_rep=True)
    assert body["kpis"] == expected["kpis"]
    assert body["by_source"] == expected["by_source"]
    assert body["by_rep"] == expected["by_rep"]
    assert body["period"]["timezone"] == "Asia/Shanghai"
    assert list(body["kpis"]) == list(K.KEYS)


def test_a_manager_sees_their_subtree(world):
    director = world.users["director"]
    subtree = subtree_user_ids(director)
    assert visible_rep_ids(director) == subtree
    body = as_user(director).get("/kpis", **params(world, by_rep="true")).json()
    expected = kpi_report(world.start, world.end, as_of=world.as_of, by_rep=True, rep_ids=subtree)
    assert body["kpis"] == expected["kpis"]
    assert {row["user_id"] for row in body["by_rep"]} <= subtree
    assert {row["username"] for row in body["by_rep"]} >= {"sdr1", "ae1", "ae2"}  # ae2 reports via ae1


def test_a_rep_sees_their_own_work(world):
    sdr = world.users["sdr2"]
    assert visible_rep_ids(sdr) == {sdr.pk}
    body = as_user(sdr).get("/kpis", **params(world, by_rep="true")).json()
    assert body["kpis"] == kpi_report(world.start, world.end, as_of=world.as_of, rep_ids={sdr.pk})["kpis"]
    assert [row["username"] for row in body["by_rep"]] == ["sdr2"]
    assert "by_rep" not in as_user(sdr).get("/kpis", **params(world)).json()


def test_at_is_optional_and_a_naive_at_is_local_time(world):
    api = as_user(world.users["ops"])
    body = api.get("/kpis", **{"from": "2024-03-04", "to": "2024-03-18"}).json()
    assert datetime.fromisoformat(body["period"]["as_of"]) > datetime(
        2024, 6, 1, tzinfo=UTC
    )  # the real clock
    body = api.get("/kpis", **{"from": "2024-03-04", "to": "2024-03-18", "at": "2024-03-10T08:00:00"}).json()
    assert body["period"]["as_of"] == "2024-03-10T00:00:00+00:00"


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2024-03-04", "to": "2024-03-04"},
        {"from": "2024-03-05", "to": "2024-03-04"},
    ],
)
def test_the_period_must_end_after_it_starts(world, query):
    response = as_user(world.users["ops"]).get("/kpis", **query)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"
    assert "after" in response.json()["detail"]


@pytest.mark.parametrize(
    "query",
    [{"to": "2024-03-04"}, {"from": "2024-03-04"}, {"from": "March", "to": "2024-04-01"}, {"from": "2024-03-01",
     "to": "2024-04-01", "at": "soon"}],
)  # fmt: skip
def test_bad_parameters_are_rejected(world, query):
    response = as_user(world.users["ops"]).get("/kpis", **query)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"


def test_kpis_need_authentication(world):
    assert Api(None).get("/kpis", **params(world)).status_code == 401


def test_the_catalogue(world):
    body = as_user(world.users["sdr1"]).get("/kpis/catalogue").json()
    assert [k["key"] for k in body["kpis"]] == list(K.KEYS)
    assert set(body["kpis"][0]) == {"key", "label", "kind", "unit", "attribution", "definition"}
    assert "won_revenue" in body["by_source"]
