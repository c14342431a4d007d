"""Capture with enrichment: a synchronous provider fills the lead before routing; a slow one holds the
lead until it answers or the timeout passes, and the sweep routes it then."""

from datetime import timedelta

from baton import clock
from baton.enrichment.models import EnrichmentRequest
from baton.leads.models import Lead, LeadEvent
from baton.leads.services import lead_capture
from baton.worker import sweep

from .conftest import T0


def test_the_directory_fills_the_lead_before_it_is_scored_and_routed(org, enrichment_on):
    lead = lead_capture({"name": "Ann", "email": "ann@acme.com", "company": "Acme", "source": "seo"}, at=T0)
    assert lead.owner_id in (org.sdr.pk, org.sdr2.pk)
    stored = Lead.objects.get(pk=lead.pk)
    assert stored.industry == "Software" and stored.company_size == 350
    kinds = list(
        LeadEvent.objects.filter(lead=lead).order_by("occurred_at", "pk").values_list("kind", flat=True)
    )
    assert kinds.index("enriched") < kinds.index("routed")


def test_a_slow_provider_holds_routing_until_the_answer_or_the_timeout(org, fake):
    fake.ready = set()  # nothing answered yet
    lead = lead_capture({"name": "Bo", "email": "bo@slow.io", "company": "Slow Inc", "source": "seo"}, at=T0)
    assert Lead.objects.get(pk=lead.pk).owner_id is None  # waiting for enrichment
    assert sweep(T0 + timedelta(seconds=30))["leads_routed"] == 0
    clock.set_frozen(T0 + timedelta(seconds=130))
    result = sweep(T0 + timedelta(seconds=130))  # past the 120 s timeout
    assert result["leads_routed"] == 1
    lead.refresh_from_db()
    assert lead.owner_id in (org.sdr.pk, org.sdr2.pk)
    assert EnrichmentRequest.objects.get(lead=lead).status == "timed_out"
    assert fake.calls and not fake.answers  # it was asked, never answered
