"""``baton demo`` end to end, in a subprocess with its own data folder."""

import io
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def _demo(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["BATON_DATA_DIR"] = str(data_dir)
    env["COLUMNS"] = "160"
    return subprocess.run(
        [sys.executable, "-m", "baton.cli", "demo", "--no-serve", *args],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _fingerprint(out: str) -> str:
    match = re.search(r"Fingerprint\W+([0-9a-f]{16})", out)
    assert match, out
    return match.group(1)


def _leads(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("select count(*) from leads_lead").fetchone()[0]


def test_demo_builds_a_fresh_database_on_every_run_and_prints_the_logins(tmp_path):
    args = ("--leads", "25", "--seed", "2", "--end", "2026-11-19T07:00:00Z")
    first = _demo(tmp_path, *args)
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout
    for text in (
        "admin",
        "wuxin",
        "wangwei",
        "chenjing",
        "liuyang",
        "baton-demo-2026",
        "http://127.0.0.1:8000/",
    ):
        assert text in out
    assert "Leads" in out and "Bookings" in out
    db = tmp_path / "baton.sqlite3"
    assert _leads(db) == 25

    second = _demo(tmp_path, *args)  # rebuilt from scratch, not added to
    assert second.returncode == 0, second.stderr
    assert _leads(db) == 25
    # Another process (another hash seed), the same data.
    assert _fingerprint(first.stdout) == _fingerprint(second.stdout)


def test_demo_refuses_a_database_it_did_not_create(tmp_path):
    db = tmp_path / "baton.sqlite3"
    db.write_bytes(b"precious")
    result = _demo(tmp_path, "--leads", "5")
    assert result.returncode == 2
    assert "did not create" in result.stdout
    assert db.read_bytes() == b"precious"


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_on_postgresql_the_demo_only_fills_an_empty_database():
    from rich.console import Console

    from baton.demo import _prepare_database
    from baton.leads.services import lead_capture

    console = Console(file=io.StringIO(), width=200)
    assert _prepare_database(console) is True
    lead_capture({"name": "张伟", "email": "zw@corp.cn"})
    assert _prepare_database(console) is False
    assert "already holds leads" in console.file.getvalue()
