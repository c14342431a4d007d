"""`baton bench capture` runs against a real server and reports the documented figures."""

import json
import os
import subprocess
import sys

from baton.bench.capture import percentile


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile([7.0], 99) == 7.0


def test_bench_capture_prints_one_json_object(db_vendor):
    # db_vendor: on the PostgreSQL pass DATABASE_URL points at the test server and the bench makes its own database.
    env = dict(os.environ)
    r = subprocess.run(
        [sys.executable, "-m", "baton.cli", "bench", "capture", "--n", "20", "--json"],
        env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["db"] == ("postgresql" if db_vendor == "postgresql" else "sqlite")
    assert result["n"] == 20
    for key in ("p50_ms", "p99_ms", "floor_p50_ms", "ratio_p50"):
        assert result[key] > 0
    assert result["p99_ms"] >= result["p50_ms"]
    assert (
        abs(result["ratio_p50"] - result["p50_ms"] / result["floor_p50_ms"])
        < 0.01 + 0.01 * result["ratio_p50"]
    )
