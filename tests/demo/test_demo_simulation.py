"""The demo: the reference organisation and a simulated quarter, checked for shape and sanity.

One simulation (a few hundred leads, a pinned end) is shared by the tests of this module; it runs in
a transaction that is rolled back at the end.
"""

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import override_settings

from baton.demo.names import REGIONS
from baton.demo.org import DEMO_PASSWORD, build_org
from baton.demo.simulate import QUARTER, simulate
from baton.handoffs.models import Handoff
from baton.leads.models import Lead, LeadEvent, Touch
from baton.notifications.models import Notification
from baton.org.models import OrgSettings, Role, RoleAssignment, Team, User
from baton.pipeline.models import Opportunity, Stage

END = datetime(2026, 11, 19, 7, 0, tzinfo=UTC)  # a Thursday, 15:00 in Shanghai: the team is at work
LEADS = 400
SEED = 7


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast_hashing, transaction.atomic():
        org = build_org()
        summary = simulate(org, seed=SEED, leads=LEADS, end=END)
        yield SimpleNamespace(org=org, summary=summary)
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_the_reference_organisation_has_the_shape_of_spec_section_1(world):
    roles = Counter(RoleAssignment.objects.values_list("role", flat=True))
    assert roles == {
        Role.SALES_VP: 1, Role.SALES_DIRECTOR: 4, Role.AE: 20, Role.SDR_DIRECTOR: 1, Role.SDR_INBOUND: 5,
        Role.SDR_OUTBOUND: 3, Role.BDR: 2, Role.AM: 4, Role.MARKETER: 2, Role.OPS_ADMIN: 1,
    }  # fmt: skip
    admin = User.objects.get(username="admin")
    assert admin.has_role(Role.OPS_ADMIN) and admin.is_superuser
    assert admin.check_password(DEMO_PASSWORD)
    assert User.objects.get(username=world.org.all_aes[0].username).check_password(DEMO_PASSWORD)

    org = world.org
    for region in REGIONS:
        director = org.sales_directors[region]
        team = director.team
        assert (team.kind, team.region, team.timezone) == (Team.Kind.SALES, region, "Asia/Shanghai")
        assert director.manager == org.vp
        aes = User.objects.filter(team=team, roles__role=Role.AE)
        assert aes.count() == 5
        assert all(ae.manager_id == director.pk for ae in aes)
    assert Counter(u.team.kind for u in org.sdr_inbound) == {Team.Kind.SDR_INBOUND: 5}
    assert Counter(u.team.kind for u in org.sdr_outbound) == {Team.Kind.SDR_OUTBOUND: 3}
    assert all(u.manager == org.sdr_director for u in [*org.sdr_inbound, *org.sdr_outbound, *org.bdrs])
    settings = OrgSettings.get()
    assert (settings.timezone, settings.currency) == ("Asia/Shanghai", "CNY")
    assert not Team.objects.exclude(timezone="Asia/Shanghai").exists()


def test_the_quarter_is_simulated_without_refused_actions(world):
    s = world.summary
    assert s.errors == {}
    assert s.leads == Lead.objects.count() == LEADS
    assert s.end == END.isoformat()
    first = Lead.objects.order_by("created_at").first().created_at
    assert END - QUARTER <= first < END - QUARTER + timedelta(days=3)
    assert Lead.objects.filter(created_at__gte=END).count() == 0
    assert not Touch.objects.filter(occurred_at__gt=END).exists()
    assert not LeadEvent.objects.filter(occurred_at__gt=END).exists()


def test_leads_look_real(world):
    leads = list(Lead.objects.all())
    sources = Counter(lead.source for lead in leads)
    assert len(sources) >= 12  # many channels, none dominating
    assert max(sources.values()) < 0.2 * len(leads)
    in_regions = sum(1 for lead in leads if lead.region in REGIONS)
    assert in_regions >= 0.85 * len(leads)
    assert all(lead.phone.startswith("+861") for lead in leads if lead.phone)
    assert sum(1 for lead in leads if lead.email) >= 0.85 * len(leads)
    assert any("有限公司" in lead.company for lead in leads) and any("Ltd" in lead.company for lead in leads)
    assert all(lead.title and lead.industry and lead.company_size for lead in leads)
    outbound = [lead for lead in leads if lead.direction == Lead.Direction.OUTBOUND]
    creators = {u.pk for u in [*world.org.sdr_outbound, *world.org.bdrs]}
    assert 0.05 * len(leads) < len(outbound) < 0.3 * len(leads)
    # Leads nobody touched for two weeks went back to the public pool (the worker's recycling rule).
    recycled = set(LeadEvent.objects.filter(kind="recycled").values_list("lead_id", flat=True))
    assert all(lead.owner_id is None for lead in leads if lead.pk in recycled)
    assert len(recycled) < 0.1 * len(leads)
    assert all(lead.created_by_id in creators for lead in outbound)
    assert all(lead.owner_id == lead.created_by_id for lead in outbound if lead.pk not in recycled)
    inbound_sdrs = {u.pk for u in world.org.sdr_inbound}
    assert all(lead.owner_id in inbound_sdrs for lead in leads
               if lead.direction == Lead.Direction.INBOUND and lead.pk not in recycled)  # fmt: skip


def test_funnel_rates_are_plausible(world):
    s = world.summary
    assert s.sqls <= s.mqls <= s.leads
    assert 0.08 <= s.mqls / s.leads <= 0.25
    assert 0.5 <= s.sqls / s.mqls <= 0.9
    assert s.opportunities <= s.sqls
    assert s.won + s.lost + s.open_opportunities == s.opportunities
    assert s.won > 0 and s.lost > 0
    assert 0.1 <= s.won / (s.won + s.lost) <= 0.45
    for opp in Opportunity.objects.filter(stage__kind=Stage.Kind.WON):
        assert 50_000 <= opp.amount <= 2_300_000
    assert not Opportunity.objects.filter(stage__kind=Stage.Kind.LOST, lost_reason="").exists()
    assert Counter(s.status) == Counter(Lead.objects.values_list("status", flat=True))


def test_every_sql_and_opportunity_comes_from_an_accepted_handoff(world):
    for lead in Lead.objects.filter(status__in=["sql", "converted"]):
        assert Handoff.objects.filter(lead=lead, cycle=lead.cycle, status=Handoff.Status.ACCEPTED).exists()
    for opp in Opportunity.objects.select_related("handoff"):
        assert opp.handoff.status == Handoff.Status.ACCEPTED and opp.handoff.lead_id == opp.lead_id
        assert opp.created_at >= opp.handoff.decided_at
    for lead in Lead.objects.filter(status="mql"):
        assert Handoff.objects.filter(lead=lead, status=Handoff.Status.PENDING).count() == 1


def test_every_lead_has_one_capture_and_a_timeline_in_time_order(world):
    timelines = defaultdict(list)
    for event in LeadEvent.objects.order_by("id").values("lead_id", "kind", "occurred_at"):
        timelines[event["lead_id"]].append(event)
    created = dict(Lead.objects.values_list("pk", "created_at"))
    assert set(timelines) == set(created)
    for lead_id, events in timelines.items():
        assert events[0]["kind"] == LeadEvent.Kind.CAPTURED
        assert events[0]["occurred_at"] == created[lead_id]
        assert sum(1 for e in events if e["kind"] == LeadEvent.Kind.CAPTURED) == 1
        # Recorded in the order things happened (the overdue mark is back-dated to the deadline by design).
        times = [e["occurred_at"] for e in events if e["kind"] != LeadEvent.Kind.HANDOFF_OVERDUE]
        assert times == sorted(times), lead_id


def test_speed_to_lead_varies_and_some_leads_are_never_touched(world):
    inbound = Lead.objects.filter(direction=Lead.Direction.INBOUND)
    minutes = [
        (lead.first_touch_at - lead.created_at).total_seconds() / 60
        for lead in inbound.exclude(first_touch_at=None)
    ]
    assert sum(1 for m in minutes if m <= 5) >= 0.1 * len(minutes)
    assert sum(1 for m in minutes if m > 60) >= 0.1 * len(minutes)
    assert inbound.filter(first_touch_at=None).exists()
    assert Touch.objects.filter(channel=Touch.Channel.MEETING, outcome=Touch.Outcome.HELD).exists()
    assert Touch.objects.filter(direction=Touch.Direction.INBOUND, outcome=Touch.Outcome.REPLIED).exists()
    assert Touch.objects.filter(user__roles__role=Role.AE).exists()


def test_handoffs_have_sla_misses_rejections_and_second_cycles(world):
    handoffs = Handoff.objects.all()
    overdue = handoffs.filter(overdue_at__isnull=False).count()
    assert 0 < overdue < 0.35 * handoffs.count()
    assert LeadEvent.objects.filter(kind=LeadEvent.Kind.HANDOFF_OVERDUE).count() == overdue
    rejected = handoffs.filter(status=Handoff.Status.REJECTED)
    assert rejected.exists() and not rejected.filter(reject_reason=None).exists()
    assert rejected.filter(nurture_until__isnull=False).exists()
    assert handoffs.filter(cycle__gte=2).exists()  # a nurtured lead handed off again
    # Regional routing: the AE is from the lead's region when the region has a sales team.
    local = sum(1 for h in handoffs.select_related("lead", "ae__team") if h.ae.team.region == h.lead.region)
    in_region = handoffs.filter(lead__region__in=REGIONS).count()
    assert local == in_region


def test_history_leaves_open_work_behind(world):
    assert Opportunity.objects.filter(stage__kind=Stage.Kind.OPEN).exists()
    assert Lead.objects.filter(status="new").exists()  # never-touched leads still in SDR queues
    recent = Counter(
        Lead.objects.filter(created_at__gte=END - timedelta(days=3)).values_list("status", flat=True)
    )
    assert recent["new"] + recent["working"] >= 0.6 * sum(recent.values())  # still being worked
    assert Notification.objects.filter(read_at=None).exists()
    assert Notification.objects.exclude(read_at=None).exists()
