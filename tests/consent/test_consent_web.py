"""Consent pages: the public unsubscribe flow, the do-not-contact settings, the lead panel."""

import pytest
from django.template.loader import render_to_string
from django.test import Client

from baton.consent import selectors, services
from baton.consent.models import ContactPreference, DomainSuppression
from baton.leads.services import lead_capture
from baton.org.models import AuditLog

from .conftest import HTMX, client_for


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


# --- Unsubscribe, end to end -------------------------------------------------------------------


def test_unsubscribe_end_to_end(org):
    url = services.unsubscribe_link("Wang.Wei@Example-Corp.cn")
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "w•••@example-corp.cn" in html and "wang.wei" not in html
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
    assert not ContactPreference.objects.exists()  # a mail scanner opening the link records nothing

    # Without the page's CSRF token the POST is refused.
    assert browser.post(url).status_code == 403
    assert not ContactPreference.objects.exists()

    csrf = browser.cookies["csrftoken"].value
    done = browser.post(url, {"csrfmiddlewaretoken": csrf})
    assert done.status_code == 200 and "You are unsubscribed" in done.content.decode()
    pref = ContactPreference.objects.get()
    assert (pref.email, pref.channel, pref.state, pref.source) == ("wang.wei@example-corp.cn", "email", "opted_out",
                                                                   "unsubscribe_link")  # fmt: skip
    assert not selectors.contact_decision("wang.wei@example-corp.cn", channel="email").allowed
    assert AuditLog.objects.filter(action="consent.preference_record", actor=None).count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_unsubscribe_link_is_refused(org, method):
    token = services.unsubscribe_token("li@acme.com")
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = getattr(Client(), method)(f"/unsubscribe/{tampered}/")
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    assert not ContactPreference.objects.exists()


def test_the_unsubscribe_page_is_rate_limited(org, settings):
    settings.BATON = {**settings.BATON, "FORM_RATE_PER_MIN": 2}
    url = services.unsubscribe_link("li@acme.com")
    client = Client(REMOTE_ADDR="203.0.113.9")
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    assert Client(REMOTE_ADDR="203.0.113.10").get(url).status_code == 200  # per client address


def test_the_unsubscribe_page_speaks_chinese(org):
    url = services.unsubscribe_link("li@acme.com")
    html = Client().get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "退订" in html


# --- Settings: domain suppressions ---------------------------------------------------------------


def test_only_admins_see_the_do_not_contact_settings(org):
    assert client_for(org.sdr).get("/settings/consent/").status_code == 403
    assert (
        client_for(org.ae)
        .post("/settings/consent/suppressions/", {"domain": "x.com", "reason": "r"})
        .status_code
        == 403
    )
    assert Client().get("/settings/consent/").status_code == 302
    page = client_for(org.admin).get("/settings/consent/")
    assert page.status_code == 200 and 'href="/settings/consent/"' in page.content.decode()
    assert 'href="/settings/consent/"' not in client_for(org.sdr).get("/leads/").content.decode()


def test_add_and_remove_a_suppression_with_htmx(org):
    admin = client_for(org.admin)
    r = admin.post(
        "/settings/consent/suppressions/", {"domain": "https://www.acme.com", "reason": "legal asked"}, **HTMX
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="consent-suppressions"' in html and "acme.com" in html and "legal asked" in html
    assert "<html" not in html and "hx-swap-oob" in html  # a partial, with the toast
    row = DomainSuppression.objects.get(active=True)

    bad = admin.post("/settings/consent/suppressions/", {"domain": "acme.com", "reason": "again"}, **HTMX)
    assert bad.status_code == 409 and "already suppressed" in bad.content.decode()
    bad = admin.post("/settings/consent/suppressions/", {"domain": "", "reason": ""}, **HTMX)
    assert bad.status_code == 422 and 'role="alert"' in bad.content.decode()

    r = admin.post(f"/settings/consent/suppressions/{row.pk}/remove/", **HTMX)
    assert r.status_code == 200 and "No domain is suppressed." in r.content.decode()
    row.refresh_from_db()
    assert not row.active and row.removed_by == org.admin


def test_settings_without_htmx_redirect_after_post(org):
    admin = client_for(org.admin)
    r = admin.post("/settings/consent/suppressions/", {"domain": "acme.com", "reason": "competitor"})
    assert r.status_code == 302 and r["Location"] == "/settings/consent/"
    r = admin.post("/settings/consent/opt-in/", {"opt_in_required_call": "on"})
    assert r.status_code == 302
    assert selectors.consent_settings().opt_in_required() == {"call"}
    assert not selectors.contact_decision("li@beta.com", channel="call").allowed


# --- The lead panel ------------------------------------------------------------------------------


@pytest.fixture
def lead(org):
    return lead_capture({"name": "Li Lei", "email": "li.lei@acme.com", "phone": "138 0013 8000", "company": "Acme",
                         "source": "trial_signup", "region": "East"})  # fmt: skip


def test_the_lead_panel_shows_a_decision_per_channel(org, lead):
    services.domain_suppress("acme.com", "competitor", org.admin)
    owner = lead.owner or org.admin
    r = client_for(owner).get(f"/leads/{lead.pk}/consent/")
    assert r.status_code == 200
    html = r.content.decode()
    for channel in ("email", "call", "message"):
        assert f'data-channel="{channel}" data-allowed="false"' in html
    assert "the e-mail domain is suppressed" in html


def test_the_lead_panel_records_an_opt_out(org, lead):
    owner = lead.owner or org.admin
    client = client_for(owner)
    r = client.post(
        f"/leads/{lead.pk}/consent/opt-out/", {"channel": "call", "note": "asked on the phone"}, **HTMX
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert (
        'data-channel="call" data-allowed="false"' in html
        and 'data-channel="email" data-allowed="true"' in html
    )
    pref = ContactPreference.objects.get()
    assert (pref.email, pref.phone, pref.recorded_by, pref.source) == (
        "li.lei@acme.com",
        "+8613800138000",
        owner,
        "manual",
    )
    bad = client.post(f"/leads/{lead.pk}/consent/opt-out/", {"channel": "fax"}, **HTMX)
    assert bad.status_code == 422


def test_the_lead_panel_respects_lead_visibility(org, lead):
    if lead.owner is None:
        pytest.skip("the lead was not routed to an SDR")
    other = org.sdr2 if lead.owner == org.sdr else org.sdr
    assert client_for(other).get(f"/leads/{lead.pk}/consent/").status_code == 404
    assert client_for(other).post(f"/leads/{lead.pk}/consent/opt-out/", {"channel": "all"}).status_code == 404
    assert not ContactPreference.objects.exists()


def test_the_lead_panel_include_loads_itself_without_its_context(org, lead):
    html = render_to_string("consent/_lead_panel.html", {"lead": lead})
    assert f'hx-get="/leads/{lead.pk}/consent/"' in html and 'hx-trigger="load"' in html
