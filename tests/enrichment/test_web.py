"""The lead page's enrichment card and the settings page."""

from django.test import Client

from baton.enrichment.models import EnrichmentSettings
from baton.leads.models import Lead
from baton.org.models import AuditLog

from .conftest import HTMX, captured

ACME = {"name": "Li Lei", "email": "li@acme.com", "company": "Acme Software Ltd"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_lead_page_loads_the_card(enrichment_on, org):
    lead = captured(ACME)[0]
    sdr = client_for(org.sdr)
    page = sdr.get(f"/leads/{lead.pk}/").content.decode()
    assert f'hx-get="/leads/{lead.pk}/enrichment/"' in page
    card = sdr.get(f"/leads/{lead.pk}/enrichment/").content.decode()
    assert "The company has not been looked up." in card and "Look up again" in card


def test_running_it_again_from_the_card(enrichment_on, org):
    lead = captured({**ACME, "industry": "Finance"})[0]
    sdr = client_for(org.sdr)
    r = sdr.post(f"/leads/{lead.pk}/enrichment/run/", **HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and 'data-status="enriched"' in html
    assert "Shanghai" in html and "10,000,000 CNY" in html and "B轮" in html
    assert "2 values kept (not overwritten)" in html and "Finance" in html  # lead and account
    assert "Company found: 9 field(s) filled." in html  # the toast: lead, account and profile
    assert Lead.objects.get(pk=lead.pk).city == "Shanghai"
    # Without HTMX: back to the lead page.
    r = sdr.post(f"/leads/{lead.pk}/enrichment/run/")
    assert r.status_code == 302 and r["Location"] == f"/leads/{lead.pk}/"


def test_the_card_shows_errors_and_hidden_leads_are_404(settings, org):
    lead = captured(ACME)[0]
    sdr = client_for(org.sdr)
    card = sdr.get(f"/leads/{lead.pk}/enrichment/").content.decode()
    assert "No enrichment provider is configured." in card and "Look up again" not in card
    r = sdr.post(f"/leads/{lead.pk}/enrichment/run/", **HTMX)
    assert r.status_code == 409 and "BATON_ENRICHMENT_PROVIDER" in r.content.decode()
    Lead.objects.filter(pk=lead.pk).update(owner=org.sdr2)
    assert sdr.get(f"/leads/{lead.pk}/enrichment/").status_code == 404
    assert sdr.post(f"/leads/{lead.pk}/enrichment/run/").status_code == 404
    assert Client().get(f"/leads/{lead.pk}/enrichment/").status_code == 302  # sign in first


def test_the_settings_page_is_for_admins(enrichment_on, org):
    assert client_for(org.sdr).get("/settings/enrichment/").status_code == 403
    assert client_for(org.sdr).post("/settings/enrichment/save/", {"timeout_seconds": 5}).status_code == 403
    page = client_for(org.admin).get("/settings/enrichment/")
    html = page.content.decode()
    assert page.status_code == 200 and 'href="/settings/enrichment/"' in html
    assert str(enrichment_on) in html and 'data-companies="3"' in html
    assert 'href="/settings/enrichment/"' not in client_for(org.sdr).get("/leads/").content.decode()


def test_saving_the_settings(org):
    admin = client_for(org.admin)
    r = admin.post("/settings/enrichment/save/", {"enabled": "on", "timeout_seconds": "45"}, **HTMX)
    assert r.status_code == 200 and "Enrichment settings saved." in r.content.decode()
    saved = EnrichmentSettings.objects.get(pk=1)
    assert (saved.enabled, saved.wait_before_routing, saved.timeout_seconds) == (True, False, 45)
    assert AuditLog.objects.filter(action="enrichment.settings_update").count() == 1
    for bad in ("0", "86401", "soon", ""):
        r = admin.post("/settings/enrichment/save/", {"enabled": "on", "timeout_seconds": bad}, **HTMX)
        assert r.status_code == 422, bad
        assert "Please correct the fields marked below." in r.content.decode()
    assert EnrichmentSettings.objects.get(pk=1).timeout_seconds == 45
    r = admin.post("/settings/enrichment/save/", {"timeout_seconds": "60"})
    assert r.status_code == 302 and EnrichmentSettings.objects.get(pk=1).enabled is False


def test_the_settings_page_without_a_provider(org):
    html = client_for(org.admin).get("/settings/enrichment/").content.decode()
    assert "not configured" in html and "BATON_ENRICHMENT_PROVIDER=directory" in html


def test_the_card_in_chinese(enrichment_on, org):
    lead = captured(ACME)[0]
    sdr = client_for(org.sdr)
    sdr.post(f"/leads/{lead.pk}/enrichment/run/")
    html = sdr.get(f"/leads/{lead.pk}/enrichment/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "企业信息补全" in html and "注册资本" in html and "重新查询" in html
