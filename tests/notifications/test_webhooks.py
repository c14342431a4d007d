"""The webhook channel against a real HTTP server on loopback: signed requests, retries with back-off on a
frozen clock, 4xx without retry, timeouts, the delivery log, test events, redeliveries, refused URLs."""

import json
import logging
from datetime import timedelta

import pytest

from baton import clock
from baton.core.errors import InvalidInput, NotAllowed
from baton.core.signing import signature_valid
from baton.notifications import services
from baton.notifications.models import DeliveryAttempt, OutboxMessage, WebhookEndpoint
from baton.notifications.outbox import LEASE, _claim, outbox_deliver
from baton.notifications.services import NotificationRequest, notification_send, notifications_send
from baton.org.models import AuditLog

from .conftest import T0, free_port

pytestmark = pytest.mark.django_db

TS0 = int(T0.timestamp())
PARAMS = {"sdr": "Sam SDR", "lead": "张伟 (示例科技)", "due": "2026-11-25 09:00 UTC"}


@pytest.fixture
def hook(org, receiver, frozen):
    endpoint, secret = services.webhook_create(
        org.admin, name="CRM", url=receiver.url, events=["handoff_received"]
    )
    return endpoint, secret


def webhook_messages():
    return OutboxMessage.objects.filter(channel="webhook").order_by("id")


def test_an_event_is_posted_signed_with_the_documented_headers(org, receiver, hook):
    endpoint, secret = hook
    note = notification_send(org.ae, "handoff_received", PARAMS, link="/inbox/7/")
    notification_send(org.sdr, "lead_assigned", {"lead": "x", "source": "web"})  # not subscribed
    [message] = webhook_messages()
    assert receiver.requests == []  # queued, not sent, inside the transaction

    assert outbox_deliver(T0) == {"delivered": 1, "retried": 0, "failed": 0, "deferred": 0}
    [request] = receiver.requests
    h = request.headers
    assert request.path == "/hooks/baton"
    assert h["content-type"] == "application/json; charset=utf-8"
    assert h["x-baton-event"] == "handoff_received"
    assert h["x-baton-delivery"] == message.delivery_id
    assert h["x-baton-timestamp"] == str(TS0)
    assert h["x-baton-signature"].startswith("sha256=")
    assert signature_valid(secret, h["x-baton-timestamp"], request.body, h["x-baton-signature"], now=T0)
    assert not signature_valid(
        "another secret", h["x-baton-timestamp"], request.body, h["x-baton-signature"], now=T0
    )
    body = json.loads(request.body)
    assert body == {
        "id": message.delivery_id, "event": "handoff_received", "occurred_at": T0.isoformat(),
        "notification_id": note.pk, "recipient": {"id": org.ae.pk, "username": "alex", "name": "Alex AE"},
        "lead_id": None, "link": "http://localhost:8000/inbox/7/",
        "message": "Sam SDR handed off 张伟 (示例科技) to you; accept or reject by 2026-11-25 09:00 UTC",
        "params": PARAMS,
    }  # fmt: skip
    message.refresh_from_db()
    assert (message.status, message.attempts, message.delivered_at, message.next_attempt_at) == (
        "delivered",
        1,
        T0,
        None,
    )
    [attempt] = DeliveryAttempt.objects.all()
    assert (attempt.result, attempt.status_code, attempt.response_excerpt) == (
        "delivered",
        200,
        '{"ok":true}',
    )
    assert attempt.duration_ms >= 0 and attempt.attempted_at == T0


def test_a_500_is_retried_after_a_minute_then_delivered(org, receiver, hook):
    endpoint, secret = hook
    receiver.script.append((500, b"database exploded"))
    notification_send(org.ae, "handoff_received", PARAMS)
    assert outbox_deliver(T0) == {"delivered": 0, "retried": 1, "failed": 0, "deferred": 0}
    message = webhook_messages().get()
    assert (message.status, message.attempts, message.next_attempt_at) == (
        "pending",
        1,
        T0 + timedelta(minutes=1),
    )
    assert message.last_error == "HTTP 500"
    assert outbox_deliver(T0 + timedelta(seconds=59))["delivered"] == 0  # not due yet
    assert len(receiver.requests) == 1

    with clock.travel_to(T0 + timedelta(minutes=1)):
        assert outbox_deliver(T0 + timedelta(minutes=1))["delivered"] == 1
    first, second = receiver.requests
    assert (
        first.body == second.body and first.headers["x-baton-delivery"] == second.headers["x-baton-delivery"]
    )
    assert second.headers["x-baton-timestamp"] == str(TS0 + 60)
    assert signature_valid(secret, second.headers["x-baton-timestamp"], second.body,
                           second.headers["x-baton-signature"], now=T0 + timedelta(minutes=1))  # fmt: skip
    log = list(DeliveryAttempt.objects.order_by("number").values_list("number", "result", "status_code", "response_excerpt",
                                                                        "attempted_at"))  # fmt: skip
    assert log == [
        (1, "retry", 500, "database exploded", T0),
        (2, "delivered", 200, '{"ok":true}', T0 + timedelta(minutes=1)),
    ]


def test_server_errors_back_off_1_5_30_120_minutes_then_fail(org, receiver, hook):
    receiver.script.extend([(503, b"")] * 5)
    notification_send(org.ae, "handoff_received", PARAMS)
    at, schedule = T0, []
    for _ in range(5):
        outbox_deliver(at)
        message = webhook_messages().get()
        schedule.append((message.status, message.next_attempt_at))
        at = message.next_attempt_at or at
    assert schedule == [("pending", T0 + timedelta(minutes=m)) for m in (1, 6, 36, 156)] + [("failed", None)]
    assert len(receiver.requests) == 5 and DeliveryAttempt.objects.count() == 5
    assert list(DeliveryAttempt.objects.order_by("number").values_list("result", flat=True)) == [
        "retry"
    ] * 4 + ["failed"]


@pytest.mark.parametrize(("status", "retried"), [(400, False), (401, False), (404, False), (410, False),
                                                 (408, True), (429, True), (301, False)])  # fmt: skip
def test_4xx_fails_without_retry_except_408_and_429(org, receiver, hook, status, retried):
    receiver.script.append((status, b"nope"))
    notification_send(org.ae, "handoff_received", PARAMS)
    outcome = outbox_deliver(T0)
    message = webhook_messages().get()
    if retried:
        assert outcome["retried"] == 1 and message.status == "pending"
    else:
        assert outcome["failed"] == 1 and message.status == "failed" and message.next_attempt_at is None
    assert message.last_error.startswith(f"HTTP {status}")
    assert DeliveryAttempt.objects.get().status_code == status


def test_a_timeout_is_retried(org, receiver, hook, settings):
    settings.BATON = {**settings.BATON, "WEBHOOK_TIMEOUT": 0.3}
    receiver.script.append("hang")
    notification_send(org.ae, "handoff_received", PARAMS)
    assert outbox_deliver(T0)["retried"] == 1
    receiver.release.set()
    message = webhook_messages().get()
    assert "timed out after 0.3 s" in message.last_error
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code is None and attempt.result == "retry" and attempt.duration_ms >= 250


def test_a_refused_connection_is_retried(org, allow_private, frozen):
    endpoint, _secret = services.webhook_create(org.admin, name="Down", url=f"http://127.0.0.1:{free_port()}/x",
                                                events=["*"])  # fmt: skip
    notification_send(org.ae, "handoff_received", PARAMS)
    assert outbox_deliver(T0)["retried"] == 1
    message = webhook_messages().get()
    assert "ConnectError" in message.last_error and message.next_attempt_at == T0 + timedelta(minutes=1)


def test_the_response_excerpt_is_truncated(org, receiver, hook):
    receiver.script.append((502, b"x" * 50_000))
    notification_send(org.ae, "handoff_received", PARAMS)
    outbox_deliver(T0)
    assert len(DeliveryAttempt.objects.get().response_excerpt) == 1000


def test_subscriptions_wildcards_and_inactive_endpoints(org, receiver, hook, frozen):
    endpoint, _secret = hook
    everything, _ = services.webhook_create(
        org.admin, name="All", url=receiver.url, events=["*", "handoff_received"]
    )
    assert everything.events == ["*"]
    notifications_send([NotificationRequest(org.ae, "handoff_received", PARAMS),
                        NotificationRequest(org.sdr, "lead_assigned", {"lead": "x", "source": "web"})])  # fmt: skip
    assert sorted(webhook_messages().values_list("endpoint__name", "event")) == [
        ("All", "handoff_received"), ("All", "lead_assigned"), ("CRM", "handoff_received")]  # fmt: skip
    services.webhook_update(org.admin, endpoint, active=False)
    notification_send(org.ae, "handoff_received", PARAMS)
    assert webhook_messages().filter(endpoint=endpoint).count() == 1  # nothing new for the inactive one
    assert outbox_deliver(T0) == {
        "delivered": 3,
        "retried": 0,
        "failed": 1,
        "deferred": 0,
    }  # queued before: "inactive"
    assert webhook_messages().get(endpoint=endpoint).last_error == "the endpoint is inactive"


def test_a_test_event_is_sent_now_and_once(org, receiver, hook):
    endpoint, secret = hook
    delivery = services.webhook_test(org.admin, endpoint)
    assert delivery.status == "delivered" and delivery.event == "ping"
    [request] = receiver.requests
    assert request.headers["x-baton-event"] == "ping"
    assert signature_valid(secret, request.headers["x-baton-timestamp"], request.body,
                           request.headers["x-baton-signature"], now=T0)  # fmt: skip
    assert json.loads(request.body)["endpoint"] == {"id": endpoint.pk, "name": "CRM"}

    receiver.script.append((500, b"down"))
    failed = services.webhook_test(org.admin, endpoint)
    assert (failed.status, failed.attempts, failed.next_attempt_at) == ("failed", 1, None)  # not retried


def test_redelivery_is_a_new_delivery_of_the_same_event(org, receiver, hook):
    endpoint, secret = hook
    receiver.script.append((404, b"no such hook"))
    note = notification_send(org.ae, "handoff_received", PARAMS)
    outbox_deliver(T0)
    original = webhook_messages().get()
    assert original.status == "failed"

    copy = services.delivery_redeliver(org.admin, original)
    assert copy.status == "delivered" and copy.redelivery_of_id == original.pk
    assert copy.delivery_id != original.delivery_id
    body = receiver.json()
    assert body["id"] == copy.delivery_id and body["redelivery_of"] == original.delivery_id
    assert body["notification_id"] == note.pk
    assert receiver.requests[-1].headers["x-baton-delivery"] == copy.delivery_id

    receiver.script.append((500, b""))
    retrying = services.delivery_redeliver(org.admin, copy)
    assert retrying.status == "pending"
    with pytest.raises(InvalidInput, match="still pending"):
        services.delivery_redeliver(org.admin, retrying)


def test_a_claimed_message_waits_for_its_lease(org, receiver, hook):
    notification_send(org.ae, "handoff_received", PARAMS)
    [claimed] = _claim(T0)
    assert claimed.attempts == 1 and claimed.next_attempt_at == T0 + LEASE
    assert _claim(T0) == []  # another worker does not take it
    assert _claim(T0 + LEASE)  # a worker that died leaves it for the next one


# --- Configuration: URLs, events, permissions, secrets -----------------------------------------------


def test_private_and_loopback_urls_are_refused_unless_allowed(org, settings, frozen):
    settings.BATON = {**settings.BATON, "WEBHOOK_ALLOW_PRIVATE": False}
    for url in ("http://127.0.0.1:8080/x", "http://localhost/x", "https://10.0.0.5/x", "http://[::1]/x",
                "http://169.254.169.254/latest/meta-data"):  # fmt: skip
        with pytest.raises(InvalidInput, match="private") as exc:
            services.webhook_create(org.admin, name="x", url=url, events=["*"])
        assert "url" in exc.value.details["fields"]
    with pytest.raises(InvalidInput, match="does not resolve"):
        services.webhook_create(org.admin, name="x", url="https://no-such-host.invalid/x", events=["*"])
    assert not WebhookEndpoint.objects.exists()


def test_an_endpoint_that_turns_private_is_not_called(org, receiver, hook, settings):
    notification_send(org.ae, "handoff_received", PARAMS)
    settings.BATON = {**settings.BATON, "WEBHOOK_ALLOW_PRIVATE": False}
    assert outbox_deliver(T0)["failed"] == 1
    assert receiver.requests == []
    assert "private" in webhook_messages().get().last_error


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"url": "ftp://example.com/x"}, "only http and https"), ({"url": "not a url"}, "spaces"),
     ({"url": "https://u:p@example.com/"}, "user name or password"), ({"events": ["no_such_verb"]}, "unknown event"),
     ({"events": []}, "at least one event"), ({"events": "handoff_received"}, "a list"), ({"name": "  "}, "name")],
)  # fmt: skip
def test_bad_input_is_refused_whole(org, allow_private, frozen, fields, message):
    args = {"name": "CRM", "url": "http://127.0.0.1:9/x", "events": ["handoff_received"], **fields}
    with pytest.raises(InvalidInput, match=message):
        services.webhook_create(org.admin, **args)
    assert not WebhookEndpoint.objects.exists() and not AuditLog.objects.exists()


def test_only_admins_manage_webhooks(org, hook):
    endpoint, _ = hook
    for user in (org.sdr, org.ae, org.director, org.marketer):
        with pytest.raises(NotAllowed):
            services.webhook_create(user, name="x", url="http://127.0.0.1:9/", events=["*"])
        with pytest.raises(NotAllowed):
            services.webhook_test(user, endpoint)


def test_the_secret_is_generated_shown_once_and_never_logged(org, receiver, frozen, caplog):
    with caplog.at_level(logging.DEBUG):
        endpoint, secret = services.webhook_create(org.admin, name="CRM", url=receiver.url, events=["*"])
        receiver.script.append((500, b""))
        notification_send(org.ae, "handoff_received", PARAMS)
        outbox_deliver(T0)
        rotated = services.webhook_rotate_secret(org.admin, endpoint)
    assert secret.startswith("whsec_") and len(secret) > 40 and rotated != secret
    assert endpoint.secret_hint == rotated[:10] + "…"
    audit = json.dumps(list(AuditLog.objects.values_list("data", flat=True)))
    for value in (secret, rotated):
        assert value not in caplog.text and value not in audit
        assert not DeliveryAttempt.objects.filter(error__contains=value).exists()
    # The next retry is signed with the new secret.
    with clock.travel_to(T0 + timedelta(minutes=1)):
        outbox_deliver(T0 + timedelta(minutes=1))
    last = receiver.requests[-1]
    assert signature_valid(rotated, last.headers["x-baton-timestamp"], last.body, last.headers["x-baton-signature"],
                           now=T0 + timedelta(minutes=1))  # fmt: skip


def test_an_endpoint_that_times_out_is_tried_once_per_batch(org, receiver, hook, settings):
    settings.BATON = {**settings.BATON, "WEBHOOK_TIMEOUT": 0.3}
    receiver.script.append("hang")
    notifications_send([NotificationRequest(org.ae, "handoff_received", PARAMS)] * 3)
    assert outbox_deliver(T0) == {"delivered": 0, "retried": 1, "failed": 0, "deferred": 2}
    receiver.release.set()
    rows = list(webhook_messages().values_list("attempts", "next_attempt_at", "status"))
    assert (
        rows == [(1, T0 + timedelta(minutes=1), "pending")] + [(0, T0 + timedelta(minutes=1), "pending")] * 2
    )
    assert DeliveryAttempt.objects.count() == 1  # the deferred ones were not tried
    assert outbox_deliver(T0 + timedelta(minutes=1))["delivered"] == 3


def test_the_worker_step_delivers_what_is_due(org, receiver, hook):
    from baton.notifications.outbox import outbox_sweep

    notification_send(org.ae, "handoff_received", PARAMS)
    assert outbox_sweep(T0)["delivered"] == 1 and len(receiver.requests) == 1


def test_the_receiver_example_in_the_docs_verifies_a_real_request(org, receiver):
    """The Python snippet of docs/notifications.md, run as written against a request Baton sent (real time)."""
    import re
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "notifications.md").read_text()
    snippet = re.search(r"### Verifying a request.*?```python\n(.*?)```", doc, re.S).group(1)
    namespace: dict = {}
    exec(compile(snippet, "docs/notifications.md", "exec"), namespace)  # noqa: S102
    check = namespace["baton_signature_valid"]

    _endpoint, secret = services.webhook_create(org.admin, name="CRM", url=receiver.url, events=["*"])
    notification_send(org.ae, "handoff_received", PARAMS)
    outbox_deliver()
    [r] = receiver.requests
    h = r.headers
    assert check(secret, h["x-baton-timestamp"], r.body, h["x-baton-signature"])
    assert not check(secret, h["x-baton-timestamp"], r.body + b" ", h["x-baton-signature"])
    assert not check(secret, str(int(h["x-baton-timestamp"]) - 301), r.body, h["x-baton-signature"])
