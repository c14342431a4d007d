"""behaviour_record: bulk, all or nothing, idempotent by external id, lookups, timeline, tag rules, queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from baton import clock
from baton.behaviour.models import BehaviourEvent
from baton.behaviour.selectors import behaviour_counts, behaviour_tallies
from baton.behaviour.services import BehaviourRequest, behaviour_event_record, behaviour_record
from baton.core.errors import InvalidInput, NotAllowed
from baton.core.tagging import BehaviourNeed
from baton.leads.models import Lead, LeadEvent
from baton.tags.models import LeadTag
from baton.tags.services import tagrule_create

from .conftest import NOW, T0, capture


def visit(lead=None, *, at=None, ext="", **kw) -> BehaviourRequest:
    kw.setdefault("detail", {"url": "https://example.com/pricing", "title": "Pricing"})
    if lead is not None:
        kw["lead_id"] = lead.pk
    return BehaviourRequest(
        kw.pop("kind", "page_visit"), at or T0 + timedelta(hours=1), external_id=ext, **kw
    )


def test_events_are_stored_with_their_timeline_entries(org, leads):
    result = behaviour_record(
        [
            BehaviourRequest("signup", T0 + timedelta(minutes=5), lead_id=leads.sam.pk, channel="wechat"),
            visit(leads.sam, data={"utm_source": "baidu"}, ext="v-1"),
            BehaviourRequest("content_download", T0 + timedelta(hours=2), email="buyer2@acme2.com",
                             detail={"title": "MES white paper", "campaign": "Q4 manufacturing"}),
        ],
        actor=org.marketer,
    )  # fmt: skip
    assert [i.status for i in result.items] == ["created"] * 3
    assert [i.lead_id for i in result.items] == [leads.sam.pk, leads.sam.pk, leads.wang.pk]
    signup, page, download = BehaviourEvent.objects.order_by("pk")
    assert (signup.kind, signup.channel, signup.occurred_at, signup.received_at) == ("signup", "wechat",
                                                                                     T0 + timedelta(minutes=5), NOW)  # fmt: skip
    assert (page.url, page.title, page.data, page.external_id, page.source) == (
        "https://example.com/pricing", "Pricing", {"utm_source": "baidu"}, "v-1", "api",
    )  # fmt: skip
    assert download.detail == {"title": "MES white paper", "campaign": "Q4 manufacturing"}
    assert {e.recorded_by for e in (signup, page, download)} == {org.marketer}
    timeline = LeadEvent.objects.filter(kind=LeadEvent.Kind.BEHAVIOUR).order_by("occurred_at")
    assert [(e.lead_id, e.data["kind"], e.occurred_at, e.actor) for e in timeline] == [
        (leads.sam.pk, "signup", signup.occurred_at, org.marketer),
        (leads.sam.pk, "page_visit", page.occurred_at, org.marketer),
        (leads.wang.pk, "content_download", download.occurred_at, org.marketer),
    ]
    assert timeline[2].data == {"behaviour_id": download.pk, "kind": "content_download", "channel": "",
                                "detail": {"title": "MES white paper", "campaign": "Q4 manufacturing"}}  # fmt: skip


def test_leads_are_found_by_email_in_any_case_by_phone_in_any_format_and_through_merges(org, leads):
    survivor = leads.wang
    duplicate = capture(3, email="Li.Na@Example.com")
    Lead.objects.filter(pk=duplicate.pk).update(merged_into=survivor)
    one, two = sorted([leads.sam, leads.wang], key=lambda lead: lead.email)  # buyer1@acme1.com, buyer2@…
    result = behaviour_record([
        visit(email="BUYER1@ACME1.COM"),
        visit(phone="138-0000-0002"),
        visit(email="li.na@example.com"),
        visit(duplicate),
        visit(email="nobody@acme1.com", phone="+86 138 0000 0001"),  # the e-mail finds nothing: the phone does
    ])  # fmt: skip
    assert [i.lead_id for i in result.items] == [one.pk, two.pk, survivor.pk, survivor.pk, one.pk]


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (BehaviourRequest("tweet", T0 + timedelta(hours=1), lead_id=0), "kind: unknown kind 'tweet'; expected one of signup"),
        (BehaviourRequest("page_visit", NOW + timedelta(hours=1), email="buyer1@acme1.com"), "occurred_at: is in the future"),
        (BehaviourRequest("page_visit", T0 - timedelta(days=3), email="buyer1@acme1.com"), "occurred_at: is before the lead was created"),
        (BehaviourRequest("page_visit", T0.replace(tzinfo=None) + timedelta(hours=1), email="buyer1@acme1.com"), "needs a UTC offset"),
        (BehaviourRequest("page_visit", T0 + timedelta(hours=1), email="nobody@nowhere.com"), "lead: no lead with e-mail nobody@nowhere.com"),
        (BehaviourRequest("page_visit", T0 + timedelta(hours=1), lead_id=999999), "lead: lead 999999 does not exist or is not visible to you"),
        (BehaviourRequest("page_visit", T0 + timedelta(hours=1)), "lead: give lead_id, or an email and/or a phone"),
        (BehaviourRequest("page_visit", T0 + timedelta(hours=1), lead_id=1, email="a@b.com"), "not both"),
        (BehaviourRequest("page_visit", T0 + timedelta(hours=1), email="not-an-email"), "email:"),
        (BehaviourRequest("signup", T0 + timedelta(hours=1), email="buyer1@acme1.com"), "channel: a signup needs its channel"),
        (BehaviourRequest("page_visit", T0 + timedelta(hours=1), email="buyer1@acme1.com", detail={"colour": "red"}), "detail: unknown key(s) colour"),
        (BehaviourRequest("page_visit", T0 + timedelta(hours=1), email="buyer1@acme1.com", detail={"title": "x" * 301}), "detail.title: longer than 300"),
        (BehaviourRequest("page_visit", T0 + timedelta(hours=1), email="buyer1@acme1.com", data={"x": "y" * 10_001}), "data: larger than 10000"),
        (BehaviourRequest("page_visit", T0 + timedelta(hours=1), email="buyer1@acme1.com", data={"x": object()}), "data: must be plain JSON"),
        (BehaviourRequest("page_visit", T0 + timedelta(hours=1), email="buyer1@acme1.com", external_id="e" * 201), "external_id: longer than 200"),
    ],
)  # fmt: skip
def test_one_bad_item_refuses_the_batch_and_names_it(org, leads, request_, message):
    good = visit(leads.sam)
    with pytest.raises(InvalidInput) as exc:
        behaviour_record([good, good, request_], actor=org.admin)
    assert "1 of 3 items are not valid, nothing was stored: item 2: " in exc.value.message
    assert message in exc.value.message, exc.value.message
    assert list(exc.value.details["items"]) == ["2"]
    assert not BehaviourEvent.objects.exists()
    assert not LeadEvent.objects.filter(kind="behaviour").exists()
    with pytest.raises(InvalidInput, match="^the event is not valid: "):
        behaviour_record([request_], actor=org.admin)


def test_every_bad_item_is_named(org, leads):
    batch = [
        visit(leads.sam, kind="tweet"),
        visit(leads.sam),
        visit(email="x@nowhere.com"),
        visit(leads.sam, at=NOW + timedelta(days=1)),
    ]
    with pytest.raises(InvalidInput) as exc:
        behaviour_record(batch)
    assert exc.value.message.startswith("3 of 4 items are not valid")
    assert sorted(exc.value.details["items"]) == ["0", "2", "3"]


def test_unknown_leads_can_be_skipped_and_reported(org, leads):
    result = behaviour_record(
        [visit(email="x@nowhere.com"), visit(leads.sam), visit(lead_id=424242)], skip_unknown_leads=True
    )
    assert [(i.status, i.reason) for i in result.items] == [
        ("unmatched", "no lead with e-mail x@nowhere.com"),
        ("created", ""),
        ("unmatched", "lead 424242 does not exist or is not visible to you"),
    ]
    assert BehaviourEvent.objects.count() == 1
    # Skipping covers unknown leads only: other problems still refuse the batch.
    with pytest.raises(InvalidInput, match="item 1: kind"):
        behaviour_record(
            [visit(email="x@nowhere.com"), visit(leads.sam, kind="tweet")], skip_unknown_leads=True
        )


def test_a_replayed_batch_creates_nothing(org, leads):
    batch = [visit(leads.sam, ext="a"), visit(leads.sam, ext="b"), visit(leads.wang, ext="a"),
             visit(leads.sam, ext="a", kind="email_open"), visit(leads.sam)]  # fmt: skip
    first = behaviour_record(batch)
    assert [i.status for i in first.items] == ["created"] * 5
    events_before = LeadEvent.objects.count()
    again = behaviour_record(batch)
    # The item without an external id cannot be recognised: it is recorded again.
    assert [i.status for i in again.items] == ["duplicate"] * 4 + ["created"]
    assert [i.event_id for i in again.items[:4]] == [i.event_id for i in first.items[:4]]
    assert BehaviourEvent.objects.count() == 6
    assert LeadEvent.objects.count() == events_before + 1


def test_a_repeat_within_one_batch_is_a_duplicate_of_its_first_occurrence(org, leads):
    result = behaviour_record(
        [visit(leads.sam, ext="x"), visit(leads.sam, ext="x"), visit(leads.sam, ext="y")]
    )
    assert [i.status for i in result.items] == ["created", "duplicate", "created"]
    assert result.items[1].event_id == result.items[0].event_id
    assert BehaviourEvent.objects.count() == 2


def test_who_may_record_and_what_an_sdr_can_reach(org, leads):
    with pytest.raises(NotAllowed, match="marketers, SDRs and admins"):
        behaviour_record([visit(leads.sam)], actor=org.ae)
    # An SDR finds their own leads and the pool; another SDR's lead is unknown to them.
    result = behaviour_record([visit(leads.sam), visit(leads.pool), visit(leads.wang)], actor=org.sdr,
                              skip_unknown_leads=True)  # fmt: skip
    assert [i.status for i in result.items] == ["created", "created", "unmatched"]
    with pytest.raises(
        InvalidInput, match=f"^the event is not valid: lead: no lead with e-mail {leads.wang.email}"
    ):
        behaviour_record([visit(email=leads.wang.email)], actor=org.sdr)
    assert behaviour_record([visit(email=leads.wang.email)], actor=org.marketer).count("created") == 1


def test_the_single_item_service_wraps_the_bulk_one(org, leads):
    event = behaviour_event_record("email_click", lead_id=leads.sam.pk, occurred_at=T0 + timedelta(hours=3),
                                   detail={"url": "https://x.cn/a"}, external_id="c1")  # fmt: skip
    assert event.kind == "email_click" and event.url == "https://x.cn/a"
    assert behaviour_event_record("email_click", lead_id=leads.sam.pk, external_id="c1") is None


def test_counts_by_kind_in_one_grouped_query(org, leads):
    behaviour_record([visit(leads.sam), visit(leads.sam, at=T0 + timedelta(hours=20)), visit(leads.sam, kind="email_open"),
                      visit(leads.wang, kind="email_open")])  # fmt: skip
    ids = [leads.sam.pk, leads.wang.pk, leads.pool.pk]
    with CaptureQueriesContext(connection) as q:
        counts = behaviour_counts(ids)
    assert len(q) == 1
    assert counts[leads.sam.pk]["page_visit"] == 2 and counts[leads.sam.pk]["email_open"] == 1
    assert counts[leads.wang.pk]["email_open"] == 1 and counts[leads.wang.pk]["page_visit"] == 0
    assert set(counts[leads.pool.pk].values()) == {0} and len(counts[leads.pool.pk]) == 7
    assert behaviour_counts(ids, since=T0 + timedelta(hours=10))[leads.sam.pk]["page_visit"] == 1
    tallies = behaviour_tallies(ids, [BehaviourNeed("page_visit", 1), BehaviourNeed("page_visit", None, "pricing")],
                                NOW + timedelta(hours=12))  # fmt: skip
    assert tallies[leads.sam.pk] == {"page_visit@1d": 1, "page_visit~pricing": 2}
    assert tallies[leads.pool.pk] == {}


def test_tag_rules_run_for_the_touched_leads(org, leads):
    tagrule_create(org.admin, name="Engaged manufacturer", tag="hot-manufacturing", condition={
        "all": [{"field": "industry", "op": "eq", "value": "manufacturing"},
                {"behaviour": "content_download", "op": "gte", "value": 2}]})  # fmt: skip
    first = behaviour_record([visit(leads.sam, kind="content_download", ext="d1")])
    assert first.tag_changes == [] and not LeadTag.objects.exists()
    second = behaviour_record([visit(leads.sam, kind="content_download", ext="d2"), visit(leads.wang)])
    assert [(c.lead_id, c.tag, c.action, c.rule) for c in second.tag_changes] == [
        (leads.sam.pk, "hot-manufacturing", "added", "Engaged manufacturer")
    ]
    tagged = LeadEvent.objects.get(kind=LeadEvent.Kind.TAGGED)
    assert tagged.lead_id == leads.sam.pk and tagged.actor is None
    assert tagged.data["why"].endswith("content_download ≥ 2: yes (2)]: yes")


def _batch(leads_, n: int) -> list[BehaviourRequest]:
    out = []
    for i in range(n):
        lead = leads_[i % len(leads_)]
        kind = ("page_visit", "content_download", "email_open")[(i // len(leads_)) % 3]
        if i % 2:
            out.append(
                BehaviourRequest(kind, T0 + timedelta(minutes=i), email=lead.email, external_id=f"e{i}")
            )
        else:
            out.append(
                BehaviourRequest(kind, T0 + timedelta(minutes=i), lead_id=lead.pk, external_id=f"e{i}")
            )
    return out


def test_the_number_of_queries_does_not_grow_with_the_batch(org):
    many = [capture(n) for n in range(10, 40)]
    tagrule_create(org.admin, name="Downloader", tag="downloader",
                   condition={"behaviour": "content_download", "within_days": 30, "op": "gte", "value": 1})  # fmt: skip
    tagrule_create(
        org.admin, name="Visitor", tag="visitor", condition={"behaviour": "page_visit", "op": "present"}
    )

    def queries(batch) -> int:
        with CaptureQueriesContext(connection) as q:
            behaviour_record(batch, actor=org.marketer)
        return len(q)

    org.marketer.role_set()  # the roles are read once per user object
    small = queries(_batch(many[:3], 6))
    large = queries(_batch(many[3:], 300))
    assert large == small, (small, large)
    assert LeadTag.objects.filter(tag__name="downloader").count() == 30
    replay = queries(_batch(many[3:], 300))
    assert replay <= large
    assert BehaviourEvent.objects.count() == 306


def test_lookups_and_inserts_go_by_500(org, leads):
    batch = [visit(leads.sam, at=T0 + timedelta(seconds=i), ext=f"x{i}") for i in range(1201)]
    with CaptureQueriesContext(connection) as q:
        behaviour_record(batch)
    inserts = [
        s["sql"] for s in q.captured_queries if s["sql"].startswith('INSERT INTO "behaviour_behaviourevent"')
    ]
    assert len(inserts) == 3
    assert BehaviourEvent.objects.count() == 1201
    with clock.travel_to(NOW + timedelta(minutes=1)):
        assert behaviour_record(batch).count("duplicate") == 1201
