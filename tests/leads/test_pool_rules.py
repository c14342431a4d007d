"""The public pool: per-SDR claim limits, and owned leads nobody touches going back to the pool."""

from datetime import UTC, datetime, timedelta

import pytest

from baton import clock
from baton.core.errors import NotAllowed
from baton.leads.models import Lead, LeadEvent
from baton.leads.services import lead_capture, lead_claim, leads_recycle, touch_log
from baton.notifications.models import Notification
from baton.org.models import OrgSettings
from baton.org.services import team_create, user_create
from baton.worker import sweep

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def sdr(db):
    team = team_create("Inbound", "sdr_inbound")
    return user_create("sdr1", None, roles=["sdr_inbound"], team=team)


@pytest.fixture(autouse=True)
def _clock():
    clock.set_frozen(T0)
    yield
    clock.set_frozen(None)


def test_an_untouched_lead_goes_back_to_the_pool_and_a_touched_one_stays(sdr):
    idle = lead_capture({"name": "Idle", "email": "idle@a.cn"}, at=T0)
    busy = lead_capture({"name": "Busy", "email": "busy@b.cn"}, at=T0)
    assert idle.owner_id == busy.owner_id == sdr.pk and idle.owned_since == T0
    clock.set_frozen(T0 + timedelta(days=10))
    touch_log(busy, sdr, channel="call", outcome="no_answer", occurred_at=T0 + timedelta(days=10))
    assert leads_recycle(at=T0 + timedelta(days=13)) == 0  # 14 days by default
    clock.set_frozen(T0 + timedelta(days=15))
    result = sweep(T0 + timedelta(days=15))
    assert result["leads_recycled"] == 1
    idle.refresh_from_db()
    busy.refresh_from_db()
    assert (idle.owner_id, idle.owned_since) == (None, None) and busy.owner_id == sdr.pk
    event = LeadEvent.objects.get(lead=idle, kind="recycled")
    assert event.data["previous_owner_id"] == sdr.pk and "14 days" in event.reason
    assert Notification.objects.get(verb="leads_recycled").params == {"count": 1, "days": 14}
    # The touched one goes too once its last touch is 14 days old; recycling twice changes nothing.
    assert leads_recycle(at=T0 + timedelta(days=25)) == 1
    assert leads_recycle(at=T0 + timedelta(days=25)) == 0


def test_recycling_can_be_switched_off(sdr):
    settings = OrgSettings.get()
    settings.pool_recycle_days = 0
    settings.save()
    lead_capture({"name": "Idle", "email": "idle@a.cn"}, at=T0)
    assert leads_recycle(at=T0 + timedelta(days=365)) == 0


def test_claims_are_limited_per_sdr_per_24_hours(sdr):
    settings = OrgSettings.get()
    settings.pool_claims_per_day = 2
    settings.save()
    leads = [Lead.objects.create(name=f"P{i}", email=f"p{i}@x.cn", created_at=T0, status_changed_at=T0, routed_at=T0)
             for i in range(4)]  # fmt: skip
    lead_claim(leads[0], sdr, at=T0)
    lead_claim(leads[1], sdr, at=T0 + timedelta(hours=1))
    with pytest.raises(NotAllowed) as exc:
        lead_claim(leads[2], sdr, at=T0 + timedelta(hours=2))
    assert exc.value.code == "claim_limit" and "limit is 2" in exc.value.message
    assert Lead.objects.get(pk=leads[2].pk).owner_id is None
    claimed = lead_claim(leads[2], sdr, at=T0 + timedelta(hours=24, minutes=1))  # the first claim aged out
    assert claimed.owner_id == sdr.pk and claimed.owned_since == T0 + timedelta(hours=24, minutes=1)
