"""`baton bench import --rows N`: the importer against a raw bulk insert of the same rows.

On a fresh database (temporary SQLite folder, or a new database on DATABASE_URL's server) it
generates N realistic leads as a CSV file (a tenth of them people the database already has, a fifth
at companies it already knows, 2% unusable), fills the database with N other leads first, then:

- floor: a raw bulk insert (``executemany`` in one transaction) of the file's N rows into the leads
  table itself, indexes and all, rolled back afterwards — no validation, no matching, no scoring,
  no routing, no timeline;
- import: ``import_leads`` of the file with everything on (normalisation, duplicate matching,
  account matching, scoring, round-robin routing, rejects file).

Prints rows, seconds, leads_per_s, floor_rows_per_s, ratio (= leads_per_s / floor_rows_per_s) and the
import's peak memory: preparing and importing run in separate processes, so the generator's memory is
not counted.
"""

import csv
import itertools
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from baton.bench.capture import _fresh_database

HEADER = ["name", "email", "phone", "company", "title", "industry", "company_size", "city", "source"]
TITLES = [
    "CEO",
    "CTO",
    "销售总监",
    "市场经理",
    "IT Manager",
    "Head of Sales",
    "工程师",
    "VP of Sales",
    "采购经理",
]
INDUSTRIES = ["software", "manufacturing", "retail", "finance", "healthcare", "education", "logistics"]
CITIES = ["上海", "北京", "深圳", "杭州", "成都", "Singapore", "Hong Kong"]
SOURCES = ["seo", "sem", "trial_signup", "webinar_learning", "event_summit", "content_whitepaper", "chat"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def run_import_bench(rows: int) -> dict:
    if rows < 10:
        raise ValueError("--rows must be at least 10")
    with _fresh_database() as env, tempfile.TemporaryDirectory(prefix="baton-bench-import-") as tmp:
        env = {**env, "DJANGO_SETTINGS_MODULE": "baton.settings"}
        prepared = _step(env, "prepare", rows, tmp)
        measured = _step(env, "import", rows, tmp)
    leads_per_s = rows / measured["seconds"]
    return {
        "db": prepared["db"],
        "rows": rows,
        "seconds": round(measured["seconds"], 2),
        "leads_per_s": round(leads_per_s, 1),
        "peak_rss_mb": measured["peak_rss_mb"],
        "floor_rows_per_s": round(prepared["floor_rows_per_s"], 1),
        "ratio": round(leads_per_s / prepared["floor_rows_per_s"], 4),
        "status": measured["status"],
        "imported": measured["imported"],
        "merged": measured["merged"],
        "rejected": measured["rejected"],
        "existing_leads": prepared["existing_leads"],
        **({"error": measured["error"]} if measured["error"] else {}),
    }


def _step(env: dict, step: str, rows: int, folder: str) -> dict:
    """Each step in its own process: the import's peak memory is its own, not the generator's."""
    out = subprocess.run([sys.executable, "-m", "baton.bench.imports", step, str(rows), folder],
                         env=env, capture_output=True, text=True, check=False)  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"the import benchmark failed ({step}):\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _person(r: random.Random, i: int, company: tuple[str, str]) -> list[str]:
    name = r.choice(SURNAMES) + r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.5 else "")
    return [name, f"u{i}@{company[1]}", f"1{r.choice('3589')}{r.randrange(10**9):09d}", company[0],
            r.choice(TITLES), r.choice(INDUSTRIES), str(r.choice([20, 80, 300, 1200, 5000])), r.choice(CITIES),
            r.choice(SOURCES)]  # fmt: skip


def _companies(r: random.Random, n: int, tag: str) -> list[tuple[str, str]]:
    return [(f"{tag}{k}科技有限公司" if k % 2 else f"{tag.upper()} Corp {k} Ltd", f"{tag}{k}.example.cn")
            for k in range(n)]  # fmt: skip


class _RollBack(Exception):
    pass


def _existing(i: int, known: list[tuple[str, str]]) -> list[str]:
    """The i-th lead the database already holds (derived from i: nothing is kept in memory)."""
    r = random.Random(i * 7919 + 1)
    return _person(r, i, known[r.randrange(len(known))])


def _prepare(rows: int, folder: Path) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from baton.dbutil import rows_insert_values
    from baton.leads.models import Lead
    from baton.leads.services import CaptureRequest, leads_capture
    from baton.org.services import team_create, user_create

    call_command("migrate", interactive=False, verbosity=0)
    team = team_create("Inbound", "sdr_inbound")
    for i in range(5):
        user_create(f"sdr{i}", None, roles=["sdr_inbound"], team=team)
    r = random.Random(7)
    known = _companies(r, max(1, rows // 20), "k")
    # The database already holds N leads: the first 2,000 through the capture service (they make the
    # known accounts), the rest as plain rows (the benchmark's set-up, not the thing measured).
    now = timezone.now()
    with transaction.atomic():
        head = [_existing(i, known) for i in range(min(2000, rows))]
        leads_capture([CaptureRequest({**dict(zip(HEADER, row, strict=True)), "company_size": int(row[6])})
                       for row in head])  # fmt: skip
        columns = ("name", "email", "phone", "company", "title", "source", "created_at", "status_changed_at",
                   "routed_at")  # fmt: skip
        for start in range(len(head), rows, 5000):
            batch = [_existing(i, known) for i in range(start, min(rows, start + 5000))]
            rows_insert_values(Lead, columns, [(p[0], p[1], "+86" + p[2], p[3], p[4], p[8], now, now, now)
                                               for p in batch], returning=False)  # fmt: skip
    new_companies = _companies(r, max(1, rows // 8), "n")
    path = folder / "leads.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for i in range(rows):
            x = r.random()
            if x < 0.10:
                row = _existing(r.randrange(rows), known)  # a person Baton already has (same e-mail)
            elif x < 0.12:
                row = _person(r, rows + i, r.choice(new_companies))
                row[1], row[2] = "not-an-email", ""  # unusable: rejected with its reason
            else:
                company = r.choice(known) if x < 0.32 else r.choice(new_companies)
                row = _person(r, rows + i, company)
            w.writerow(row)
    # Floor: the same rows, raw, into the leads table itself (its indexes included), then rolled back.
    # Every other column gets its default (whatever the model gains later), the times a real value.
    from baton.dbutil import db_value

    fixed = {}
    for f in Lead._meta.concrete_fields:
        if f.primary_key or f.attname in HEADER:
            continue
        value = now if f.attname in ("created_at", "status_changed_at") else f.get_default()
        fixed[f.column] = db_value(f)(value)
    cols = [*HEADER, *fixed]
    sql = f"INSERT INTO leads_lead ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"  # noqa: S608
    floor_seconds = 0.0
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        try:
            with transaction.atomic(), connection.cursor() as cur:
                while chunk := [(*row[:6], int(row[6]) if row[6] else None, *row[7:], *fixed.values())
                                for row in itertools.islice(reader, 50_000)]:  # fmt: skip
                    started = time.perf_counter()
                    cur.executemany(sql, chunk)
                    floor_seconds += time.perf_counter() - started
                raise _RollBack
        except _RollBack:
            pass
    return {"db": connection.vendor, "floor_rows_per_s": rows / floor_seconds, "existing_leads": rows}


def _import(folder: Path) -> dict:
    import django

    django.setup()
    from baton.imports.services import import_leads

    started = time.perf_counter()
    job = import_leads(folder / "leads.csv", mapping="baton", assign="route")
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "status": job.status,
        "imported": job.imported,
        "merged": job.merged + job.unchanged,
        "rejected": job.rejected,
        "error": job.error,
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baton.settings")
    step, n, where = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    print(json.dumps(_prepare(n, where) if step == "prepare" else _import(where)))
