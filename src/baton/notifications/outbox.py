"""Delivering the outbox: e-mails and webhook calls, outside any request or transaction.

``outbox_deliver(at)`` takes the messages due at ``at`` in small batches. Each batch is claimed in a
short transaction (PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED``, so parallel workers take different
rows; SQLite: the write transaction serialises workers): its attempt count goes up and its next attempt
moves a lease ahead, so a worker that dies mid-send leaves the message to be retried, never lost. The
sends happen with no transaction open (one SMTP connection and one HTTP client per batch); the outcomes
are written back in one transaction per batch: the messages updated in one statement, one delivery-log
row per attempt. Retries follow ``baton.core.outbox`` (1 min, 5 min, 30 min, 2 h, then failed).
"""

import contextlib
import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F

from baton import clock
from baton.core import outbox as rules
from baton.dbutil import rows_insert, rows_update
from baton.notifications import email, webhooks
from baton.notifications.models import DeliveryAttempt, OutboxMessage

log = logging.getLogger(__name__)

BATCH = 50
LEASE = timedelta(minutes=10)  # a claimed message is due again after this, should its worker die
SWEEP_BUDGET_SECONDS = 20.0
DEFERRED = "deferred"  # not tried: its endpoint did not answer an earlier request of the same batch


def _claim(at: datetime, *, ids: Iterable[int] | None = None, limit: int = BATCH) -> list[OutboxMessage]:
    with transaction.atomic():
        qs = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
        qs = qs.filter(pk__in=list(ids)) if ids is not None else qs.filter(next_attempt_at__lte=at)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        claimed = list(qs.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
        if not claimed:
            return []
        OutboxMessage.objects.filter(pk__in=claimed).update(
            attempts=F("attempts") + 1, next_attempt_at=at + LEASE, last_attempt_at=at
        )
    return list(
        OutboxMessage.objects.filter(pk__in=claimed)
        .select_related("user__team", "endpoint")
        .order_by("next_attempt_at", "id")
    )


def _send_emails(batch: list[OutboxMessage]) -> dict[int, webhooks.Attempt]:
    results: dict[int, webhooks.Attempt] = {}
    if not batch:
        return results
    if not email.email_enabled():
        error = "e-mail is not configured (BATON_SMTP_HOST is unset); the message was not sent"
        return {m.pk: webhooks.Attempt(rules.FAILED, error=error) for m in batch}
    from baton.leads.models import Lead

    lead_ids = {m.payload.get("lead_id") for m in batch} - {None}
    leads = Lead.objects.only("name", "company").in_bulk(lead_ids) if lead_ids else {}
    mails = {}
    for m in batch:
        user = m.user
        if user is None or not user.is_active:
            results[m.pk] = webhooks.Attempt(
                rules.FAILED, error="the recipient's account is gone or inactive"
            )
            continue
        try:
            mails[m.pk] = email.email_build(m, user, leads.get(m.payload.get("lead_id")))
        except Exception as exc:  # a template bug must not block the rest of the outbox
            log.exception("rendering e-mail %s failed", m.delivery_id)
            results[m.pk] = webhooks.Attempt(rules.FAILED, error=email.error_text(exc))
    if not mails:
        return results
    conn = email.smtp_connection()
    try:
        conn.open()
    except Exception as exc:  # the server is down, refuses us, or the login fails
        error = email.error_text(exc)
        return results | {pk: webhooks.Attempt(rules.RETRY, error=error) for pk in mails}
    try:
        for pk, mail in mails.items():
            try:
                sent = conn.send_messages([mail])
            except Exception as exc:  # SMTP errors, a dropped connection
                outcome = rules.FAILED if email.permanent(exc) else rules.RETRY
                results[pk] = webhooks.Attempt(outcome, error=email.error_text(exc))
                if outcome == rules.RETRY:
                    # The connection may be unusable now: reopen it for the next message.
                    with contextlib.suppress(Exception):
                        conn.close()
                    try:
                        conn.open()
                    except Exception as reopen:
                        error = email.error_text(reopen)
                        for rest in mails:
                            results.setdefault(rest, webhooks.Attempt(rules.RETRY, error=error))
                        break
                continue
            results[pk] = (
                webhooks.Attempt(rules.DELIVERED)
                if sent
                else webhooks.Attempt(rules.RETRY, error="the SMTP server accepted no recipient")
            )
    finally:
        with contextlib.suppress(Exception):  # closing a broken connection
            conn.close()
    return results


def _send_webhooks(batch: list[OutboxMessage]) -> dict[int, webhooks.Attempt]:
    results: dict[int, webhooks.Attempt] = {}
    if not batch:
        return results
    unreachable: set[int] = set()  # endpoints that did not answer in this batch
    with webhooks.client() as client:
        for m in batch:
            endpoint = m.endpoint
            if endpoint is None:
                results[m.pk] = webhooks.Attempt(rules.FAILED, error="the endpoint was deleted")
                continue
            if not endpoint.active and m.event != "ping":
                results[m.pk] = webhooks.Attempt(rules.FAILED, error="the endpoint is inactive")
                continue
            if endpoint.pk in unreachable:
                # One timeout per endpoint and batch: the rest wait, untried and uncounted.
                results[m.pk] = webhooks.Attempt(DEFERRED)
                continue
            # The signature's timestamp is the real time of sending: receivers check it against their clock.
            r = results[m.pk] = webhooks.post(
                client, url=endpoint.url, secret=endpoint.secret, event=m.event, delivery_id=m.delivery_id,
                body=m.body, timestamp=int(clock.now().timestamp()),
            )  # fmt: skip
            if r.result == rules.RETRY and r.status_code is None:
                unreachable.add(endpoint.pk)
    return results


def _record(batch: list[OutboxMessage], results: dict[int, webhooks.Attempt], at: datetime) -> dict:
    counts = _counts()
    attempts = []
    for m in batch:
        r = results[m.pk]
        result = r.result
        if result == DEFERRED:
            m.attempts -= 1
            m.next_attempt_at = rules.next_attempt_at(1, at)
            counts["deferred"] += 1
            continue
        if result == rules.DELIVERED:
            m.status, m.delivered_at, m.next_attempt_at, m.last_error = (
                OutboxMessage.Status.DELIVERED,
                at,
                None,
                "",
            )
            counts["delivered"] += 1
        else:
            # A test event is tried once: the person who sent it is looking at the result.
            outcome = rules.FAILED if m.event == "ping" else result
            status, when = rules.after_failure(outcome, m.attempts, at)
            m.status, m.next_attempt_at, m.last_error = status, when, r.error
            if status == OutboxMessage.Status.PENDING:
                result = rules.RETRY
                counts["retried"] += 1
            else:
                result = rules.FAILED
                counts["failed"] += 1
        attempts.append(
            DeliveryAttempt(
                message_id=m.pk, number=m.attempts, attempted_at=at, result=result, status_code=r.status_code,
                duration_ms=r.duration_ms, response_excerpt=r.response_excerpt, error=r.error,
            )
        )  # fmt: skip
        if result != rules.DELIVERED:
            log.warning("outbox %s %s to %s: attempt %s %s: %s", m.channel, m.delivery_id,
                        m.endpoint_id or m.user_id, m.attempts, result, r.error)  # fmt: skip
    with transaction.atomic():
        rows_update(
            OutboxMessage, batch, ["status", "attempts", "next_attempt_at", "delivered_at", "last_error"]
        )
        rows_insert(DeliveryAttempt, attempts)
    return counts


def _deliver(batch: list[OutboxMessage], at: datetime) -> dict:
    results = _send_emails([m for m in batch if m.channel == OutboxMessage.Channel.EMAIL])
    results |= _send_webhooks([m for m in batch if m.channel == OutboxMessage.Channel.WEBHOOK])
    return _record(batch, results, at)


def _counts() -> dict:
    return {"delivered": 0, "retried": 0, "failed": 0, "deferred": 0}


def outbox_deliver(at: datetime | None = None, *, limit: int = 1000, budget: float | None = None) -> dict:
    """Send every outbox message due at ``at`` (default: now), up to ``limit`` messages and, with
    ``budget``, no new batch after that many seconds; count the outcomes.

    ``baton notify deliver [--at ISO]`` calls this; the worker's sweep calls ``outbox_sweep``.
    """
    at = at or clock.now()
    totals = _counts()
    done = 0
    stop = time.monotonic() + budget if budget is not None else None
    while done < limit and (stop is None or time.monotonic() < stop):
        batch = _claim(at, limit=min(BATCH, limit - done))
        if not batch:
            break
        done += len(batch)
        for key, n in _deliver(batch, at).items():
            totals[key] += n
    return totals


def outbox_sweep(at: datetime) -> dict:
    """The worker's step: deliver what is due, for at most about 20 seconds (the other sweeps wait for
    it), never raising (a failure is logged; the messages stay in the outbox for the next sweep)."""
    try:
        return outbox_deliver(at, limit=2000, budget=SWEEP_BUDGET_SECONDS)
    except Exception:
        log.exception("outbox delivery failed")
        return {"error": "outbox delivery failed; see the log"}


def outbox_deliver_now(ids: Iterable[int], at: datetime | None = None) -> dict:
    """Send these pending messages at once, whether due or not (a test event, a redelivery)."""
    at = at or clock.now()
    batch = _claim(at, ids=ids, limit=BATCH)
    return _deliver(batch, at) if batch else _counts()
