"""Director dispatch in the browser flows: a lead routing sent to the regional director, and a handoff
waiting for dispatch — the form lists the reps with why one cannot take it, and dispatching works."""

from datetime import timedelta

import pytest

from baton import clock
from baton.handoffs.models import Handoff
from baton.leads.models import Lead
from baton.org.models import Leave
from baton.routing.services import policy_activate, policy_draft_save

from .conftest import capture, client_for

pytestmark = pytest.mark.django_db


def _activate(kind, rule, org):
    fallback = {
        "lead": {"type": "role", "role": "sdr_inbound"},
        "handoff": {"type": "region_team", "role": "ae"},
    }
    draft = policy_draft_save(kind, {"rules": [rule], "fallback": {
        "key": "fallback", "name": "default", "destination": fallback[kind], "strategy": "round_robin"}},
        actor=org.admin)  # fmt: skip
    policy_activate(kind, draft.version, actor=org.admin)


def test_a_director_dispatches_a_lead_from_its_page(org):
    _activate("lead", {"key": "east", "name": "East via the director", "conditions": [
        {"field": "region", "op": "eq", "value": "East"}], "destination": {"type": "director"},
        "strategy": "director_dispatch"}, org)  # fmt: skip
    lead = capture(1)
    assert lead.owner_id == org.director.pk
    Leave.objects.create(user=org.sdr2, starts_at=clock.now() - timedelta(hours=1),
                         ends_at=clock.now() + timedelta(days=2))  # fmt: skip
    director = client_for(org.director)
    page = director.get(f"/leads/{lead.pk}/").content.decode()
    assert 'id="dispatch-card"' in page and "Sam SDR" in page and "on leave until" in page
    assert 'id="dispatch-card"' not in client_for(org.sdr1).get(f"/leads/{lead.pk}/").content.decode()
    r = director.post(f"/leads/{lead.pk}/dispatch/", {"to": org.sdr2.pk})
    assert r.status_code == 409 and "on leave" in r.content.decode()
    r = director.post(f"/leads/{lead.pk}/dispatch/", {"to": org.sdr1.pk})
    assert r.status_code == 302
    assert Lead.objects.get(pk=lead.pk).owner_id == org.sdr1.pk


def test_a_director_dispatches_a_handoff_from_the_inbox(org):
    from baton.handoffs.services import handoff_create, qualification_update
    from baton.leads.services import touch_log

    _activate("handoff", {"key": "east", "name": "East via the director", "conditions": [
        {"field": "region", "op": "eq", "value": "East"}], "destination": {"type": "director"},
        "strategy": "director_dispatch"}, org)  # fmt: skip
    lead = capture(1)
    touch_log(lead, org.sdr1, channel="call", outcome="connected", duration_seconds=300)
    qualification_update(lead, org.sdr1, {"budget": "met", "authority": "met", "need": "met"})
    handoff = handoff_create(Lead.objects.get(pk=lead.pk), org.sdr1)
    assert handoff.ae_id == org.director.pk and handoff.awaiting_dispatch
    director = client_for(org.director)
    page = director.get(f"/inbox/{handoff.pk}/").content.decode()
    assert "Dispatch to" in page and "Alex AE" in page and "Accept handoff" not in page
    r = director.post(f"/inbox/{handoff.pk}/dispatch/", {"to": ""})
    assert r.status_code == 422
    r = director.post(f"/inbox/{handoff.pk}/dispatch/", {"to": org.ae1.pk})
    assert r.status_code == 302
    handoff = Handoff.objects.get(pk=handoff.pk)
    assert (
        handoff.ae_id == org.ae1.pk
        and not handoff.awaiting_dispatch
        and handoff.dispatcher_id == org.director.pk
    )
    assert "Accept handoff" in client_for(org.ae1).get(f"/inbox/{handoff.pk}/").content.decode()
