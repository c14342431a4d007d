"""The pages: my notification preferences, and the webhook settings of sales ops."""

import pytest

from baton.notifications.models import NotificationPreference, OutboxMessage, WebhookEndpoint

from .conftest import HTMX, client_for

pytestmark = pytest.mark.django_db


def test_preferences_page_saves_groups_and_language(org, settings):
    settings.EMAIL_HOST = ""
    client = client_for(org.ae)
    page = client.get("/settings/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "E-mail notifications are off" in html and "alex@example.com" in html
    assert (
        'value="handoff_received" checked' in html.replace('id="pref_email_groups_0" ', "")
        or "checked" in html
    )

    r = client.post(
        "/settings/notifications/", {"email_groups": ["sla", "escalations"], "language": "zh-hans"}
    )
    assert r.status_code == 302 and r["Location"] == "/settings/notifications/"
    assert NotificationPreference.objects.get(user=org.ae).email_groups == ["sla", "escalations"]
    org.ae.refresh_from_db()
    assert org.ae.language == "zh-hans"
    page = client.get("/settings/notifications/").content.decode()
    assert "通知设置" in page and "通知设置已保存。" in page and "邮件通知已关闭" in page


def test_bad_preferences_show_the_form_again(org):
    client = client_for(org.ae)
    r = client.post("/settings/notifications/", {"email_groups": ["nonsense"], "language": "en"})
    assert r.status_code == 422 and "Please correct the fields marked below." in r.content.decode()
    assert not NotificationPreference.objects.exists()


def test_the_notification_list_links_to_the_preferences(org):
    assert "/settings/notifications/" in client_for(org.sdr).get("/notifications/").content.decode()


def test_webhook_pages_are_for_admins(org):
    for user in (org.sdr, org.ae, org.director):
        client = client_for(user)
        assert client.get("/settings/webhooks/").status_code == 403
        assert client.post("/settings/webhooks/new/", {"name": "x"}).status_code == 403
    page = client_for(org.admin).get("/settings/webhooks/")
    assert page.status_code == 200 and "No webhook endpoints yet." in page.content.decode()
    assert 'href="/settings/webhooks/"' in page.content.decode()  # in the admin's navigation


def test_create_shows_the_secret_once_then_test_and_redeliver(org, receiver, frozen):
    client = client_for(org.admin)
    r = client.post("/settings/webhooks/new/", {"name": "CRM", "url": receiver.url, "events": ["handoff_received"],
                                                "active": "on"})  # fmt: skip
    endpoint = WebhookEndpoint.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/settings/webhooks/{endpoint.pk}/"
    first = client.get(r["Location"]).content.decode()
    assert 'data-testid="secret-once"' in first and endpoint.secret in first
    again = client.get(r["Location"]).content.decode()
    assert 'data-testid="secret-once"' not in again and endpoint.secret not in again
    assert endpoint.secret_hint in again

    r = client.post(f"/settings/webhooks/{endpoint.pk}/test/", **HTMX)
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="deliveries"' in html and 'data-status="delivered"' in html and "Test event delivered." in html
    ping = OutboxMessage.objects.get()
    receiver.script.append((500, b"nope"))
    r = client.post(f"/settings/webhooks/deliveries/{ping.pk}/redeliver/", **HTMX)
    assert r.status_code == 200 and 'data-status="failed"' in r.content.decode()  # a test event is tried once
    assert "Redelivery failed: HTTP 500" in r.content.decode()
    assert len(receiver.requests) == 2

    listing = client.get("/settings/webhooks/").content.decode()
    assert "CRM" in listing and receiver.url in listing


def test_a_refused_url_is_shown_on_the_field(org, settings):
    settings.BATON = {**settings.BATON, "WEBHOOK_ALLOW_PRIVATE": False}
    r = client_for(org.admin).post("/settings/webhooks/new/", {"name": "CRM", "url": "http://127.0.0.1:9/x",
                                                                "events": ["*"]})  # fmt: skip
    assert r.status_code == 422
    html = r.content.decode()
    assert "private" in html and 'class="field-error"' in html
    assert not WebhookEndpoint.objects.exists()


def test_edit_rotate_and_delete(org, receiver, frozen):
    client = client_for(org.admin)
    client.post(
        "/settings/webhooks/new/", {"name": "CRM", "url": receiver.url, "events": ["*"], "active": "on"}
    )
    endpoint = WebhookEndpoint.objects.get()
    old = endpoint.secret
    client.get(f"/settings/webhooks/{endpoint.pk}/")  # the secret is shown (and dropped from the session)
    r = client.post(f"/settings/webhooks/{endpoint.pk}/", {"name": "CRM 2", "url": receiver.url,
                                                           "events": ["sla_escalated", "sla_breached"]})  # fmt: skip
    assert r.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.events, endpoint.active) == (
        "CRM 2",
        ["sla_escalated", "sla_breached"],
        False,
    )

    r = client.post(f"/settings/webhooks/{endpoint.pk}/rotate/")
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.secret in client.get(r["Location"]).content.decode()

    assert client.post(f"/settings/webhooks/{endpoint.pk}/delete/").status_code == 302
    assert not WebhookEndpoint.objects.exists()
    assert client.get(f"/settings/webhooks/{endpoint.pk}/").status_code == 404
