"""`baton bench score` rescores a generated database after a model change and reports against a floor."""

import json
import os
import subprocess
import sys


def test_bench_score_prints_one_json_object(db_vendor):
    r = subprocess.run(
        [sys.executable, "-m", "baton.cli", "bench", "score", "--rows", "500", "--json"],
        env=dict(os.environ), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["db"] == ("postgresql" if db_vendor == "postgresql" else "sqlite")
    assert (result["rows"], result["version"]) == (500, 2)
    assert result["changed"] == result["snapshots"] == 500  # every lead starts unscored
    assert sum(result["bands"].values()) == 500 and set(result["bands"]) <= {
        "nurture",
        "sdr_queue",
        "handoff_ready",
    }
    assert result["behaviour_events"] > 500 and result["touches"] > 250
    for key in ("seconds", "leads_per_s", "floor_rows_per_s", "peak_rss_mb"):
        assert result[key] > 0
    assert abs(result["ratio"] - result["leads_per_s"] / result["floor_rows_per_s"]) < 1e-3
