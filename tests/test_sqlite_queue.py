"""SQLite's writers queue on a file lock (baton/sqlite/base.py): a writer waits for the open transaction
and goes the moment it ends; a wait that lasts too long is given up, never held for ever."""

import fcntl
import os
import threading
import time

import pytest
from django.db import connection, transaction

from baton import clock
from baton.bench.models import FloorRow


@pytest.fixture
def sqlite_only(db_vendor):
    if db_vendor != "sqlite":
        pytest.skip("the writers' queue is SQLite's")


@pytest.mark.django_db(transaction=True)
def test_a_writer_waits_for_the_open_transaction_and_goes_when_it_commits(sqlite_only):
    holding, done = threading.Event(), {}

    def other_writer() -> None:
        holding.wait()
        try:
            FloorRow.objects.create(payload="second", created_at=clock.now())  # autocommit: queues too
            done["at"] = time.monotonic()
        finally:
            connection.close()

    thread = threading.Thread(target=other_writer)
    thread.start()
    with transaction.atomic():
        FloorRow.objects.create(payload="first", created_at=clock.now())
        holding.set()
        time.sleep(0.3)
        assert "at" not in done  # still waiting for this transaction
        committing = time.monotonic()  # the lock goes at the commit: the other writer may finish at once
    thread.join(timeout=10)
    assert committing <= done["at"] < committing + 1
    assert sorted(FloorRow.objects.values_list("payload", flat=True)) == ["first", "second"]
    assert connection._queue_fd is None  # given back at the commit


def test_a_wait_that_lasts_too_long_is_given_up_and_the_lock_let_go_later(tmp_path):
    from baton.sqlite.base import _wait

    path = tmp_path / "db-writers"
    holder = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)
    waiter = os.open(path, os.O_RDWR)
    started = time.monotonic()
    assert _wait(waiter, 0.2) is False
    assert 0.2 <= time.monotonic() - started < 2
    os.close(holder)  # the helper thread now gets the lock and lets it go at once
    probe = os.open(path, os.O_RDWR)
    deadline = time.monotonic() + 5
    while True:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            assert time.monotonic() < deadline, "the abandoned wait kept the lock"
            time.sleep(0.01)
    os.close(probe)
