"""The SDR queue in working order: untouched first by deadline, then channel quality learned from handoffs."""

from datetime import UTC, datetime, timedelta

import pytest
from api_client import Api

from baton import clock, localcache
from baton.handoffs.models import Handoff
from baton.leads.models import Lead
from baton.leads.selectors import sdr_queue
from baton.leads.services import capture_clean, lead_create
from baton.org.services import team_create, token_create, user_create

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture
def world(db):
    team = team_create("Inbound", "sdr_inbound")
    sdr = user_create("sdr", None, roles=["sdr_inbound"], team=team)
    ae = user_create("ae", None, roles=["ae"])

    def lead(name, source, *, minutes_ago, touched=True, status="working", score=50):
        at = NOW - timedelta(minutes=minutes_ago)
        with clock.travel_to(at):
            x = lead_create(capture_clean({"name": name, "email": f"{name}@{name}.cn", "source": source}))
        Lead.objects.filter(pk=x.pk).update(owner=sdr, owned_since=at, status=status, score=score,
                                            first_touch_at=at if touched else None)  # fmt: skip
        return x.pk

    # History: AEs accepted 18 of 20 webinar handoffs and 2 of 20 from SEO.
    for source, accepted in (("webinar_learning", 18), ("seo", 2)):
        for i in range(20):
            old = lead(f"h{source[:3]}{i}", source, minutes_ago=10**4)
            Lead.objects.filter(pk=old).update(status="sql", owner=None)
            Handoff.objects.create(lead_id=old, cycle=1, sdr=sdr, ae=ae, packet={}, created_at=NOW, due_at=NOW,
                                   status="accepted" if i < accepted else "rejected")  # fmt: skip
    localcache.clear()
    return sdr, lead


def test_untouched_first_then_the_channel_aes_accept(world):
    sdr, lead = world
    seo = lead("seo1", "seo", minutes_ago=30)
    webinar = lead("web1", "webinar_learning", minutes_ago=20)
    fresh = lead("new1", "seo", minutes_ago=1, touched=False, status="new")
    late = lead("new2", "seo", minutes_ago=12, touched=False, status="new")
    with clock.travel_to(NOW):
        queue = sdr_queue(sdr)
    assert [x.pk for x in queue] == [late, fresh, webinar, seo]
    assert "7 min overdue" in queue[0].queue.why
    assert "18 of 20 handoffs from this source accepted" in queue[2].queue.why
    assert [x.queue.position for x in queue] == [1, 2, 3, 4]
    with clock.travel_to(NOW):
        rows = Api(token_create(sdr)).get("/leads/queue").json()
    assert [(r["id"], r["queue_position"]) for r in rows] == [(late, 1), (fresh, 2), (webinar, 3), (seo, 4)]
    assert "speed to lead" in rows[0]["queue_why"]
