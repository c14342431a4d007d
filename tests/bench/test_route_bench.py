"""`baton bench route`: capture → assigned latency with concurrent clients, and the SLA sweep of open clocks."""

import json
import os
import subprocess
import sys


def test_bench_route_prints_one_json_object(db_vendor):
    r = subprocess.run(
        [sys.executable, "-m", "baton.cli", "bench", "route", "--n", "40", "--clients", "2", "--clocks", "3000",
         "--json"],
        env=dict(os.environ), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["db"] == ("postgresql" if db_vendor == "postgresql" else "sqlite")
    for key in ("p50_ms", "p99_ms", "floor_p50_ms", "ratio_p50", "sweep_seconds"):
        assert result[key] > 0
    assert result["sweep_clocks"] == 3000 and result["clients"] == 2
    # Clocks are due from two days ago to two weeks ahead: about one in eight is breached by the sweep,
    # exactly the ones the floor's set-based update marks.
    assert result["breached"] == result["floor_breaches"] and 200 < result["breached"] < 600
