"""The SLA sweep over many open clocks: `baton bench route` reports it as sweep_clocks / sweep_seconds.

On a fresh database (temporary SQLite folder, or a new database on DATABASE_URL's server) it writes N
open clocks (speed to lead and acceptance, for 200 people, due from two days ago to two weeks ahead, a
tenth with a reminder due), then times one ``sla_sweep`` as of now — which finds and acts on every
breach and reminder due — in a separate process, beside a floor: one set-based UPDATE marking the same
breaches, rolled back.
"""

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from baton.bench.capture import _fresh_database

PEOPLE = 200
LEADS = 20_000


def run_sweep_bench(clocks: int) -> dict:
    if clocks < 100:
        raise ValueError("--clocks must be at least 100")
    with _fresh_database() as env, tempfile.TemporaryDirectory(prefix="baton-bench-sla-") as tmp:
        env = {**env, "DJANGO_SETTINGS_MODULE": "baton.settings"}
        prepared = _step(env, "prepare", clocks, tmp)
        measured = _step(env, "sweep", clocks, tmp)
    return {**prepared, **measured}


def _step(env: dict, step: str, clocks: int, folder: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "baton.bench.sla", step, str(clocks), folder],
                         env=env, capture_output=True, text=True, check=False)  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"the SLA sweep benchmark failed ({step}):\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _prepare(clocks: int, folder: Path) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from baton.dbutil import chunks, rows_insert_values
    from baton.leads.models import Lead
    from baton.org.services import team_create, user_create
    from baton.sla.models import Clock, Policy

    call_command("migrate", interactive=False, verbosity=0)
    now = timezone.now().replace(microsecond=0)
    r = random.Random(11)
    team = team_create("Sales", "sales")
    boss = user_create("boss", None, roles=["sales_director"], team=team)
    people = [user_create(f"rep{i}", None, roles=["ae"], team=team, manager=boss).pk for i in range(PEOPLE)]
    policies = {p.key: p for p in Policy.objects.all()}
    with transaction.atomic():
        lead_ids = rows_insert_values(Lead, ("name", "email", "created_at", "status_changed_at"),
                                      [(f"L{i}", f"l{i}@x.cn", now, now) for i in range(LEADS)])  # fmt: skip
        columns = (
            "policy_id",
            "lead_id",
            "user_id",
            "state",
            "started_at",
            "due_at",
            "remind_at",
            "reminders_left",
        )
        rows = []
        for i in range(clocks):
            policy = policies["acceptance"] if i % 3 else policies["speed_to_lead"]
            due = now + timedelta(seconds=r.randrange(-2 * 86400, 14 * 86400))
            remind = due - timedelta(hours=6) if r.random() < 0.1 else None
            rows.append((policy.pk, lead_ids[i % LEADS], people[i % PEOPLE], "running", due - timedelta(days=2),
                         due, remind, []))  # fmt: skip
        for part in chunks(rows, 20_000):
            rows_insert_values(Clock, columns, part, returning=False)
    (folder / "now.txt").write_text(now.isoformat())
    table = connection.ops.quote_name(Clock._meta.db_table)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET breached_at = due_at WHERE state = 'running' "  # noqa: S608
                       "AND breached_at IS NULL AND due_at <= %s", [now])  # fmt: skip
        floor_rows = cursor.rowcount
        transaction.set_rollback(True)
    floor_seconds = time.perf_counter() - started
    return {"db": connection.vendor, "sweep_clocks": clocks, "floor_seconds": round(floor_seconds, 3),
            "floor_breaches": floor_rows}  # fmt: skip


def _sweep(folder: Path) -> dict:
    import django

    django.setup()
    from datetime import datetime

    from baton.sla.services import sla_sweep

    at = datetime.fromisoformat((folder / "now.txt").read_text())
    started = time.perf_counter()
    result = sla_sweep(at)
    seconds = time.perf_counter() - started
    return {"sweep_seconds": round(seconds, 3), "breached": result["sla_breached"],
            "reminded": result["sla_reminded"],
            "sweep_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baton.settings")
    step, n, where = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    print(json.dumps(_prepare(n, where) if step == "prepare" else _sweep(where)))
