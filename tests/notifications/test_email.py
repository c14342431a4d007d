"""The e-mail channel against a real SMTP server on loopback: templates in English and 中文, preferences,
the outbox's retries and back-off on a frozen clock, a missing configuration, secrets kept out of logs."""

import logging
from datetime import timedelta

import pytest

from baton import clock
from baton.handoffs.services import handoff_create, qualification_update
from baton.leads.services import lead_capture, touch_log
from baton.notifications import services
from baton.notifications.email import email_channel
from baton.notifications.models import DeliveryAttempt, Notification, OutboxMessage
from baton.notifications.outbox import outbox_deliver
from baton.notifications.services import NotificationRequest, notification_send, notifications_send

from .conftest import SMTP_PASSWORD, T0, free_port, html, plain, subject

pytestmark = pytest.mark.django_db


def local(instant):
    """Due times are shown in the reader's zone (the AE's team is in Shanghai)."""
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo("Asia/Shanghai"))


def hand_off(org):
    lead = lead_capture(
        {"name": "张伟", "email": "zw@corp.cn", "company": "示例科技有限公司", "region": "East"}
    )
    touch_log(lead, org.sdr, channel="call", outcome="connected", duration_seconds=200)
    qualification_update(lead, org.sdr, {"budget": "met", "authority": "met", "need": "met"})
    return handoff_create(lead, org.sdr)


def emails():
    return OutboxMessage.objects.filter(channel="email").order_by("id")


def test_a_handoff_reaches_the_ae_by_email_in_english(org, smtp, frozen):
    handoff = hand_off(org)
    queued = list(emails())
    # Only the handoff: the SDR's "lead assigned" is not in their default e-mail groups.
    assert [(m.event, m.recipient) for m in queued] == [("handoff_received", "alex@example.com")]
    assert smtp.messages == []  # nothing is sent inside the request

    assert outbox_deliver(T0) == {"delivered": 1, "retried": 0, "failed": 0, "deferred": 0}
    [mail] = smtp.messages
    assert smtp.envelopes == [("baton@example.com", ["alex@example.com"])]
    assert (
        subject(mail)
        == f"Handoff: 张伟 (示例科技有限公司), accept or reject by {local(handoff.due_at):%Y-%m-%d %H:%M} CST"
    )
    assert mail["X-Baton-Delivery"] == queued[0].delivery_id
    text = plain(mail)
    assert "Hello Alex AE," in text
    assert "Sam SDR handed off a lead to you." in text
    assert "Lead: 张伟" in text and "Company: 示例科技有限公司" in text and "Handed off by: Sam SDR" in text
    assert f"Accept or reject by: {local(handoff.due_at):%Y-%m-%d %H:%M} CST" in text
    assert f"http://localhost:8000/inbox/{handoff.pk}/" in text
    body = html(mail)
    assert f'href="http://localhost:8000/inbox/{handoff.pk}/"' in body and "示例科技有限公司" in body
    assert 'lang="en"' in body

    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts, message.delivered_at) == ("delivered", 1, T0)
    [attempt] = DeliveryAttempt.objects.all()
    assert (attempt.number, attempt.result, attempt.attempted_at, attempt.error) == (1, "delivered", T0, "")
    assert outbox_deliver(T0 + timedelta(hours=5)) == {
        "delivered": 0,
        "retried": 0,
        "failed": 0,
        "deferred": 0,
    }
    assert len(smtp.messages) == 1


def test_the_email_speaks_the_recipients_language(org, smtp, frozen):
    org.ae.language = "zh-hans"
    org.ae.save()
    handoff = hand_off(org)
    outbox_deliver(T0)
    [mail] = smtp.messages
    assert (
        subject(mail)
        == f"移交：张伟 (示例科技有限公司)，请在 {local(handoff.due_at):%Y-%m-%d %H:%M} CST 前接受或拒绝"
    )
    text = plain(mail)
    assert "Alex AE，你好：" in text
    assert "Sam SDR 向你移交了一条线索。" in text
    assert "公司：示例科技有限公司" in text or "公司: 示例科技有限公司" in text
    assert f"接受或拒绝的截止时间: {local(handoff.due_at):%Y-%m-%d %H:%M} CST" in text
    assert 'lang="zh-Hans"' in html(mail)


POLICY = "Handoff acceptance within 48 business hours"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_sla_and_escalation_emails(org, smtp, frozen, language):
    """With the parameters the SLA engine sends (sla.services): count, policy (its name), due_at / since."""
    org.ae.language = language
    org.ae.save()
    due = "2026-11-25T09:00:00+00:00"  # 17:00 in Shanghai, the AE's team's zone
    lead = lead_capture({"name": "Li Na", "email": "li@corp.cn", "company": "Corp", "region": "East"})
    notifications_send([
        NotificationRequest(org.ae, "sla_reminder", {"count": 1, "policy": POLICY, "due_at": due}, link="/leads/5/"),
        NotificationRequest(org.ae, "sla_breached", {"count": 3, "policy": POLICY, "since": due}, link="/queue/"),
        NotificationRequest(org.ae, "sla_escalated", {"count": 1, "policy": POLICY, "since": due}, lead=lead),
    ])  # fmt: skip
    assert outbox_deliver(T0)["delivered"] == 3
    reminder, breached, escalated = smtp.messages
    if language == "en":
        assert subject(reminder) == f"SLA reminder: {POLICY}, due by 2026-11-25 17:00 CST"
        assert f"A reminder: the {POLICY} SLA for one of your leads is running out." in plain(reminder)
        assert "Due by 2026-11-25 17:00 CST" in plain(reminder)
        assert "http://localhost:8000/leads/5/" in plain(reminder)
        assert subject(breached) == f"SLA breached: {POLICY}"
        assert f"The {POLICY} SLA for 3 of your leads was breached." in plain(breached)
        assert "It was due by 2026-11-25 17:00 CST." in plain(breached)
        assert subject(escalated) == f"Escalated to you: {POLICY} was missed"
        assert f"The {POLICY} SLA for Li Na was missed, so it was escalated to you." in plain(escalated)
    else:
        assert subject(reminder) == f"SLA 提醒：{POLICY}，截止 2026-11-25 17:00 CST"
        assert "2026-11-25 17:00 CST" in plain(reminder) and "即将到期" in plain(reminder)
        assert subject(breached) == f"SLA 已违约：{POLICY}"
        assert "3 条线索" in plain(breached)
        assert "已升级给你" in plain(escalated) and "Li Na" in plain(escalated)
    # The in-app texts read the same parameters.
    assert Notification.objects.get(verb="sla_breached").params["count"] == 3


def test_other_verbs_use_the_generic_template_when_chosen(org, smtp, frozen):
    services.preferences_set(org.sdr, email_groups=["leads", "handoff_decisions"])
    notification_send(org.sdr, "handoff_rejected", {"ae": "Alex AE", "lead": "Li Na (Corp)", "reason": "No budget"},
                      link="/leads/7/")  # fmt: skip
    notification_send(
        org.sdr, "handoff_overdue", {"lead": "X", "ae": "Y", "hours": 48}
    )  # "sla" not chosen any more
    outbox_deliver(T0)
    [mail] = smtp.messages
    assert subject(mail) == "Alex AE rejected your handoff of Li Na (Corp): No budget"
    assert "Alex AE rejected your handoff of Li Na (Corp): No budget" in plain(mail)
    assert "http://localhost:8000/leads/7/" in plain(mail)


def test_no_email_when_the_user_turned_it_off_or_has_no_address(org, smtp, frozen):
    services.preferences_set(org.ae, email_groups=[])
    notification_send(org.ae, "handoff_received", {"sdr": "S", "lead": "L", "due": "soon"})
    notification_send(
        org.marketer, "sla_breached", {"lead": "L", "policy": "x", "due": "d"}
    )  # no e-mail address
    assert Notification.objects.count() == 2
    assert not emails().exists()


def test_without_smtp_configuration_the_channel_is_off_and_says_so(org, settings, frozen):
    settings.EMAIL_HOST = ""
    channel = email_channel()
    assert not channel.enabled and "BATON_SMTP_HOST" in channel.detail
    notification_send(org.ae, "handoff_received", {"sdr": "S", "lead": "L", "due": "soon"})
    assert Notification.objects.count() == 1 and not emails().exists()  # in-app only, nothing crashes


def test_messages_queued_before_smtp_was_removed_fail_clearly(org, smtp, settings, frozen):
    notification_send(org.ae, "handoff_received", {"sdr": "S", "lead": "L", "due": "soon"})
    settings.EMAIL_HOST = ""
    assert outbox_deliver(T0) == {"delivered": 0, "retried": 0, "failed": 1, "deferred": 0}
    message = emails().get()
    assert message.status == "failed" and "not configured" in message.last_error
    assert smtp.messages == []


def test_a_temporary_smtp_failure_is_retried_after_a_minute(org, smtp, frozen):
    smtp.refuse_next = 1
    notification_send(org.ae, "handoff_received", {"sdr": "S", "lead": "L", "due": "soon"})
    assert outbox_deliver(T0) == {"delivered": 0, "retried": 1, "failed": 0, "deferred": 0}
    message = emails().get()
    assert (message.status, message.attempts, message.next_attempt_at) == (
        "pending",
        1,
        T0 + timedelta(minutes=1),
    )
    assert "451" in message.last_error
    assert outbox_deliver(T0 + timedelta(seconds=59))["delivered"] == 0
    assert outbox_deliver(T0 + timedelta(minutes=1))["delivered"] == 1
    assert len(smtp.messages) == 1
    log = list(DeliveryAttempt.objects.order_by("number").values_list("number", "result", "attempted_at"))
    assert log == [(1, "retry", T0), (2, "delivered", T0 + timedelta(minutes=1))]


def test_a_dead_smtp_server_is_retried_with_back_off_then_failed(org, settings, frozen):
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens there
    settings.EMAIL_USE_TLS = False
    notification_send(org.ae, "handoff_received", {"sdr": "S", "lead": "L", "due": "soon"})
    at, seen = T0, []
    for _ in range(5):
        outbox_deliver(at)
        message = emails().get()
        seen.append((message.attempts, message.status, message.next_attempt_at))
        at = message.next_attempt_at or at
    minutes = [1, 6, 36, 156]  # 1, +5, +30, +120
    assert seen == [(i + 1, "pending", T0 + timedelta(minutes=m)) for i, m in enumerate(minutes)] + [
        (5, "failed", None)
    ]
    assert "ConnectionRefusedError" in message.last_error
    assert DeliveryAttempt.objects.count() == 5
    assert outbox_deliver(at + timedelta(days=1))["failed"] == 0  # failed for good


def test_an_smtp_login_failure_never_logs_the_password(org, smtp_with_auth, frozen, caplog):
    notification_send(org.ae, "handoff_received", {"sdr": "S", "lead": "L", "due": "soon"})
    with caplog.at_level(logging.DEBUG):
        assert outbox_deliver(T0)["retried"] == 1
    message = emails().get()
    assert "SMTPAuthenticationError" in message.last_error or "SMTPNotSupportedError" in message.last_error
    texts = [message.last_error, *DeliveryAttempt.objects.values_list("error", flat=True), caplog.text]
    assert all(SMTP_PASSWORD not in t for t in texts)
    assert smtp_with_auth.messages == []


def test_the_fan_out_costs_a_few_queries_per_batch(org, smtp, frozen, django_assert_max_num_queries):
    users = [org.ae, org.sdr, org.director, org.admin, org.marketer]
    requests = [NotificationRequest(u.pk if i % 2 else u, verb, {"lead": f"L{i}", "sdr": "S", "due": "d"})
                for i, u in enumerate(users * 20) for verb in ("handoff_received", "lead_assigned", "sla_breached")]  # fmt: skip
    with django_assert_max_num_queries(8):
        notifications_send(requests)
    assert Notification.objects.count() == 300
    # 4 users with an address x 20 x 2 verbs in their default groups
    assert emails().count() == 160
    with django_assert_max_num_queries(20):
        assert outbox_deliver(T0, limit=50)["delivered"] == 50
    assert len(smtp.messages) == 50


def test_clock_is_the_only_time_source(org, smtp):
    with clock.travel_to(T0 + timedelta(days=3)):
        notification_send(org.ae, "handoff_received", {"sdr": "S", "lead": "L", "due": "soon"})
    message = emails().get()
    assert message.created_at == message.next_attempt_at == T0 + timedelta(days=3)
    assert outbox_deliver(T0)["delivered"] == 0  # not due yet at T0


def test_a_batch_nobody_wants_by_email_costs_no_extra_query(org, smtp, frozen, django_assert_num_queries):
    notification_send(org.sdr, "lead_assigned", {"lead": "L", "source": "web"})  # warms the caches
    with django_assert_num_queries(1):  # the insert
        notifications_send(
            [NotificationRequest(org.sdr, "lead_assigned", {"lead": "L", "source": "web"})] * 10
        )
    services.preferences_set(org.sdr, email_groups=["leads"])  # now someone wants them
    notification_send(org.sdr, "lead_assigned", {"lead": "L", "source": "web"})
    assert emails().count() == 1


def test_a_due_instant_is_shown_in_the_readers_zone(org, smtp, frozen):
    """A handoff notice with a ``due_at`` instant (besides its preformatted UTC ``due``) shows the AE's zone."""
    params = {
        "sdr": "Sam SDR",
        "lead": "L",
        "due": "2026-11-25 09:00 UTC",
        "due_at": "2026-11-25T09:00:00+00:00",
    }
    notification_send(org.ae, "handoff_received", params, link="/inbox/1/")
    outbox_deliver(T0)
    [mail] = smtp.messages
    assert "Accept or reject by: 2026-11-25 17:00 CST" in plain(mail)  # the AE's team is in Shanghai
