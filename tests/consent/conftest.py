"""Fixtures of the consent tests: a small organisation, API clients with tokens, signed-in browsers."""

from types import SimpleNamespace

import pytest
from api_client import Api
from django.core.cache import cache
from django.test import Client

from baton.org.services import team_create, token_create, user_create

PASSWORD = "correct-horse-battery"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _fresh_throttle():
    # The unsubscribe rate limit counts in the cache; each test starts with an empty bucket.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def org(db):
    inbound = team_create("Inbound SDR", "sdr_inbound")
    sales = team_create("Sales East", "sales", region="East")
    return SimpleNamespace(
        admin=user_create("root", PASSWORD, roles=["ops_admin"], display_name="Ops Admin"),
        sdr=user_create("sam", PASSWORD, roles=["sdr_inbound"], team=inbound, display_name="Sam SDR"),
        sdr2=user_create("wang", PASSWORD, roles=["sdr_inbound"], team=inbound, display_name="Wang SDR"),
        ae=user_create("alex", PASSWORD, roles=["ae"], team=sales, display_name="Alex AE"),
        marketer=user_create("mia", PASSWORD, roles=["marketer"], display_name="Mia Marketing"),
    )


@pytest.fixture
def api_as(org):
    def make(username: str | None) -> Api:
        return Api(token_create(getattr(org, username)) if username else None)

    return make


def client_for(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client
