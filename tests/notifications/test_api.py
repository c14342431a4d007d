"""The API of notification preferences (/api/v1/notifications/preferences) and webhooks (/api/v1/webhooks):
permissions, clear 4xx errors, the secret shown once, deliveries, test events and redeliveries."""

import pytest

from baton.core.signing import signature_valid
from baton.notifications.models import NotificationPreference, WebhookEndpoint
from baton.notifications.outbox import outbox_deliver
from baton.notifications.services import notification_send

from .conftest import T0

pytestmark = pytest.mark.django_db


# --- Preferences ----------------------------------------------------------------------------------


def test_preferences_default_and_say_when_email_is_off(api_as, settings):
    settings.EMAIL_HOST = ""
    r = api_as("ae").get("/notifications/preferences")
    assert r.status_code == 200
    body = r.json()
    assert body["email_groups"] == ["handoff_received", "sla", "escalations"]
    assert body["email_available"] is False and "BATON_SMTP_HOST" in body["email_status"]
    assert body["email_address"] == "alex@example.com" and body["language"] == ""
    assert {g["key"]: g["default"] for g in body["groups"]}["leads"] is False


def test_preferences_can_be_set(api_as, org, smtp):
    api = api_as("ae")
    r = api.put("/notifications/preferences", {"email_groups": ["sla", "leads"], "language": "zh-Hans"})
    assert r.status_code == 200, r.content
    assert r.json()["email_groups"] == ["sla", "leads"] and r.json()["language"] == "zh-hans"
    assert r.json()["email_available"] is True
    org.ae.refresh_from_db()
    assert org.ae.language == "zh-hans"
    assert api.put("/notifications/preferences", {"email_groups": []}).json()["email_groups"] == []


@pytest.mark.parametrize(
    ("payload", "message"),
    [({"email_groups": ["sla", "nonsense"], "language": "en"}, "unknown group(s) 'nonsense'"),
     ({"language": "fr"}, "unknown language 'fr'"), ({}, "give email_groups and/or language"),
     ({"email_groups": "sla"}, "email_groups"), ({"colour": "red"}, "colour")],
)  # fmt: skip
def test_bad_preferences_are_refused_and_nothing_changes(api_as, org, payload, message):
    r = api_as("ae").put("/notifications/preferences", payload)
    assert r.status_code == 422, r.content
    assert r.json()["error"] == "invalid_input" and message in r.json()["detail"]
    org.ae.refresh_from_db()
    assert org.ae.language == "" and not NotificationPreference.objects.exists()


def test_preferences_need_a_token(api_as):
    assert api_as(None).get("/notifications/preferences").status_code == 401


# --- Webhooks -------------------------------------------------------------------------------------


def create(api, url, **fields):
    return api.post("/webhooks", {"name": "CRM", "url": url, "events": ["handoff_received"]} | fields)


def test_webhook_crud_shows_the_secret_once(api_as, receiver):
    api = api_as("admin")
    r = create(api, receiver.url)
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["secret"].startswith("whsec_") and created["secret_hint"] == created["secret"][:10] + "…"
    hook_id = created["id"]
    listed = api.get("/webhooks").json()
    assert [h["id"] for h in listed] == [hook_id] and "secret" not in listed[0]
    assert "secret" not in api.get(f"/webhooks/{hook_id}").json()

    r = api.patch(f"/webhooks/{hook_id}", {"events": ["*"], "active": False, "name": "CRM (paused)"})
    assert r.status_code == 200 and r.json()["events"] == ["*"] and r.json()["active"] is False

    r = api.post(f"/webhooks/{hook_id}/rotate-secret")
    assert r.status_code == 200 and r.json()["secret"] != created["secret"]
    assert WebhookEndpoint.objects.get().secret == r.json()["secret"]

    assert api.delete(f"/webhooks/{hook_id}").status_code == 204
    assert api.get(f"/webhooks/{hook_id}").status_code == 404
    assert api.get("/webhooks").json() == []


def test_webhooks_are_for_ops_admins_only(api_as, org, receiver):
    hook_id = create(api_as("admin"), receiver.url).json()["id"]
    for who in ("sdr", "ae", "director", "marketer"):
        api = api_as(who)
        assert api.get("/webhooks").status_code == 403
        assert create(api, receiver.url).status_code == 403
        assert api.get(f"/webhooks/{hook_id}").status_code == 403
        assert api.post(f"/webhooks/{hook_id}/test").status_code == 403
        assert api.get(f"/webhooks/{hook_id}/deliveries").status_code == 403
    assert api_as(None).get("/webhooks").status_code == 401
    assert api_as("sdr").get("/webhooks").json()["error"] == "forbidden"


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"url": "ftp://example.com/"}, "only http and https"), ({"url": "javascript:alert(1)"}, "only http and https"),
     ({"events": ["handoff_receivd"]}, "unknown event(s) 'handoff_receivd'"), ({"events": []}, "at least one event"),
     ({"name": ""}, "name"), ({"secret": "mine"}, "secret")],
)  # fmt: skip
def test_bad_webhooks_are_refused_clearly(api_as, receiver, fields, message):
    r = api_as("admin").post(
        "/webhooks", {"name": "CRM", "url": receiver.url, "events": ["handoff_received"]} | fields
    )
    assert r.status_code == 422, r.content
    assert r.json()["error"] == "invalid_input" and message in r.json()["detail"]
    assert not WebhookEndpoint.objects.exists()


def test_private_urls_are_refused_in_production(api_as, settings):
    settings.BATON = {**settings.BATON, "WEBHOOK_ALLOW_PRIVATE": False}
    r = create(api_as("admin"), "http://127.0.0.1:8080/hook")
    assert r.status_code == 422 and "private" in r.json()["detail"]
    assert r.json()["fields"] == {"url": r.json()["detail"].removeprefix("url: ")}


def test_a_bad_patch_changes_nothing(api_as, receiver):
    api = api_as("admin")
    hook_id = create(api, receiver.url).json()["id"]
    r = api.patch(f"/webhooks/{hook_id}", {"name": "New name", "url": "gopher://x"})
    assert r.status_code == 422
    assert api.get(f"/webhooks/{hook_id}").json()["name"] == "CRM"


def test_deliveries_test_event_and_redelivery(api_as, org, receiver, frozen):
    api = api_as("admin")
    created = create(api, receiver.url).json()
    hook_id, secret = created["id"], created["secret"]

    r = api.post(f"/webhooks/{hook_id}/test")
    assert r.status_code == 200 and r.json()["status"] == "delivered" and r.json()["event"] == "ping"
    ping = receiver.requests[-1]
    assert signature_valid(secret, ping.headers["x-baton-timestamp"], ping.body, ping.headers["x-baton-signature"],
                           now=T0)  # fmt: skip

    receiver.script.append((500, b"try later"))
    notification_send(org.ae, "handoff_received", {"sdr": "S", "lead": "L", "due": "d"})
    outbox_deliver(T0)
    deliveries = api.get(f"/webhooks/{hook_id}/deliveries").json()
    assert [d["event"] for d in deliveries] == ["handoff_received", "ping"]
    pending = deliveries[0]
    assert pending["status"] == "pending" and pending["attempts"] == 1
    assert pending["log"] == [{"number": 1, "attempted_at": "2026-11-23T09:00:00Z", "result": "retry",
                               "status_code": 500, "duration_ms": pending["log"][0]["duration_ms"],
                               "response_excerpt": "try later", "error": "HTTP 500"}]  # fmt: skip
    assert [d["id"] for d in api.get(f"/webhooks/{hook_id}/deliveries", status="pending").json()] == [
        pending["id"]
    ]

    r = api.post(f"/webhooks/deliveries/{pending['id']}/redeliver")
    assert r.status_code == 422 and r.json()["error"] == "delivery_pending"
    r = api.post(f"/webhooks/deliveries/{deliveries[1]['id']}/redeliver")
    assert r.status_code == 201 and r.json()["redelivery_of"] == deliveries[1]["id"]
    assert r.json()["status"] == "delivered"
    assert api.post("/webhooks/deliveries/no-such-id/redeliver").status_code == 404

    assert api.get(f"/webhooks/{hook_id}/deliveries", status="lost").status_code == 422
    assert api.get(f"/webhooks/{hook_id}/deliveries", limit=0).status_code == 422
    assert api.get("/webhooks/999/deliveries").status_code == 404


def test_the_events_an_endpoint_can_subscribe_to(api_as):
    events = {e["event"]: e["group"] for e in api_as("admin").get("/webhooks/events").json()}
    assert events["handoff_received"] == "handoff_received" and events["sla_escalated"] == "escalations"
    assert events["sla_breached"] == "sla"
