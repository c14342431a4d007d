"""Prepares the test environment before Django reads its settings.

pytest-django imports baton.settings (and freezes DATABASES) in pytest_load_initial_conftests,
before any conftest.py is imported, so this lives in a plugin loaded early with
``-p harness_plugin`` (pyproject addopts).

--db=sqlite    the embedded SQLite database (default)
--db=postgres  a throwaway PostgreSQL server, started for this session and removed at its end
"""

import atexit
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

PG_BINARIES = ("initdb", "pg_ctl", "postgres")
PG_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "100",
    # Durability is worthless for a database that is deleted after the run.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}

_state = pytest.StashKey[dict]()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="database to run the tests against (postgres: a throwaway local server)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    options = early_config.known_args_namespace
    state: dict = {"server": None, "error": None, "data_dir": None}
    early_config.stash[_state] = state
    if options.help or options.version:
        return

    # Keeps the repository's ./data (database, secret key) out of test runs.
    if "BATON_DATA_DIR" not in os.environ:
        state["data_dir"] = tempfile.mkdtemp(prefix="baton-test-data-")
        os.environ["BATON_DATA_DIR"] = state["data_dir"]

    # --db alone decides the database, whatever DATABASE_URL the shell exports.
    os.environ.pop("DATABASE_URL", None)
    if options.db != "postgres":
        return

    bindir = find_pg_bindir()
    if bindir is None:
        state["error"] = "initdb, pg_ctl and postgres not found on PATH or in /usr/lib/postgresql/*/bin"
        state["missing"] = True
        return
    server = PostgresServer(bindir)
    state["server"] = server
    atexit.register(server.stop)
    _stop_on_sigterm()
    try:
        server.start()
    except Exception as exc:  # reported by pytest_configure, after pytest can print it
        state["error"] = f"could not start PostgreSQL: {exc}"
        return
    os.environ["DATABASE_URL"] = server.url


def pytest_configure(config: pytest.Config) -> None:
    state = config.stash.get(_state, {})
    if state.get("error") and (in_ci() or not state.get("missing")):
        pytest.exit(f"--db=postgres: {state['error']}", returncode=1)


def pytest_report_header(config: pytest.Config) -> str:
    state = config.stash.get(_state, {})
    if state.get("missing"):
        return f"database: none, every test skipped: {state['error']}"
    return f"database: {state['server'].url} (throwaway)" if state.get("server") else "database: sqlite"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash.get(_state, {})
    if state.get("missing"):
        skip = pytest.mark.skip(reason=f"--db=postgres: {state['error']}")
        for item in items:
            item.add_marker(skip)


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_state, {})
    if state.get("server"):
        state["server"].stop()
    if state.get("data_dir"):
        shutil.rmtree(state["data_dir"], ignore_errors=True)


def find_pg_bindir() -> Path | None:
    candidates = []
    if pg_ctl := shutil.which("pg_ctl"):
        candidates.append(Path(pg_ctl).resolve().parent)
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += [Path(d) for d in sorted(versions, key=_version, reverse=True)]
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in PG_BINARIES):
            return bindir
    return None


def _version(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path))


def _stop_on_sigterm() -> None:
    # Lets a killed run (CI timeout, `kill`) unwind through pytest_unconfigure and stop the server.
    pid = os.getpid()

    def interrupt(signum, frame):
        if os.getpid() != pid:  # a forked child (multiprocessing) must die as usual
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
        raise KeyboardInterrupt

    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, interrupt)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.tmp = Path(tempfile.mkdtemp(prefix="baton-test-pg-"))
        self.data = self.tmp / "data"
        self.port = _free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/baton"

    def start(self) -> None:
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root; the postgres account owns the cluster.
            shutil.chown(self.tmp, user="postgres")
        # C.UTF-8: Unicode-aware upper()/lower() like a production cluster, on any glibc system.
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync",
                  "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
        settings = {**PG_SETTINGS, "port": str(self.port), "unix_socket_directories": f"'{self.tmp}'"}
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        log = self.tmp / "server.log"
        try:
            self._run("pg_ctl", "-D", self.data, "-l", log, "-w", "start")
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{log.read_text() if log.exists() else ''}") from exc

        import psycopg  # a project dependency, but only needed here

        with psycopg.connect(f"postgres://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE baton")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            stop = self._cmd("pg_ctl", "-D", self.data, "-m", "immediate", "stop")
            subprocess.run(stop, capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _cmd(self, name: str, *args) -> list[str]:
        cmd = [str(self.bindir / name), *map(str, args)]
        return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd

    def _run(self, name: str, *args) -> None:
        done = subprocess.run(self._cmd(name, *args), capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{name} failed: {(done.stderr or done.stdout).strip()}")
