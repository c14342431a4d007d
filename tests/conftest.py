"""Fixtures shared by all tests.

--db, BATON_DATA_DIR and the PostgreSQL server are set up earlier, in harness_plugin.py.
"""

import os

import pytest
from django.db import connection
from harness_plugin import in_ci

CHROMIUM = "/usr/bin/chromium"
MARKERS = {
    "e2e": "end-to-end browser tests (Chromium)",
    "postgres_only": "needs PostgreSQL",
}


def pytest_configure(config: pytest.Config) -> None:
    # pyproject declares them; this keeps --strict-markers working when another ini file is used.
    declared = {line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")}
    for name, doc in MARKERS.items():
        if name not in declared:
            config.addinivalue_line("markers", f"{name}: {doc}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--db") == "postgres":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with --db=postgres)")
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} not found; scripts/check.sh installs it (apt-get install chromium)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
def db_vendor() -> str:
    """Either "sqlite" or "postgresql"."""
    return connection.vendor


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is what production uses; tests create many users and only need a working hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_config_cache():
    # Test transactions roll back saved settings and rules; a cached copy must not outlive them.
    from baton import localcache

    localcache.clear()
    yield
    localcache.clear()
