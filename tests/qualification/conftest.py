"""Fixtures of the qualification tests: SDR teams under a parent team with its director, sales, an admin,
and one lead per SDR (captured at T0; the clock at T0 + 1 day)."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from api_client import Api
from django.test import Client

from baton import clock
from baton.leads.services import lead_capture, touch_log
from baton.org.services import team_create, token_create, user_create

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=1)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _frozen():
    clock.set_frozen(NOW)
    yield
    clock.set_frozen(None)


@pytest.fixture
def org(db):
    sdr_root = team_create("SDR", "sdr_inbound")
    team_a = team_create("Inbound A", "sdr_inbound", parent=sdr_root)
    team_b = team_create("Inbound B", "sdr_inbound", parent=sdr_root)
    sales = team_create("Sales East", "sales", region="East")
    director = user_create("dora", None, roles=["sdr_director"], team=sdr_root, display_name="Dora Director")
    sales_director = user_create(
        "diana", None, roles=["sales_director"], team=sales, display_name="Diana Sales"
    )
    return SimpleNamespace(
        sdr_root=sdr_root,
        team_a=team_a,
        team_b=team_b,
        sales=sales,
        director=director,
        sales_director=sales_director,
        admin=user_create("root", None, roles=["ops_admin"], display_name="Ops Admin"),
        sam=user_create(
            "sam", None, roles=["sdr_inbound"], team=team_a, manager=director, display_name="Sam SDR"
        ),
        wang=user_create(
            "wang", None, roles=["sdr_inbound"], team=team_b, manager=director, display_name="Wang SDR"
        ),
        ae=user_create(
            "alex", None, roles=["ae"], team=sales, manager=sales_director, display_name="Alex AE"
        ),
    )


def capture(n: int, **fields):
    data = {"name": f"Lead {n}", "email": f"buyer{n}@acme{n}.com", "company": f"Acme {n}", "title": "CTO",
            "source": "trial_signup", "industry": "manufacturing", "region": "East", "company_size": 300}  # fmt: skip
    data.update(fields)
    with clock.travel_to(T0):
        return lead_capture(data)


@pytest.fixture
def leads(org):
    """One lead per SDR, each worked (a connected call), so that it can be handed off."""
    by_owner = {}
    for n in (1, 2):
        lead = capture(n)
        with clock.travel_to(T0 + timedelta(minutes=5)):
            touch_log(lead, lead.owner, channel="call", outcome="connected", duration_seconds=300)
        lead.refresh_from_db()
        by_owner[lead.owner_id] = lead
    return SimpleNamespace(sam=by_owner[org.sam.pk], wang=by_owner[org.wang.pk])


@pytest.fixture
def api_as(org):
    def make(username: str | None) -> Api:
        return Api(token_create(getattr(org, username)) if username else None)

    return make


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
