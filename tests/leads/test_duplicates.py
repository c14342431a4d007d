"""Duplicates: suspected on capture and import, merged with the survivor rule, history kept."""

from datetime import UTC, datetime, timedelta

import pytest

from baton import clock
from baton.core.errors import Conflict, InvalidInput, NotAllowed
from baton.leads.duplicates import duplicate_dismiss, duplicates_detect, leads_merge
from baton.leads.models import DuplicateCandidate, Lead, LeadEvent, Touch
from baton.leads.selectors import duplicates_open, public_pool, sdr_queue
from baton.leads.services import lead_capture, touch_log
from baton.org.services import team_create, user_create

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def people(db):
    team = team_create("Inbound", "sdr_inbound")
    return {
        "admin": user_create("admin", None, roles=["ops_admin"]),
        "sdr1": user_create("sdr1", None, roles=["sdr_inbound"], team=team),
        "sdr2": user_create("sdr2", None, roles=["sdr_inbound"], team=team),
    }


@pytest.fixture(autouse=True)
def _clock():
    clock.set_frozen(T0 + timedelta(days=2))
    yield
    clock.set_frozen(None)


def capture(at_minutes: int, **data) -> Lead:
    return lead_capture({"source": "seo", **data}, at=T0 + timedelta(minutes=at_minutes))


def test_capture_finds_the_same_person_by_email_phone_and_fuzzy_name_at_the_same_company(people):
    first = capture(0, name="Wang Xiaoming", email="xm.wang@acme.cn", company="Acme Ltd", title="CTO")
    by_email = capture(1, name="Xiaoming Wang", email="XM.Wang@acme.cn")
    by_name = capture(2, name="Wang Xiaomin", email="wxm@acme.cn", company="ACME Limited")
    other = capture(3, name="Li Lei", email="li.lei@acme.cn", company="Acme Ltd")
    pairs = {(p.lead_id, p.other_id): p for p in DuplicateCandidate.objects.all()}
    assert pairs[(by_email.pk, first.pk)].method == "email" and pairs[(by_email.pk, first.pk)].score == 100
    assert (by_name.pk, first.pk) in pairs and pairs[(by_name.pk, first.pk)].method == "domain_name"
    assert not any(other.pk in pair for pair in pairs)  # a colleague is not a duplicate
    assert all(p.reasons for p in pairs.values())
    # Detection is idempotent: running it again adds nothing.
    assert duplicates_detect([by_email, by_name]) == []


def test_merge_keeps_the_whole_history_on_the_survivor_and_fills_empty_fields(people):
    older = capture(0, name="Chen Jing", email="chen.jing@foo.cn", company="Foo Co")
    newer = capture(30, name="Chen Jing", phone="13800138000", email="chen.jing@foo.cn", title="采购经理")
    owner = people["sdr1"] if older.owner_id == people["sdr1"].pk else people["sdr2"]
    touch_log(older, owner, channel="call", outcome="connected", duration_seconds=300,
              occurred_at=T0 + timedelta(hours=1))  # fmt: skip
    events_before = LeadEvent.objects.filter(lead__in=[older, newer]).count()
    survivor = leads_merge([newer.pk, older.pk], actor=people["admin"])
    assert survivor.pk == older.pk  # worked (status working) beats new
    survivor.refresh_from_db()
    assert (survivor.phone, survivor.title) == ("+8613800138000", "采购经理")  # filled, never overwritten
    assert Lead.objects.get(pk=newer.pk).merged_into_id == older.pk
    assert LeadEvent.objects.filter(lead=survivor).count() == events_before + 2  # + merged + scored
    assert Touch.objects.filter(lead=survivor).count() == 1
    merged = LeadEvent.objects.get(lead=survivor, kind="merged")
    assert merged.data["merged"][0]["id"] == newer.pk and "phone" in merged.data["filled"]
    assert DuplicateCandidate.objects.get().status == "merged"
    assert newer.pk not in {lead.pk for lead in public_pool()}
    assert newer.pk not in {lead.pk for lead in sdr_queue(people["sdr1"])}
    assert newer.pk not in {lead.pk for lead in sdr_queue(people["sdr2"])}


def test_merge_refusals(people):
    a = capture(0, name="Zhao Lei", email="zl@bar.cn")
    b = capture(1, name="Zhao Lei", email="zl@bar.cn")
    with pytest.raises(InvalidInput):
        leads_merge([a.pk], actor=people["admin"])
    with pytest.raises(InvalidInput):
        leads_merge([a.pk, 999999], actor=people["admin"])
    with pytest.raises(InvalidInput):
        leads_merge([a.pk, b.pk], actor=people["admin"], survivor_id=12345)
    if a.owner_id != b.owner_id:
        with pytest.raises(NotAllowed):
            leads_merge([a.pk, b.pk], actor=people["sdr1"])
    leads_merge([a.pk, b.pk], actor=people["admin"], survivor_id=b.pk)
    with pytest.raises(Conflict):
        leads_merge([a.pk, b.pk], actor=people["admin"])
    assert Lead.objects.get(pk=a.pk).merged_into_id == b.pk


def test_dismissing_a_pair_and_the_review_list(people):
    a = capture(0, name="Sun Li", email="sun.li@qux.cn", company="Qux")
    b = capture(1, name="Sun Li", email="sun.li@qux.cn", company="Qux")
    pair = DuplicateCandidate.objects.get()
    assert [p.pk for p in duplicates_open(people["admin"])] == [pair.pk]
    duplicate_dismiss(pair.pk, actor=people["admin"])
    assert list(duplicates_open(people["admin"])) == []
    with pytest.raises(Conflict):
        duplicate_dismiss(pair.pk, actor=people["admin"])
    assert Lead.objects.filter(pk__in=[a.pk, b.pk], merged_into=None).count() == 2


def test_the_duplicates_page_merges_and_dismisses(people, client):
    a = capture(0, name="Zhou Min", email="zhou.min@corp.cn", company="Corp")
    b = capture(5, name="Zhou Min", email="zhou.min@corp.cn", company="Corp", title="IT经理")
    c = capture(6, name="Qian Yu", email="qy@other.cn", company="Other")
    d = capture(7, name="Qian Yu", email="qy@other.cn", company="Other")
    client.force_login(people["admin"])
    page = client.get("/leads/duplicates/")
    assert page.status_code == 200
    assert b"Zhou Min" in page.content and b"Qian Yu" in page.content
    first, second = DuplicateCandidate.objects.order_by("pk")
    r = client.post(f"/leads/duplicates/{first.pk}/", {"action": "merge", "survivor": str(a.pk)},
                    headers={"HX-Request": "true"})  # fmt: skip
    assert r.status_code == 200 and f'href="/leads/{b.pk}/"'.encode() not in r.content
    assert b"Merged into Zhou Min" in r.content
    assert Lead.objects.get(pk=b.pk).merged_into_id == a.pk
    assert Lead.objects.get(pk=a.pk).title == "IT经理"
    timeline = client.get(f"/leads/{a.pk}/")
    assert b"Duplicate merged in" in timeline.content and b"zhou.min@corp.cn" in timeline.content
    r = client.post(f"/leads/duplicates/{second.pk}/", {"action": "dismiss"})
    assert r.status_code == 302
    assert DuplicateCandidate.objects.get(pk=second.pk).status == "dismissed"
    assert Lead.objects.filter(pk__in=[c.pk, d.pk], merged_into=None).count() == 2
    # An SDR cannot act on pairs they cannot see.
    client.force_login(people["sdr1"])
    hidden = client.post(f"/leads/duplicates/{first.pk}/", {"action": "dismiss"})
    assert hidden.status_code in (404, 409)


def test_the_api_lists_merges_and_dismisses(people):
    from api_client import Api

    from baton.org.services import token_create

    a = capture(0, name="Ma Li", email="ma.li@sky.cn", company="Sky")
    b = capture(1, name="Ma Li", email="ma.li@sky.cn", company="Sky")
    api = Api(token_create(people["admin"]))
    pairs = api.get("/leads/duplicates").json()
    assert [(p["lead_id"], p["other_id"], p["method"]) for p in pairs] == [(b.pk, a.pk, "email")]
    assert api.post("/leads/merge", {"lead_ids": [a.pk]}).status_code == 422
    assert api.post("/leads/merge", {"lead_ids": [a.pk, 10**9]}).status_code == 404
    assert api.post("/leads/merge", {"lead_ids": [a.pk, b.pk], "surviver": a.pk}).status_code == 422
    r = api.post("/leads/merge", {"lead_ids": [a.pk, b.pk], "survivor_id": b.pk})
    assert r.status_code == 200 and r.json()["id"] == b.pk
    assert api.post("/leads/merge", {"lead_ids": [a.pk, b.pk]}).status_code == 409
    assert api.get("/leads/duplicates").json() == []
    assert api.post(f"/leads/duplicates/{pairs[0]['id']}/dismiss").status_code == 404  # already merged
