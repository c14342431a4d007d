"""Enriching leads: fill only what is empty, in a fixed number of queries, and the wait before routing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from baton import clock
from baton.core import enrichment as rules
from baton.core.enrichment import CompanyFacts
from baton.core.errors import InvalidInput, NotAllowed
from baton.enrichment import selectors, services
from baton.enrichment.models import AccountProfile, EnrichmentRequest, EnrichmentSettings
from baton.enrichment.providers import ProviderUnavailable, company_key
from baton.leads.models import Account, Lead, LeadEvent
from baton.org.models import AuditLog

from .conftest import T0, captured

pytestmark = pytest.mark.django_db

ACME = {"name": "Li Lei", "email": "li@acme.com", "company": "Acme Software Ltd"}
EXAMPLE = {"name": "王伟", "phone": "13800138000", "company": "示例科技有限公司"}


def test_empty_fields_are_filled_and_what_a_person_typed_stays(enrichment_on):
    lead = captured({**ACME, "industry": "Finance", "company_size": 40})[0]
    request = services.leads_enrich([lead])[0]
    assert request.status == rules.ENRICHED and request.matched_by == "domain"
    assert (request.key_domain, request.provider) == ("acme.com", "directory")
    # The object passed in carries the filled values; the database too.
    assert (lead.industry, lead.company_size, lead.city, lead.region) == ("Finance", 40, "Shanghai", "East")
    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.industry, stored.company_size, stored.city, stored.region, stored.website_domain) == (
        "Finance", 40, "Shanghai", "East", "acme.com"
    )  # fmt: skip
    account = Account.objects.get(pk=lead.account_id)
    assert (account.industry, account.headcount, account.city, account.domain) == (
        "Finance",
        40,
        "Shanghai",
        "acme.com",
    )
    profile = AccountProfile.objects.get(account=account)
    assert profile.registered_capital == Decimal("10000000.00") and profile.funding_round == "B轮"
    assert profile.source == "directory companies.csv, line 2"
    changes = {(c["target"], c["field"]): c["action"] for c in request.changes}
    assert changes == {
        ("lead", "website_domain"): "fill", ("lead", "industry"): "keep", ("lead", "city"): "fill",
        ("lead", "region"): "fill", ("lead", "company_size"): "keep",
        ("account", "industry"): "keep", ("account", "city"): "fill", ("account", "region"): "fill",
        ("account", "headcount"): "keep",
        ("account_profile", "registered_capital"): "fill", ("account_profile", "funding_round"): "fill",
    }  # fmt: skip
    kept = next(c for c in request.changes if c["field"] == "industry" and c["target"] == "lead")
    assert kept["reason"].startswith("kept 'Finance' (already set); directory companies.csv, line 2")
    event = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.ENRICHED)
    assert event.data["request"] == request.pk and event.data["changes"] == request.changes
    filled = "website_domain, city, region, registered_capital, funding_round"
    assert event.reason == f"filled {filled} from directory companies.csv, line 2"
    assert event.actor is None and event.occurred_at == T0


def test_running_again_fills_nothing_new_and_never_overwrites(enrichment_on, directory):
    lead = captured(ACME)[0]
    services.leads_enrich([lead])
    Lead.objects.filter(pk=lead.pk).update(city="Suzhou")  # a person corrects the city
    directory.write_text(directory.read_text().replace("Shanghai", "Hangzhou"), encoding="utf-8")
    os_stat = directory.stat()
    import os

    os.utime(directory, ns=(1, os_stat.st_mtime_ns + 10**9))
    again = services.leads_enrich([Lead.objects.get(pk=lead.pk)])[0]
    assert again.status == rules.ENRICHED and not again.filled()
    assert Lead.objects.get(pk=lead.pk).city == "Suzhou"
    assert {c["field"] for c in again.kept()} >= {"city"}
    assert EnrichmentRequest.objects.filter(lead=lead).count() == 2


def test_by_name_not_found_and_nothing_to_look_up(enrichment_on):
    by_name, unknown, bare = captured(EXAMPLE, {**ACME, "email": "x@unknown.org", "company": "Unknown Org"},
                                      {"name": "No Company", "email": "someone@qq.com"})  # fmt: skip
    results = services.leads_enrich([by_name, unknown, bare])
    assert results[0].status == rules.ENRICHED and results[0].matched_by == "name"
    assert Lead.objects.get(pk=by_name.pk).industry == "Internet"
    assert Lead.objects.get(pk=by_name.pk).website_domain == "example-corp.cn"
    assert results[1].status == rules.NOT_FOUND and not results[1].changes
    assert results[2] is None  # free mail, no company: nothing looked up, nothing recorded
    assert EnrichmentRequest.objects.count() == 2
    assert LeadEvent.objects.filter(kind=LeadEvent.Kind.ENRICHED).count() == 1


def test_a_domain_of_another_account_is_not_copied(enrichment_on):
    other = captured({"name": "A", "email": "a@acme.com", "company": "Acme Other Name"})[0]
    lead = captured({"name": "B", "phone": "13900139000", "company": "Acme Software"})[0]
    assert lead.account_id != other.account_id and Account.objects.get(pk=lead.account_id).domain == ""
    request = services.leads_enrich([lead])[0]
    assert Account.objects.get(pk=lead.account_id).domain == ""
    skip = next(c for c in request.changes if c["action"] == "skip")
    assert skip["reason"] == f"acme.com belongs to account #{other.account_id}"
    assert Lead.objects.get(pk=lead.pk).website_domain == "acme.com"  # the lead itself may show it


def _directory_of(n: int) -> str:
    rows = [f"Company {i},c{i}.com,Software,City {i},East,{10 + i},{i + 1}00万,A轮" for i in range(n)]
    return "name,domain,industry,city,region,headcount,registered_capital,funding_round\n" + "\n".join(rows)


def test_the_number_of_queries_does_not_grow_with_the_leads(settings, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(_directory_of(120), encoding="utf-8")
    settings.BATON_ENRICHMENT = {"provider": "directory", "directory": str(path)}

    def batch(start: int, n: int) -> int:
        items = [
            {"name": f"P{i}", "email": f"p{i}@c{i}.com", "company": f"Company {i}"}
            for i in range(start, start + n)
        ]
        items += [
            {"name": f"Q{i}", "email": f"q{i}@none{i}.org", "company": f"None {i}"}
            for i in range(start, start + n)
        ]
        ids = [lead.pk for lead in captured(*items)]
        leads = list(Lead.objects.filter(pk__in=ids))  # accounts not loaded
        with CaptureQueriesContext(connection) as queries:
            results = services.leads_enrich(leads)
        assert [r.status for r in results].count(rules.ENRICHED) == n
        return len(queries.captured_queries)

    services.leads_enrich(captured({"name": "warm", "email": "w@c119.com"}))  # loads the directory
    few, many = batch(0, 3), batch(10, 60)
    assert few == many, f"{few} queries for 6 leads, {many} for 120"
    assert many <= 13, many
    assert LeadEvent.objects.filter(kind=LeadEvent.Kind.ENRICHED).count() == 1 + 63
    assert AccountProfile.objects.count() == 63  # the warm-up lead has no account


def test_a_failing_provider_fails_the_requests_and_not_the_caller(fake, db):
    fake.fail = RuntimeError("the service is down")
    lead = captured(ACME)[0]
    request = services.leads_enrich([lead])[0]
    assert request.status == rules.FAILED and request.error == "fake: the service is down"
    assert request.finished_at == T0
    ready, waiting = services.enrichment_before_routing(captured({**ACME, "name": "Han Meimei"}))
    assert len(ready) == 1 and not waiting


def test_no_provider(db):
    lead = captured(ACME)[0]
    with pytest.raises(ProviderUnavailable, match="BATON_ENRICHMENT_PROVIDER"):
        services.leads_enrich([lead])
    assert services.enrichment_before_routing([lead]) == ([lead], [])


def test_an_unknown_provider_name(settings, db):
    settings.BATON_ENRICHMENT = {"provider": "crystal-ball"}
    lead = captured(ACME)[0]
    with pytest.raises(ProviderUnavailable, match="unknown enrichment provider 'crystal-ball'"):
        services.leads_enrich([lead])
    assert services.enrichment_before_routing([lead]) == ([lead], [])


def test_before_routing_costs_no_query_when_switched_off(enrichment_on, django_assert_num_queries):
    EnrichmentSettings.objects.create(pk=1, enabled=False)
    leads = captured(ACME)
    services.enrichment_before_routing(leads)  # reads (and caches) the settings
    with django_assert_num_queries(0):
        assert services.enrichment_before_routing(leads) == (leads, [])
    assert not EnrichmentRequest.objects.exists()


def test_a_synchronous_provider_never_makes_a_lead_wait(enrichment_on):
    leads = captured(ACME, EXAMPLE)
    ready, waiting = services.enrichment_before_routing(leads)
    assert ready == leads and waiting == []
    assert [r.waited for r in EnrichmentRequest.objects.order_by("pk")] == [True, True]
    assert selectors.enrichment_wait_seconds(leads[0]) == 0.0
    assert leads[0].city == "Shanghai"  # scoring and routing see the enriched lead


def test_waiting_then_answered_by_the_sweep(fake, db):
    facts = CompanyFacts(name="Acme", domain="acme.com", industry="Software", source="fake record 7")
    key = company_key(account_domain="acme.com", company="Acme Software Ltd")
    fake.answers[key] = facts
    fake.ready = set()  # asynchronous: no answer yet
    lead = captured(ACME)[0]
    ready, waiting = services.enrichment_before_routing([lead])
    assert ready == [] and waiting == [lead]
    request = EnrichmentRequest.objects.get(lead=lead)
    assert (request.status, request.waited, request.finished_at) == (rules.PENDING, True, None)
    unrouted = Lead.objects.filter(routed_at=None)
    assert not selectors.exclude_waiting(unrouted, at=T0).exists()

    assert services.enrichment_sweep(T0 + timedelta(seconds=30)) == []  # still no answer
    assert selectors.enrichment_wait_seconds(lead, at=T0 + timedelta(seconds=45)) == 45
    fake.ready = {key}
    assert services.enrichment_sweep(T0 + timedelta(seconds=60)) == [lead.pk]
    request.refresh_from_db()
    assert (request.status, request.finished_at) == (rules.ENRICHED, T0 + timedelta(seconds=60))
    assert Lead.objects.get(pk=lead.pk).industry == "Software"
    assert selectors.enrichment_wait_seconds(lead) == 60
    assert selectors.exclude_waiting(unrouted, at=T0 + timedelta(seconds=60)).filter(pk=lead.pk).exists()
    assert len(fake.calls) == 3  # capture, and one call per sweep


def test_an_outbound_lead_is_enriched_but_never_waits(fake, db):
    fake.ready = set()
    inbound, outbound = captured(ACME, {**ACME, "name": "Out Bound", "direction": "outbound"})
    ready, waiting = services.enrichment_before_routing([inbound, outbound])
    assert ready == [outbound] and waiting == [inbound]
    assert {r.lead_id: r.waited for r in EnrichmentRequest.objects.all()} == {
        inbound.pk: True,
        outbound.pk: False,
    }
    assert selectors.enrichment_wait_seconds(outbound) is None


def test_the_timeout_releases_a_waiting_lead_as_the_clock_travels(fake, db):
    EnrichmentSettings.objects.create(pk=1, timeout_seconds=120)
    fake.ready = set()
    leads = captured(ACME, EXAMPLE)
    assert services.enrichment_before_routing(leads)[1] == leads
    with clock.travel_to(T0 + timedelta(seconds=119)):
        assert services.enrichment_sweep() == []
        assert not selectors.exclude_waiting(Lead.objects.all()).exists()
    with clock.travel_to(T0 + timedelta(seconds=125)):
        assert selectors.exclude_waiting(Lead.objects.all()).count() == 2  # past the timeout: routable
        assert sorted(services.enrichment_sweep()) == sorted(lead.pk for lead in leads)
    requests = list(EnrichmentRequest.objects.order_by("pk"))
    assert [r.status for r in requests] == [rules.TIMED_OUT] * 2
    assert requests[0].finished_at == T0 + timedelta(seconds=125)
    assert requests[0].error == "no answer from fake within 120 s"
    assert selectors.enrichment_wait_seconds(leads[0]) == 125
    delays = selectors.enrichment_delays(T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert [(d["lead_id"], d["status"], d["seconds"]) for d in delays] == [
        (leads[0].pk, rules.TIMED_OUT, 125.0), (leads[1].pk, rules.TIMED_OUT, 125.0)
    ]  # fmt: skip
    assert selectors.enrichment_delays(T0 + timedelta(hours=1), T0 + timedelta(hours=2)) == []
    assert services.enrichment_sweep(T0 + timedelta(hours=1)) == []  # nothing pending any more


def test_a_provider_error_in_the_sweep_keeps_the_lead_waiting_until_the_timeout(fake, db):
    fake.ready = set()
    lead = captured(ACME)[0]
    services.enrichment_before_routing([lead])
    fake.fail = RuntimeError("rate limited")
    assert services.enrichment_sweep(T0 + timedelta(seconds=10)) == []
    request = EnrichmentRequest.objects.get(lead=lead)
    assert request.status == rules.PENDING and request.error == "fake: rate limited"
    assert services.enrichment_sweep(T0 + timedelta(seconds=121)) == [lead.pk]
    request.refresh_from_db()
    assert request.status == rules.TIMED_OUT and request.error == "fake: rate limited"


def test_not_waiting_routes_at_once_and_the_sweep_fills_later(fake, db):
    EnrichmentSettings.objects.create(pk=1, wait_before_routing=False)
    fake.ready = set()
    lead = captured(ACME)[0]
    assert services.enrichment_before_routing([lead]) == ([lead], [])
    assert EnrichmentRequest.objects.get(lead=lead).waited is False
    assert selectors.enrichment_wait_seconds(lead) is None
    fake.ready = None
    fake.answers[company_key(account_domain="acme.com", company="Acme Software Ltd")] = CompanyFacts(city="X")
    Lead.objects.filter(pk=lead.pk).update(routed_at=T0)
    assert services.enrichment_sweep(T0 + timedelta(seconds=5)) == []  # finished, but already routed
    assert Lead.objects.get(pk=lead.pk).city == "X"


def test_removing_the_provider_fails_pending_requests(fake, settings, db):
    fake.ready = set()
    lead = captured(ACME)[0]
    services.enrichment_before_routing([lead])
    settings.BATON_ENRICHMENT = {"provider": ""}
    assert services.enrichment_sweep(T0 + timedelta(seconds=1)) == [lead.pk]
    assert EnrichmentRequest.objects.get(lead=lead).status == rules.FAILED


def test_running_again_by_hand_is_audited(enrichment_on, org):
    lead = captured(ACME)[0]
    request = services.lead_enrich(lead, actor=org.sdr)
    assert request.trigger == "manual" and request.requested_by == org.sdr
    audit = AuditLog.objects.get(action="enrichment.rerun")
    assert audit.actor == org.sdr and audit.data["status"] == rules.ENRICHED
    assert LeadEvent.objects.get(lead=lead, kind="enriched").actor == org.sdr
    nothing = captured({"name": "Nobody", "email": "n@gmail.com"})[0]
    with pytest.raises(InvalidInput, match="nothing to look up|no company name"):
        services.lead_enrich(nothing, actor=org.sdr)


def test_settings_update(org):
    services.enrichment_settings_update(
        org.admin, enabled=False, wait_before_routing=False, timeout_seconds=30
    )
    assert selectors.enrichment_settings().timeout_seconds == 30  # the cached copy is dropped on save
    assert AuditLog.objects.get(action="enrichment.settings_update").data["after"]["enabled"] is False
    with pytest.raises(NotAllowed):
        services.enrichment_settings_update(
            org.sdr, enabled=True, wait_before_routing=True, timeout_seconds=30
        )
    for bad in (0, 86401, True, "30"):
        with pytest.raises(InvalidInput, match="timeout_seconds"):
            services.enrichment_settings_update(org.admin, enabled=True, wait_before_routing=True,
                                                timeout_seconds=bad)  # fmt: skip


def test_the_worker_sweep_releases_and_routes(fake, db):
    from baton.worker import sweep

    fake.ready = set()
    lead = captured(ACME)[0]
    services.enrichment_before_routing([lead])
    result = sweep(T0 + timedelta(seconds=500))
    assert result["enrichment_released"] == 1 and result["leads_routed"] >= 1
    from baton.routing.models import RoutingDecision

    # Routing ran (this test has no SDRs: nobody could take it, so it waits unrouted, with the reason).
    decision = RoutingDecision.objects.get(lead=lead)
    assert decision.chosen_id is None and "no eligible rep" in decision.explanation["why"]


def test_delays_need_a_valid_period(db):
    with pytest.raises(InvalidInput):
        selectors.enrichment_delays(T0, T0)
    with pytest.raises(InvalidInput):
        selectors.enrichment_delays(T0.replace(tzinfo=None), T0.replace(tzinfo=None) + timedelta(days=1))


def test_a_manual_run_that_finds_nothing_is_audited_too(enrichment_on, org):
    lead = captured({"name": "Nobody", "email": "n@unknown.org", "company": "Unknown Org"})[0]
    assert services.lead_enrich(lead, actor=org.sdr).status == rules.NOT_FOUND
    assert AuditLog.objects.get(action="enrichment.rerun").data["status"] == rules.NOT_FOUND
