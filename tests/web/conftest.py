"""Fixtures of the web tests: a small organisation built with the services, and signed-in clients."""

from types import SimpleNamespace

import pytest
from django.test import Client

from baton.leads.services import capture_clean, lead_capture, lead_create
from baton.org.services import team_create, user_create

PASSWORD = "correct-horse-battery"


@pytest.fixture
def org(db):
    inbound = team_create("Inbound SDR", "sdr_inbound")
    sales = team_create("Sales East", "sales", region="East")
    west = team_create("Sales West", "sales", region="West")
    director = user_create(
        "diana", PASSWORD, roles=["sales_director"], team=sales, display_name="Diana Director"
    )
    return SimpleNamespace(
        director=director,
        sdr1=user_create("sam", PASSWORD, roles=["sdr_inbound"], team=inbound, display_name="Sam SDR"),
        sdr2=user_create("wang", None, roles=["sdr_inbound"], team=inbound, display_name="Wang SDR"),
        ae1=user_create("alex", PASSWORD, roles=["ae"], team=sales, manager=director, display_name="Alex AE"),
        ae2=user_create("olga", None, roles=["ae"], team=west, display_name="Olga AE"),
        admin=user_create("root", PASSWORD, roles=["ops_admin"], display_name="Ops Admin"),
    )


def capture(n: int = 1, **fields):
    data = {"name": f"Lead {n}", "email": f"buyer{n}@acme{n}.com", "company": f"Acme {n}", "title": "CTO",
            "source": "trial_signup", "region": "East", "industry": "software", "company_size": 300}  # fmt: skip
    data.update(fields)
    return lead_capture(data)


def pool_lead(n: int = 99):
    """A lead nobody owns (created without routing)."""
    return lead_create(
        capture_clean({"name": f"Pool {n}", "email": f"p{n}@pool{n}.com", "company": f"Pool Co {n}"})
    )


@pytest.fixture
def lead(org):
    """An inbound lead, routed by round robin to the first SDR."""
    lead = capture(1)
    assert lead.owner_id == org.sdr1.pk
    return lead


def client_for(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


HTMX = {"HTTP_HX_REQUEST": "true"}
