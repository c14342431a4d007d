"""The bulk write paths: one batch gives the same rows as the same items one by one, all or nothing."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from baton import clock
from baton.core.errors import IllegalTransition, InvalidInput, NotAllowed
from baton.core.lifecycle import LeadStatus
from baton.leads.models import Account, Lead, LeadEvent, Touch
from baton.leads.services import (
    CaptureRequest,
    TouchRequest,
    TransitionRequest,
    lead_capture,
    leads_capture,
    leads_disqualify,
    leads_transition,
    touches_log,
)
from baton.notifications.models import Notification
from baton.org.services import team_create, user_create
from baton.routing.models import RoutingDecision, RoutingTally
from baton.scoring.models import ScoreSnapshot

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def sdrs(db):
    team = team_create("Inbound", "sdr_inbound")
    return [user_create(f"sdr{i}", None, roles=["sdr_inbound"], team=team) for i in range(3)]


@pytest.fixture(autouse=True)
def _frozen():
    clock.set_frozen(T0 + timedelta(days=1))
    yield
    clock.set_frozen(None)


def _data(i: int, **extra) -> dict:
    return {"name": f"Person {i}", "email": f"p{i}@firm{i % 4}.com", "company": f"Firm {i % 4} Ltd",
            "title": "Head of Sales", "source": "seo", **extra}  # fmt: skip


def _rows(lead: Lead) -> dict:
    """Everything capture writes about a lead, minus ids and owners (which depend on the order)."""
    events = [
        (e.kind, e.to_status, e.occurred_at) + ((e.reason,) if e.kind != "routed" else ())
        for e in lead.events.order_by("occurred_at", "pk")
    ]
    snap = ScoreSnapshot.objects.get(lead=lead)
    return {
        "fields": (lead.name, lead.email, lead.company, lead.status, lead.score, lead.grade, lead.created_at,
                   lead.routed_at, lead.account.name, lead.account.domain, lead.contact_id),
        "events": events,
        "snapshot": (snap.total, snap.grade, snap.factors, snap.trigger),
        "notifications": list(Notification.objects.filter(lead=lead).values_list("verb", "created_at")),
    }  # fmt: skip


def test_a_batch_writes_what_the_same_captures_write_one_by_one(sdrs):
    one_by_one = [lead_capture(_data(i), at=T0 + timedelta(minutes=i)) for i in range(8)]
    batch = leads_capture([CaptureRequest(_data(i + 100), at=T0 + timedelta(minutes=i)) for i in range(8)])
    for a, b in zip(one_by_one, batch, strict=True):
        ra, rb = _rows(Lead.objects.get(pk=a.pk)), _rows(Lead.objects.get(pk=b.pk))
        assert ra["events"] == rb["events"]
        assert ra["snapshot"] == rb["snapshot"]
        assert ra["notifications"] == rb["notifications"]
        assert ra["fields"][3:-1] == rb["fields"][3:-1]  # status, score, times, account
    # The second batch matched the accounts the first run created (same companies and domains).
    assert Account.objects.count() == 4
    assert [b.account_id for b in batch] == [a.account_id for a in one_by_one]


def test_a_batch_is_routed_round_robin_in_order_under_one_pool_lock(sdrs):
    leads = leads_capture([CaptureRequest(_data(i), at=T0 + timedelta(seconds=i)) for i in range(9)])
    owners = [lead.owner_id for lead in leads]
    assert Counter(owners) == {s.pk: 3 for s in sdrs}
    assert owners[:3] == owners[3:6] == owners[6:9]  # the rotation repeats exactly
    assert RoutingDecision.objects.filter(kind="lead").count() == 9
    assert {t.user_id: t.count for t in RoutingTally.objects.all()} == {s.pk: 3 for s in sdrs}
    assert all(Lead.objects.get(pk=lead.pk).owner_id == lead.owner_id for lead in leads)
    assert Notification.objects.filter(verb="lead_assigned").count() == 9


def test_new_companies_in_one_batch_share_one_new_account(sdrs):
    leads = leads_capture([CaptureRequest({"name": f"N{i}", "email": f"n{i}@newco.io", "company": "NewCo GmbH"})
                           for i in range(3)])  # fmt: skip
    assert len({lead.account_id for lead in leads}) == 1
    assert Account.objects.get().domain == "newco.io"


def test_an_account_matched_by_name_takes_the_domain_once(sdrs):
    lead_capture({"name": "A", "phone": "+8613800138000", "company": "Acme Ltd"})
    assert Account.objects.get().domain == ""
    leads_capture([CaptureRequest({"name": "B", "email": "b@acme.example", "company": "ACME Limited"}),
                   CaptureRequest({"name": "C", "email": "c@acme.example", "company": "Acme"})])  # fmt: skip
    account = Account.objects.get()
    assert account.domain == "acme.example"
    assert Lead.objects.filter(account=account).count() == 3


def test_one_invalid_capture_stores_nothing_and_names_the_item(sdrs):
    requests = [CaptureRequest(_data(0)), CaptureRequest({"name": "", "email": "not-an-email"}),
                CaptureRequest(_data(2, source="carrier-pigeon"))]  # fmt: skip
    with pytest.raises(InvalidInput) as exc:
        leads_capture(requests)
    assert "2 of 3 items are not valid, nothing was stored" in exc.value.message
    assert "item 1:" in exc.value.message and "item 2:" in exc.value.message
    assert set(exc.value.details["items"]) == {"1", "2"}
    assert Lead.objects.count() == Account.objects.count() == LeadEvent.objects.count() == 0


def test_touches_in_bulk_start_work_keep_the_first_touch_and_rescore_on_behaviour(sdrs):
    lead, other = leads_capture([CaptureRequest(_data(1), at=T0), CaptureRequest(_data(2), at=T0)])
    sdr = {s.pk: s for s in sdrs}
    touches = touches_log([
        TouchRequest(lead, sdr[lead.owner_id], "call", "no_answer", T0 + timedelta(hours=2)),
        TouchRequest(lead, sdr[lead.owner_id], "call", "connected", T0 + timedelta(hours=1), 300),
        TouchRequest(other, sdr[other.owner_id], "email", "sent", T0 + timedelta(hours=3)),
    ])  # fmt: skip
    assert len(touches) == 3 and all(t.pk for t in touches)
    lead.refresh_from_db()
    other.refresh_from_db()
    assert lead.status == other.status == LeadStatus.WORKING
    assert lead.first_touch_at == T0 + timedelta(hours=1)  # the earliest, though logged second
    starts = LeadEvent.objects.filter(lead=lead, kind="status", to_status="working")
    assert [e.occurred_at for e in starts] == [T0 + timedelta(hours=1)]
    # A real conversation moves the score (one snapshot at the latest behaviour); a sent e-mail cannot.
    assert ScoreSnapshot.objects.filter(lead=lead, trigger="touch").count() == 1
    assert ScoreSnapshot.objects.filter(lead=other, trigger="touch").count() == 0
    assert lead.score > other.score


def test_a_bad_touch_in_a_batch_stores_none_of_them(sdrs):
    lead = lead_capture(_data(1), at=T0)
    sdr = next(s for s in sdrs if s.pk == lead.owner_id)
    with pytest.raises(InvalidInput) as exc:
        touches_log([TouchRequest(lead, sdr, "call", "connected", T0 + timedelta(hours=1), 300),
                     TouchRequest(lead, sdr, "fax", "sent", T0 + timedelta(hours=2))])  # fmt: skip
    assert "item 1: the touch is not valid: channel: unknown channel 'fax'" in exc.value.message
    with pytest.raises(NotAllowed):
        stranger = next(s for s in sdrs if s.pk != lead.owner_id)
        touches_log([TouchRequest(lead, stranger, "call", "no_answer", T0 + timedelta(hours=1))])
    assert Touch.objects.count() == 0
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_transitions_in_bulk_apply_in_order_and_an_illegal_one_refuses_the_batch(sdrs):
    a, b = leads_capture([CaptureRequest(_data(1), at=T0), CaptureRequest(_data(2), at=T0)])
    at = T0 + timedelta(hours=1)
    leads_transition([TransitionRequest(a, LeadStatus.WORKING, at=at),
                      TransitionRequest(a, LeadStatus.NURTURING, reason="later", at=at),
                      TransitionRequest(b, LeadStatus.WORKING, at=at)])  # fmt: skip
    assert Lead.objects.get(pk=a.pk).status == LeadStatus.NURTURING
    assert Lead.objects.get(pk=b.pk).status == LeadStatus.WORKING
    before = LeadEvent.objects.count()
    with pytest.raises(IllegalTransition):
        leads_transition([TransitionRequest(b, LeadStatus.NURTURING, reason="x", at=at),
                          TransitionRequest(a, LeadStatus.SQL, at=at)])  # fmt: skip
    assert Lead.objects.get(pk=b.pk).status == LeadStatus.WORKING
    assert LeadEvent.objects.count() == before


def test_bulk_disqualification_checks_every_actor(sdrs):
    a, b = leads_capture([CaptureRequest(_data(1), at=T0), CaptureRequest(_data(2), at=T0)])
    owner = {s.pk: s for s in sdrs}
    with pytest.raises(NotAllowed):
        leads_disqualify([TransitionRequest(a, "", owner[a.owner_id], "spam"),
                          TransitionRequest(b, "", owner[a.owner_id], "spam")])  # fmt: skip
    assert Lead.objects.filter(status=LeadStatus.DISQUALIFIED).count() == 0
    leads_disqualify([TransitionRequest(a, "", owner[a.owner_id], "spam"),
                      TransitionRequest(b, "", owner[b.owner_id], "spam")])  # fmt: skip
    assert set(Lead.objects.values_list("status", "disqualified_reason")) == {
        (LeadStatus.DISQUALIFIED, "spam")
    }


def test_accounts_match_by_domain_name_and_similar_name_and_say_how(sdrs):
    a = leads_capture(
        [CaptureRequest({"name": "A", "email": "a@northwind.cn", "company": "Northwind Traders Ltd"})]
    )[0]
    assert a.account_match["method"] == "new"
    same_domain, same_name, similar, other = leads_capture([
        CaptureRequest({"name": "B", "email": "b@northwind.cn", "company": "NW"}),
        CaptureRequest({"name": "C", "phone": "+8613800138001", "company": "Northwind Traders Limited"}),
        CaptureRequest({"name": "D", "phone": "+8613800138002", "company": "Northwnd Traders"}),
        CaptureRequest({"name": "E", "email": "e@southwind.cn", "company": "Southwind Shipping"}),
    ])  # fmt: skip
    assert (same_domain.account_id, same_domain.account_match["method"]) == (a.account_id, "domain")
    assert (same_name.account_id, same_name.account_match["method"]) == (a.account_id, "name")
    assert (similar.account_id, similar.account_match["method"]) == (a.account_id, "fuzzy")
    assert 90 <= similar.account_match["score"] < 100 and similar.account_match["reasons"]
    assert other.account_id != a.account_id and other.account_match["method"] == "new"
    assert Account.objects.count() == 2
    assert Lead.objects.get(pk=similar.pk).account_match["method"] == "fuzzy"  # stored


def test_seniority_comes_from_the_title_on_capture_and_import(sdrs, tmp_path):
    from baton.core.normalize import SENIORITY_ORDER
    from baton.imports.services import import_leads
    from baton.leads.models import Seniority
    from baton.scoring.services import lead_facts

    assert tuple(Seniority.values) == SENIORITY_ORDER
    lead = leads_capture([CaptureRequest({"name": "A", "email": "a@x.cn", "title": "销售副总裁"})])[0]
    assert Lead.objects.get(pk=lead.pk).seniority == "vp"
    assert lead_facts(lead)["seniority"] == "vp"
    path = tmp_path / "s.csv"
    path.write_text("name,email,title\nB,b@y.cn,Head of Sales\n", encoding="utf-8")
    import_leads(path, mapping="baton", assign="pool")
    assert Lead.objects.get(email="b@y.cn").seniority == "director"
