"""`baton bench score --rows N`: rescoring every lead after a model change, against a raw update floor.

On a fresh database (temporary SQLite folder, or a new database on DATABASE_URL's server), a first
process writes N leads with realistic fields (English and Chinese titles with their seniority,
industries, company sizes, regions, channels, a budget band on a third of them), about two behaviour
events per lead (e-mail opens and clicks, page visits, downloads, event registrations and attendance,
signups over the last 180 days) and about one touch per lead (replies, calls, meetings, no answers).
Version 1 (today's rules) scored nothing yet: every lead starts unscored. It then activates the
recommended model (seniority, size bands, budget, behaviour with half-lives and caps) without
rescoring, and measures the floor:

- floor: ``executemany`` of ``UPDATE leads_lead SET score, fit_score, engagement_score, grade WHERE id``
  for all N leads, in one transaction, rolled back — the raw cost of touching every lead's score.

A second process times ``scores_recompute`` (what ``baton score recompute`` runs): every lead read,
its behaviour decayed, scored, and written with its snapshot.

Prints rows, seconds, leads_per_s, floor_rows_per_s, ratio (= leads_per_s / floor_rows_per_s), the
recompute's peak memory (its own process), and what it did (changed, snapshots, bands).
"""

import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from baton.bench.capture import _fresh_database

AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # "now" of the data: events are before it
BATCH = 20_000
TITLES = ["CEO", "CTO", "VP of Sales", "销售总监", "市场经理", "IT Manager", "Head of Marketing", "工程师",
          "采购经理", "总经理", "Software Engineer", "Marketing Intern", "技术总监", "Director of IT", "首席执行官",
          "Sales Representative", "副总裁", "产品经理", "Analyst", "运营主管"]  # fmt: skip
INDUSTRIES = ["software", "manufacturing", "retail", "finance", "healthcare", "education", "logistics", "制造",
              "互联网", "金融"]  # fmt: skip
SIZES = [None, 8, 20, 60, 150, 300, 800, 1500, 5000]
REGIONS = ["East", "North", "South", "West", "华东", "华南", ""]
CITIES = ["上海", "北京", "深圳", "杭州", "成都", "Singapore", "Hong Kong"]
SOURCES = [
    "seo",
    "sem",
    "trial_signup",
    "webinar_learning",
    "event_summit",
    "content_whitepaper",
    "chat",
    "hotline",
]
BUDGETS = ["500k+", "100k-500k", "<100k", "50万以上", "10-50万"]
KINDS = ["email_open"] * 6 + ["email_click"] * 3 + ["page_visit"] * 5 + ["content_download"] * 2 + [
    "event_registration", "event_attendance", "signup"]  # fmt: skip
OUTCOMES = [("call", "no_answer", 0), ("call", "connected", 300), ("call", "connected", 40), ("email", "sent", 0),
            ("email", "replied", 0), ("meeting", "held", 1800), ("meeting", "booked", 0)]  # fmt: skip


def run_score_bench(rows: int) -> dict:
    if rows < 10:
        raise ValueError("--rows must be at least 10")
    with _fresh_database() as env:
        env = {**env, "DJANGO_SETTINGS_MODULE": "baton.settings"}
        prepared = _step(env, "prepare", rows)
        measured = _step(env, "recompute", rows)
    leads_per_s = rows / measured["seconds"]
    return {
        "db": prepared["db"],
        "rows": rows,
        "seconds": round(measured["seconds"], 2),
        "leads_per_s": round(leads_per_s, 1),
        "floor_rows_per_s": round(prepared["floor_rows_per_s"], 1),
        "ratio": round(leads_per_s / prepared["floor_rows_per_s"], 4),
        "peak_rss_mb": measured["peak_rss_mb"],
        "changed": measured["changed"],
        "snapshots": measured["snapshots"],
        "bands": measured["bands"],
        "behaviour_events": prepared["behaviour_events"],
        "touches": prepared["touches"],
        "version": measured["version"],
        "prepare_seconds": round(prepared["seconds"], 1),
    }


def _step(env: dict, step: str, rows: int) -> dict:
    """Each step in its own process: the recompute's peak memory is its own, not the generator's."""
    out = subprocess.run([sys.executable, "-m", "baton.bench.score", step, str(rows)],
                         env=env, capture_output=True, text=True, check=False)  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"the score benchmark failed ({step}):\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _prepare(rows: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from baton.behaviour.models import BehaviourEvent
    from baton.core.normalize import seniority
    from baton.dbutil import rows_insert_values
    from baton.leads.models import Lead, Touch
    from baton.org.services import user_create
    from baton.scoring import presets
    from baton.scoring.services import (
        scoring_model_activate,
        scoring_model_draft_create,
        scoring_model_update,
    )

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    sdr = user_create("sdr0", None, roles=["sdr_inbound"])
    r = random.Random(11)
    levels = {t: seniority(t) for t in TITLES}
    lead_cols = ("name", "email", "phone", "company", "title", "seniority", "industry", "company_size", "city",
                 "region", "source", "extra", "created_at", "status_changed_at", "routed_at", "owner_id")  # fmt: skip
    event_cols = ("lead_id", "kind", "occurred_at", "received_at", "channel", "source", "title")
    touch_cols = ("lead_id", "user_id", "channel", "direction", "outcome", "duration_seconds", "occurred_at",
                  "recorded_at", "meaningful")  # fmt: skip
    created = AT - timedelta(days=200)
    budgets = [{"budget": b} for b in BUDGETS]
    n_events = n_touches = 0
    for start in range(0, rows, BATCH):
        size = min(BATCH, rows - start)
        leads = []
        for i in range(start, start + size):
            title = r.choice(TITLES)
            leads.append((f"Lead {i}", f"lead{i}@c{i % 9973}.example.cn", f"+86138{i:08d}", f"Company {i % 9973}",
                          title, levels[title], r.choice(INDUSTRIES), r.choice(SIZES), r.choice(CITIES),
                          r.choice(REGIONS), r.choice(SOURCES), r.choice(budgets) if r.random() < 0.33 else {},
                          created, created, created, sdr.pk))  # fmt: skip
        with transaction.atomic():
            ids = rows_insert_values(Lead, lead_cols, leads)
            events, touches = [], []
            for lead_id in ids:
                for _ in range(r.choice((0, 0, 1, 2, 3, 4, 4))):
                    at = AT - timedelta(days=r.random() * 180)
                    events.append((lead_id, r.choice(KINDS), at, at, "website", "bench", "Product webinar"))
                for _ in range(r.choice((0, 1, 1, 2))):
                    at = AT - timedelta(days=r.random() * 180)
                    channel, outcome, duration = r.choice(OUTCOMES)
                    touches.append((lead_id, sdr.pk, channel, "inbound" if r.random() < 0.1 else "outbound", outcome,
                                    duration, at, at, outcome == "replied"))  # fmt: skip
            rows_insert_values(BehaviourEvent, event_cols, events, returning=False)
            rows_insert_values(Touch, touch_cols, touches, returning=False)
        n_events += len(events)
        n_touches += len(touches)
    # The model change: the recommended model becomes active; nobody has been rescored yet.
    draft = scoring_model_draft_create(None, name=presets.RECOMMENDED_NAME)
    scoring_model_update(draft.version, None, rules=presets.RECOMMENDED_RULES, grades=presets.RECOMMENDED_GRADES,
                         bands=presets.RECOMMENDED_BANDS)  # fmt: skip
    scoring_model_activate(draft.version, None, recompute=False)
    # Floor: every lead's score columns written by the driver, one row per parameter set; rolled back.
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM leads_lead ORDER BY id")
        params = [(i % 150, i % 90, i % 60, "B2", pk) for i, (pk,) in enumerate(cur.fetchall())]
    sql = "UPDATE leads_lead SET score = %s, fit_score = %s, engagement_score = %s, grade = %s WHERE id = %s"
    floor_seconds = 0.0
    try:
        with transaction.atomic(), connection.cursor() as cur:
            for part in range(0, len(params), 50_000):
                t0 = time.perf_counter()
                cur.executemany(sql, params[part : part + 50_000])
                floor_seconds += time.perf_counter() - t0
            raise _RollBack
    except _RollBack:
        pass
    return {"db": connection.vendor, "floor_rows_per_s": rows / floor_seconds, "behaviour_events": n_events,
            "touches": n_touches, "seconds": time.perf_counter() - started}  # fmt: skip


class _RollBack(Exception):
    pass


def _recompute() -> dict:
    import django

    django.setup()
    from baton.scoring.services import scores_recompute

    started = time.perf_counter()
    result = scores_recompute(at=AT)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "changed": result["changed"],
        "snapshots": result["snapshots"],
        "bands": result["bands"],
        "version": result["version"],
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baton.settings")
    step, n = sys.argv[1], int(sys.argv[2])
    print(json.dumps(_prepare(n) if step == "prepare" else _recompute()))
