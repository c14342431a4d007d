"""`baton bench import` imports a generated file into a database that already holds as many leads."""

import json
import os
import subprocess
import sys


def test_bench_import_prints_one_json_object(db_vendor):
    r = subprocess.run(
        [sys.executable, "-m", "baton.cli", "bench", "import", "--rows", "300", "--json"],
        env=dict(os.environ), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["db"] == ("postgresql" if db_vendor == "postgresql" else "sqlite")
    assert (result["rows"], result["status"], result["existing_leads"]) == (300, "done", 300)
    assert result["imported"] + result["merged"] + result["rejected"] == 300
    assert result["merged"] > 0 and result["rejected"] > 0  # the file holds known people and bad rows
    for key in ("seconds", "leads_per_s", "floor_rows_per_s", "peak_rss_mb"):
        assert result[key] > 0
    assert abs(result["ratio"] - result["leads_per_s"] / result["floor_rows_per_s"]) < 1e-3
