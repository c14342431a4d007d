"""`baton bench capture`: capture → scored → routed → assigned latency over real HTTP.

Starts a real server (gunicorn, as `baton serve`) on a fresh database — a temporary SQLite data
folder, or a new database on the PostgreSQL server named by DATABASE_URL — posts N leads and
reports the latency percentiles beside a floor measured in the same run: the same server, the same
token auth, inserting one bare row. Floor and capture requests are interleaved so that noise on
this shared machine hits both alike.
"""

import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from urllib.parse import urlparse, urlunparse

import httpx

REGIONS = ["East", "North", "South", "West"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


@contextmanager
def _fresh_database():
    """Yield the environment of a fresh, empty database; remove it afterwards."""
    env = dict(os.environ)
    data_dir = tempfile.mkdtemp(prefix="baton-bench-")
    env["BATON_DATA_DIR"] = data_dir
    url = os.environ.get("DATABASE_URL")
    dbname = None
    if url:
        import psycopg

        parsed = urlparse(url)
        dbname = f"baton_bench_{secrets.token_hex(4)}"
        admin_url = urlunparse(parsed._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        env["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{dbname}"))
    try:
        yield env
    finally:
        if dbname:
            import psycopg

            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        shutil.rmtree(data_dir, ignore_errors=True)


SETUP = """
import django, os
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from baton.org.services import team_create, user_create, token_create
inbound = team_create("Inbound SDR", "sdr_inbound")
for i in range(5):
    user_create(f"sdr{i}", None, roles=["sdr_inbound"], team=inbound)
admin = user_create("admin", None, roles=["ops_admin"])
print(token_create(admin, name="bench"))
"""


def _lead(i: int, run: str) -> dict:
    return {
        "name": f"Bench Lead {i}",
        "email": f"lead{i}.{run}@company{i % 997}.example.com",
        "phone": f"+86138{i % 10**8:08d}",
        "company": f"Company {i % 997} Ltd",
        "title": ["CTO", "IT Manager", "Engineer", "CEO"][i % 4],
        "industry": "software",
        "company_size": 50 + i % 500,
        "source": ["trial_signup", "seo", "webinar_learning", "chat"][i % 4],
        "region": REGIONS[i % 4],
    }


def run_capture(n: int = 2000, clients: int = 1, warmup: int = 50) -> dict:
    if n < 10:
        raise SystemExit("--n must be at least 10")
    with _fresh_database() as env:
        env["DJANGO_SETTINGS_MODULE"] = "baton.settings"
        setup = subprocess.run(
            [sys.executable, "-c", SETUP], env=env, capture_output=True, text=True, check=False
        )
        if setup.returncode != 0:
            raise SystemExit(f"benchmark set-up failed:\n{setup.stderr[-2000:]}")
        token = setup.stdout.strip().splitlines()[-1]
        port = _free_port()
        server_env = {**env, "BATON_BENCH_ENDPOINTS": "1"}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "baton.cli",
                "serve",
                "--port",
                str(port),
                "--no-worker",
                "--workers",
                "2",
            ],
            env=server_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            return _measure(f"http://127.0.0.1:{port}", token, n, clients, warmup, server, env)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def _wait_ready(client: httpx.Client, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited early:\n{server.stderr.read().decode()[-2000:]}")
        try:
            if client.get("/api/v1/me").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not become ready within 60 s")


def _measure(base: str, token: str, n: int, clients: int, warmup: int, server, env) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    run = secrets.token_hex(3)
    capture_ms: list[float] = []
    floor_ms: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(10**9))

    def worker(count: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for _ in range(count):
                with lock:
                    i = next(counter)
                t0 = time.perf_counter()
                r = client.post("/api/v1/leads", json=_lead(i, run))
                t1 = time.perf_counter()
                if r.status_code != 201 or not r.json().get("owner"):
                    errors.append(f"{r.status_code} {r.text[:200]}")
                    continue
                t2 = time.perf_counter()
                f = client.post("/api/v1/_bench/floor", json={"payload": f"row {i}"})
                t3 = time.perf_counter()
                if f.status_code != 201:
                    errors.append(f"floor {f.status_code} {f.text[:200]}")
                    continue
                with lock:
                    capture_ms.append((t1 - t0) * 1000)
                    floor_ms.append((t3 - t2) * 1000)

    with httpx.Client(base_url=base, headers=headers, timeout=30) as probe:
        _wait_ready(probe, server)
        for i in range(warmup):
            probe.post("/api/v1/leads", json=_lead(10**8 + i, run))
            probe.post("/api/v1/_bench/floor", json={"payload": "warm-up"})
    per_client = [n // clients + (1 if k < n % clients else 0) for k in range(clients)]
    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c,)) for c in per_client]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} requests failed; first: {errors[0]}")
    p50, floor_p50 = statistics.median(capture_ms), statistics.median(floor_ms)
    return {
        "db": "postgresql" if env.get("DATABASE_URL") else "sqlite",
        "n": len(capture_ms),
        "clients": clients,
        "p50_ms": round(p50, 2),
        "p99_ms": round(percentile(capture_ms, 99), 2),
        "floor_p50_ms": round(floor_p50, 2),
        "floor_p99_ms": round(percentile(floor_ms, 99), 2),
        "ratio_p50": round(p50 / floor_p50, 2),
        "seconds": round(elapsed, 1),
    }
