"""A small organisation with leads captured at T0 and the clock at T0 + 1 day, for the behaviour and tag tests.

Imported by their conftest files (pytest finds fixtures there); test modules import T0, NOW and
``capture`` from their conftest as before.
"""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from api_client import Api

from baton import clock
from baton.leads.services import capture_clean, lead_capture, lead_create
from baton.org.services import team_create, token_create, user_create

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=1)


@pytest.fixture(autouse=True)
def _frozen():
    clock.set_frozen(NOW)
    yield
    clock.set_frozen(None)


@pytest.fixture
def org(db):
    inbound = team_create("Inbound SDR", "sdr_inbound")
    sales = team_create("Sales East", "sales", region="East")
    return SimpleNamespace(
        admin=user_create("root", None, roles=["ops_admin"], display_name="Ops Admin"),
        sdr=user_create("sam", None, roles=["sdr_inbound"], team=inbound, display_name="Sam SDR"),
        sdr2=user_create("wang", None, roles=["sdr_inbound"], team=inbound, display_name="Wang SDR"),
        ae=user_create("alex", None, roles=["ae"], team=sales, display_name="Alex AE"),
        marketer=user_create("mia", None, roles=["marketer"], display_name="Mia Marketing"),
    )


def capture(n: int, *, at=T0, **fields):
    data = {"name": f"Lead {n}", "email": f"buyer{n}@acme{n}.com", "phone": f"+86 138 0000 {n:04d}",
            "company": f"Acme {n}", "title": "CTO", "source": "trial_signup", "industry": "manufacturing",
            "region": "East", "company_size": 300}  # fmt: skip
    data.update(fields)
    with clock.travel_to(at):
        return lead_capture(data)


@pytest.fixture
def leads(org):
    """Two routed leads (one per SDR) and one in the public pool, all captured at T0."""
    a, b = capture(1), capture(2)
    with clock.travel_to(T0):
        pool = lead_create(capture_clean({"name": "Pool 9", "email": "p9@pool9.com", "company": "Pool Co"}))
    by_owner = {lead.owner_id: lead for lead in (a, b)}
    return SimpleNamespace(sam=by_owner[org.sdr.pk], wang=by_owner[org.sdr2.pk], pool=pool)


@pytest.fixture
def api_as(org):
    def make(username: str | None) -> Api:
        return Api(token_create(getattr(org, username)) if username else None)

    return make
