"""The demo ends in a live present: work in SDR queues, countdowns in AE inboxes, open deals.

A busy fortnight (many leads over a short span) ending on a Thursday at 09:05 in Shanghai, when
the night's leads wait for the SDRs and yesterday's handoffs wait for the AEs.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.test import override_settings

from baton.demo.org import build_org
from baton.demo.simulate import simulate
from baton.handoffs.models import Handoff
from baton.leads.models import Lead
from baton.notifications.models import Notification
from baton.pipeline.models import Opportunity, Stage

END = datetime(2026, 11, 19, 1, 5, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def test_the_present_is_live():
    fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with fast_hashing, transaction.atomic():
        summary = simulate(build_org(), seed=5, leads=500, end=END, span=timedelta(weeks=2))
        assert summary.errors == {}

        pending = Handoff.objects.filter(status=Handoff.Status.PENDING)
        running = pending.filter(due_at__gt=END)
        assert running.count() >= 2  # countdowns running in AE inboxes
        received = Notification.objects.filter(verb="handoff_received", lead_id__in=running.values("lead_id"))
        assert received.count() == running.count()
        assert Notification.objects.filter(read_at=None, verb="lead_assigned").exists()  # the night's leads

        overnight = Lead.objects.filter(status="new", created_at__gte=END - timedelta(hours=6))
        assert overnight.exists()  # fresh leads waiting in SDR queues
        assert not overnight.exclude(first_touch_at=None).exists()

        assert Opportunity.objects.filter(stage__kind=Stage.Kind.OPEN).exists()
        transaction.set_rollback(True)
