"""The same seed and end give the same quarter; another seed gives another one."""

from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.test import override_settings

from baton.demo.org import build_org
from baton.demo.simulate import Simulation, simulate
from baton.leads.models import Lead, LeadEvent, Touch

END = datetime(2026, 11, 19, 7, 0, tzinfo=UTC)
LEADS = 100

pytestmark = pytest.mark.django_db


def _fingerprint(seed: int) -> tuple:
    """Simulate in a transaction that is rolled back, so every run starts from the same empty database."""
    fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with fast_hashing, transaction.atomic():
        summary = simulate(build_org(), seed=seed, leads=LEADS, end=END)
        rows = (
            list(
                Lead.objects.order_by("created_at", "name").values_list(
                    "name", "company", "status", "owner__username"
                )
            ),
            list(
                Touch.objects.order_by("occurred_at", "channel").values_list(
                    "occurred_at", "channel", "outcome"
                )
            ),
            LeadEvent.objects.count(),
        )
        transaction.set_rollback(True)
    return summary, rows


def test_the_same_seed_gives_the_same_quarter():
    first, first_rows = _fingerprint(3)
    second, second_rows = _fingerprint(3)
    assert first.leads == LEADS and first.errors == {}
    assert first.digest() == second.digest()
    assert first.status == second.status
    assert first_rows == second_rows


def test_another_seed_gives_another_quarter():
    org = build_org()

    def arrivals(seed: int) -> list:
        return [
            (a.at, a.source, a.company.name)
            for a in Simulation(org, seed=seed, leads=LEADS, end=END).arrivals()
        ]

    assert arrivals(3) == arrivals(3)
    assert arrivals(3) != arrivals(4)
