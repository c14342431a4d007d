"""Fixtures of the enrichment tests: a company directory file, a scriptable provider, an organisation."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from api_client import Api

from baton import clock
from baton.core.enrichment import CompanyFacts, CompanyKey
from baton.enrichment import providers
from baton.leads.services import capture_clean, leads_create
from baton.org.services import team_create, token_create, user_create

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct-horse-battery"
HTMX = {"HTTP_HX_REQUEST": "true"}

DIRECTORY = """name,domain,industry,city,region,headcount,registered_capital,funding_round
"Acme Software Co., Ltd.",https://www.acme.com/,Software,Shanghai,East,350,1000万人民币,B轮
示例科技有限公司,example-corp.cn,Internet,北京,North,100-499人,2亿,A轮
Globex GmbH,globex.de,Manufacturing,Munich,,"1,200","5,000,000",
"""


@pytest.fixture(autouse=True)
def _no_provider_from_the_environment(settings):
    settings.BATON_ENRICHMENT = {"provider": ""}
    providers.reset()
    yield
    providers.reset()


@pytest.fixture(autouse=True)
def _frozen():
    clock.set_frozen(T0)
    yield
    clock.set_frozen(None)


@pytest.fixture
def directory(tmp_path):
    path = tmp_path / "companies.csv"
    path.write_text(DIRECTORY, encoding="utf-8")
    return path


@pytest.fixture
def enrichment_on(settings, directory):
    """The directory provider on the sample directory."""
    settings.BATON_ENRICHMENT = {"provider": "directory", "directory": str(directory)}
    return directory


class FakeProvider:
    """A provider the test controls: ``answers`` by key; only keys in ``ready`` are answered (None: all)."""

    name = "fake"

    def __init__(self):
        self.answers: dict[CompanyKey, CompanyFacts | None] = {}
        self.ready: set[CompanyKey] | None = None
        self.fail: Exception | None = None
        self.calls: list[list[CompanyKey]] = []

    def lookup_many(self, keys):
        self.calls.append(list(keys))
        if self.fail is not None:
            raise self.fail
        return {k: self.answers.get(k) for k in keys if self.ready is None or k in self.ready}


@pytest.fixture
def fake(settings):
    provider = FakeProvider()
    providers.register("fake", lambda conf: provider)
    settings.BATON_ENRICHMENT = {"provider": "fake"}
    return provider


@pytest.fixture
def org(db):
    inbound = team_create("Inbound SDR", "sdr_inbound")
    return SimpleNamespace(
        admin=user_create("root", PASSWORD, roles=["ops_admin"], display_name="Ops Admin"),
        sdr=user_create("sam", PASSWORD, roles=["sdr_inbound"], team=inbound, display_name="Sam SDR"),
        sdr2=user_create("wang", PASSWORD, roles=["sdr_inbound"], team=inbound, display_name="Wang SDR"),
    )


@pytest.fixture
def api_as(org):
    def make(username: str | None) -> Api:
        return Api(token_create(getattr(org, username)) if username else None)

    return make


def captured(*items: dict, at: datetime = T0) -> list:
    """Leads stored the way capture stores them (durable part only: not scored, not routed)."""
    cleaned = [capture_clean({"source": "seo", **item}) for item in items]
    return leads_create(cleaned, ats=[at] * len(cleaned))
