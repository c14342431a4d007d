"""Parallel outbox workers: every message is sent once; on PostgreSQL a worker skips rows another holds."""

import threading

import pytest
from django.db import connection, transaction

from baton import clock
from baton.notifications import services
from baton.notifications.models import OutboxMessage
from baton.notifications.outbox import _claim, outbox_deliver
from baton.notifications.services import NotificationRequest, notifications_send
from baton.org.services import user_create

from .conftest import T0

WORKERS = 4


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_send_each_message_once(receiver):
    admin = user_create("root", None, roles=["ops_admin"])
    services.webhook_create(admin, name="CRM", url=receiver.url, events=["*"])
    users = [user_create(f"u{i}", None, roles=["ae"]) for i in range(10)]
    with clock.travel_to(T0):
        notifications_send(
            [NotificationRequest(u, "handoff_received", {"n": i}) for i, u in enumerate(users * 6)]
        )
    assert OutboxMessage.objects.count() == 60
    totals, errors = [], []
    barrier = threading.Barrier(WORKERS)

    def worker():
        try:
            barrier.wait()
            with clock.travel_to(T0):
                totals.append(outbox_deliver(T0))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sum(t["delivered"] for t in totals) == 60
    ids = [r.headers["x-baton-delivery"] for r in receiver.requests]
    assert len(ids) == len(set(ids)) == 60
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("delivered", 1)}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_skips_the_rows_another_holds(receiver):
    admin = user_create("root", None, roles=["ops_admin"])
    services.webhook_create(admin, name="CRM", url=receiver.url, events=["*"])
    user = user_create("u", None, roles=["ae"])
    with clock.travel_to(T0):
        notifications_send([NotificationRequest(user, "handoff_received", {"n": i}) for i in range(10)])
    held, claimed, done = threading.Event(), [], threading.Event()

    def holder():
        try:
            with transaction.atomic():
                list(OutboxMessage.objects.select_for_update().order_by("id")[:4])
                held.set()
                done.wait(10)
        finally:
            connection.close()

    t = threading.Thread(target=holder)
    t.start()
    held.wait(10)
    try:
        claimed = _claim(T0, limit=50)  # would block here without SKIP LOCKED
    finally:
        done.set()
        t.join()
    first_four = list(OutboxMessage.objects.order_by("id").values_list("pk", flat=True)[:4])
    assert len(claimed) == 6 and not {m.pk for m in claimed} & set(first_four)
