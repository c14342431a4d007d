"""Django's SQLite backend with a fair queue for writers.

SQLite admits one writer at a time. A connection that finds the write lock taken waits in SQLite's busy
handler, which sleeps and polls (1, 2, 5, 10, … up to 100 ms between tries): it learns late that the lock
is free, and under a steady stream of writes it can lose the race again and again. That, not the work,
made the slowest writes take 100–400 ms under four concurrent clients (`baton bench capture`).

Here a writer first takes an exclusive ``flock`` on a file beside the database and keeps it until its
transaction ends. The kernel wakes a waiter the moment the lock is released, in any process or thread
(each wait has its own open file). The queue only orders writers that would otherwise wait for SQLite's
own lock: SQLite's locking still decides what is safe, and a writer that does not queue (another
program, the ``sqlite3`` shell, a wait given up) is waited for by the busy handler as before.

Who queues: every transaction (``atomic`` starts ``BEGIN IMMEDIATE``, which takes SQLite's write lock at
once), and every INSERT, UPDATE, DELETE or REPLACE run outside one (autocommit). A wait lasts at most
the database's ``timeout`` option; then the writer goes on without its turn and SQLite's busy handler
applies that timeout once more, so a writer stuck in a transaction can never hang the others for ever.
"""

import fcntl
import os
import threading

from django.db.backends.sqlite3 import base
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._queue_fd: int | None = None  # open while this connection holds the writers' turn
        self._queue_timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))

    def queue_enter(self) -> bool:
        """Wait for this connection's turn to write; False if it had it already, or gave up waiting."""
        if self._queue_fd is not None or self.is_in_memory_db():
            return False
        fd = os.open(f"{self.settings_dict['NAME']}-writers", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not _wait(fd, self._queue_timeout):
                return False  # the waiting thread closes fd
        except BaseException:
            os.close(fd)
            raise
        self._queue_fd = fd
        return True

    def queue_leave(self) -> None:
        fd, self._queue_fd = self._queue_fd, None
        if fd is not None:
            os.close(fd)  # releases the lock

    # --- where transactions start and end ---------------------------------------------------------------

    def _start_transaction_under_autocommit(self):
        self.queue_enter()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self.queue_leave()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self.queue_leave()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self.queue_leave()

    def _close(self):
        try:
            return super()._close()
        finally:
            self.queue_leave()

    # --- single writes outside a transaction ------------------------------------------------------------

    def make_cursor(self, cursor):
        return _Cursor(cursor, self)

    def make_debug_cursor(self, cursor):
        return _DebugCursor(cursor, self)


def _wait(fd: int, timeout: float) -> bool:
    """Block on the lock of ``fd`` for at most ``timeout`` seconds. The blocking call runs in a helper
    thread (a flock wait cannot time out); if the caller stops waiting first, the helper releases the
    lock as soon as it gets it. Either way ``fd`` belongs to the helper unless this returns True."""
    got = threading.Event()
    decided = threading.Lock()
    gave_up = False

    def block() -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            os.close(fd)
            return
        with decided:
            if gave_up:
                os.close(fd)
            else:
                got.set()

    threading.Thread(target=block, daemon=True, name="baton-sqlite-writers").start()
    if got.wait(timeout):
        return True
    with decided:
        gave_up = not got.is_set()
        return not gave_up


class _Queued:
    """Cursor mixin: a write in autocommit mode waits for its turn."""

    def execute(self, sql, params=None):
        if self.db.autocommit and sql.lstrip()[:6].upper() in _WRITES and self.db.queue_enter():
            try:
                return super().execute(sql, params)
            finally:
                self.db.queue_leave()
        return super().execute(sql, params)

    def executemany(self, sql, param_list):
        if self.db.autocommit and sql.lstrip()[:6].upper() in _WRITES and self.db.queue_enter():
            try:
                return super().executemany(sql, param_list)
            finally:
                self.db.queue_leave()
        return super().executemany(sql, param_list)


class _Cursor(_Queued, CursorWrapper):
    pass


class _DebugCursor(_Queued, CursorDebugWrapper):
    pass
