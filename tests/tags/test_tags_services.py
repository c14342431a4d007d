"""Tag services: manual tagging in bulk, tags, rules (validated, admins), applying rules in bulk."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from baton import clock
from baton.behaviour.services import BehaviourRequest, behaviour_record
from baton.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from baton.leads.models import Lead, LeadEvent
from baton.org.models import AuditLog
from baton.tags.models import LeadTag, Tag, TagRule
from baton.tags.services import (
    tag_create,
    tag_rules_apply,
    tag_rules_apply_all,
    tagrule_create,
    tagrule_update,
    tags_add,
    tags_remove,
)

from .conftest import NOW, T0, capture

DOWNLOADS_2 = {"behaviour": "content_download", "op": "gte", "value": 2}


def tags_of(lead) -> list[tuple[str, str]]:
    return sorted(LeadTag.objects.filter(lead=lead).values_list("tag__name", "source"))


def downloads(lead, n: int, *, at=None, title="MES white paper"):
    at = at or T0 + timedelta(hours=1)
    behaviour_record([BehaviourRequest("content_download", at + timedelta(minutes=i), lead_id=lead.pk,
                                       detail={"title": title}) for i in range(n)])  # fmt: skip


# --- Manual tags -----------------------------------------------------------------------------------


def test_tag_leads_by_hand_in_bulk(org, leads):
    changes = tags_add([leads.sam.pk, leads.pool.pk], ["Manufacturing", "East China", "CTO"], org.sdr)
    assert len(changes) == 6 and {c.action for c in changes} == {"added"}
    assert tags_of(leads.sam) == [("CTO", "manual"), ("East China", "manual"), ("Manufacturing", "manual")]
    assert Tag.objects.filter(kind="manual").count() == 3
    lt = LeadTag.objects.get(lead=leads.sam, tag__name="CTO")
    assert (lt.added_by, lt.added_at, lt.rule) == (org.sdr, NOW, None)
    events = LeadEvent.objects.filter(kind=LeadEvent.Kind.TAGGED, lead=leads.sam).order_by("pk")
    assert [e.data for e in events] == [{"action": "added", "tag": t, "source": "manual"}
                                        for t in ("Manufacturing", "East China", "CTO")]  # fmt: skip
    assert {e.actor for e in events} == {org.sdr}
    # Names match whatever their letter case and spacing; a tag a lead has already is left alone.
    again = tags_add([leads.sam.pk], ["manufacturing", " east   china ", "VIP"], org.sdr)
    assert [(c.tag, c.lead_id) for c in again] == [("VIP", leads.sam.pk)]
    assert Tag.objects.count() == 4


def test_tagging_needs_a_visible_lead_and_good_names(org, leads):
    with pytest.raises(NotFound, match=f"lead {leads.wang.pk} does not exist or is not visible to you"):
        tags_add([leads.sam.pk, leads.wang.pk], ["VIP"], org.sdr)
    assert not LeadTag.objects.exists() and not Tag.objects.exists()
    with pytest.raises(InvalidInput, match="may not contain '/'"):
        tags_add([leads.sam.pk], ["a/b"], org.sdr)
    with pytest.raises(InvalidInput, match="longer than 60 characters"):
        tags_add([leads.sam.pk], ["x" * 61], org.sdr)
    with pytest.raises(InvalidInput, match="a tag needs a name"):
        tags_add([leads.sam.pk], ["  "], org.sdr)
    with pytest.raises(InvalidInput, match="give at least one tag name"):
        tags_add([leads.sam.pk], [], org.sdr)
    with pytest.raises(InvalidInput, match="give at least one lead"):
        tags_add([], ["VIP"], org.sdr)


def test_remove_tags_by_hand(org, leads):
    tags_add([leads.sam.pk, leads.pool.pk], ["VIP", "CTO"], org.admin)
    changes = tags_remove([leads.sam.pk, leads.pool.pk], ["vip"], org.sdr)
    assert sorted(c.lead_id for c in changes) == sorted([leads.sam.pk, leads.pool.pk])
    assert tags_of(leads.sam) == [("CTO", "manual")]
    assert LeadEvent.objects.filter(kind="tagged", data__action="removed").count() == 2
    assert tags_remove([leads.sam.pk], ["VIP"], org.sdr) == []  # nothing left to remove
    with pytest.raises(NotFound, match="no tag named 'Nope'"):
        tags_remove([leads.sam.pk], ["Nope"], org.sdr)


def test_tags_are_unique_whatever_the_case(org):
    tag = tag_create("Key Account", org.sdr, colour="red")
    assert (tag.key, tag.colour, tag.kind) == ("key account", "red", "manual")
    with pytest.raises(Conflict, match="a tag named 'Key Account' already exists") as exc:
        tag_create("key  ACCOUNT", org.sdr)
    assert exc.value.code == "duplicate_tag"
    with pytest.raises(InvalidInput, match="unknown colour 'pink'"):
        tag_create("Other", org.sdr, colour="pink")
    with pytest.raises(NotAllowed):
        tag_create("hot", org.sdr, kind="auto")
    assert AuditLog.objects.filter(action="tags.tag_create").count() == 1


def test_manual_tagging_costs_the_same_for_2_or_60_leads(org):
    many = [capture(n) for n in range(10, 72)]
    ids = [lead.pk for lead in many]

    def queries(lead_ids, names) -> int:
        with CaptureQueriesContext(connection) as q:
            tags_add(lead_ids, names, org.admin)
        return len(q)

    org.admin.role_set()
    assert queries(ids[:2], ["a", "b"]) == queries(ids[2:], ["c", "d", "e"])
    with CaptureQueriesContext(connection) as q:
        tags_remove(ids, ["a", "c", "d"], org.admin)
    assert len(q) <= 8


# --- Rules -----------------------------------------------------------------------------------------


def test_rules_are_validated_and_for_admins(org):
    with pytest.raises(NotAllowed, match="only admins"):
        tagrule_create(org.marketer, name="r", tag="hot", condition=DOWNLOADS_2)
    with pytest.raises(
        InvalidInput, match=r"the condition is not valid: condition.op: unknown op 'regex'"
    ) as exc:
        tagrule_create(
            org.admin, name="r", tag="hot", condition={"field": "title", "op": "regex", "value": "x"}
        )
    assert exc.value.code == "invalid_condition"
    assert exc.value.details["fields"]["condition"][0].startswith("condition.op")
    with pytest.raises(InvalidInput, match="condition: must be an object"):
        tagrule_create(org.admin, name="r", tag="hot", condition="downloads >= 2")
    tag_create("VIP", org.admin)
    with pytest.raises(InvalidInput, match="'VIP' is a manual tag"):
        tagrule_create(org.admin, name="r", tag="vip", condition=DOWNLOADS_2)
    rule = tagrule_create(org.admin, name="Two downloads", tag="hot", condition=DOWNLOADS_2)
    assert (rule.tag.kind, rule.tag.colour, rule.position, rule.active) == ("auto", "violet", 10, True)
    assert tagrule_create(org.admin, name="Other", tag="HOT", condition=DOWNLOADS_2).tag == rule.tag
    with pytest.raises(Conflict, match="a rule named 'Two downloads' already exists"):
        tagrule_create(org.admin, name="Two downloads", tag="x", condition=DOWNLOADS_2)
    assert TagRule.objects.count() == 2 and Tag.objects.filter(kind="auto").count() == 1
    # Rule tags are not for hands.
    with pytest.raises(InvalidInput, match="set and removed by tag rules only") as exc:
        tags_add([capture(5).pk], ["hot"], org.admin)
    assert exc.value.code == "rule_tag"


def test_update_a_rule(org):
    rule = tagrule_create(org.admin, name="Two downloads", tag="hot", condition=DOWNLOADS_2)
    tagrule_update(rule.pk, org.admin, active=False, position=3, tag="warm")
    rule.refresh_from_db()
    assert (rule.active, rule.position, rule.tag.name) == (False, 3, "warm")
    with pytest.raises(InvalidInput, match="unknown field"):
        tagrule_update(rule.pk, org.admin, condition={"field": "mood", "op": "eq", "value": "x"})
    with pytest.raises(NotFound):
        tagrule_update(999, org.admin, active=True)
    with pytest.raises(NotAllowed):
        tagrule_update(rule.pk, org.sdr, active=True)
    assert AuditLog.objects.filter(action="tags.tagrule_update").count() == 1


def test_rules_add_and_remove_their_tags_with_reasons(org, leads):
    rule = tagrule_create(org.admin, name="Manufacturer reading", tag="hot-manufacturing", condition={
        "all": [{"field": "industry", "op": "eq", "value": "Manufacturing"}, DOWNLOADS_2]})  # fmt: skip
    downloads(leads.sam, 2)
    downloads(leads.wang, 1)
    assert tags_of(leads.sam) == [("hot-manufacturing", "rule")] and tags_of(leads.wang) == []
    lt = LeadTag.objects.get(lead=leads.sam)
    assert lt.rule == rule and lt.added_by is None and "content_download ≥ 2: yes (2)" in lt.reason
    # The lead changes industry: the next application removes the tag, with the reason.
    Lead.objects.filter(pk=leads.sam.pk).update(industry="retail")
    changes = tag_rules_apply([leads.sam.pk, leads.wang.pk])
    assert [(c.lead_id, c.tag, c.action, c.rule) for c in changes] == [
        (leads.sam.pk, "hot-manufacturing", "removed", "Manufacturer reading")
    ]
    removed = LeadEvent.objects.filter(kind="tagged", data__action="removed").get()
    assert 'industry = "Manufacturing": no ("retail")' in removed.data["why"]
    assert tags_of(leads.sam) == []
    # An inactive rule's tags go at the next application.
    Lead.objects.filter(pk=leads.sam.pk).update(industry="manufacturing")
    tag_rules_apply([leads.sam.pk])
    assert tags_of(leads.sam) == [("hot-manufacturing", "rule")]
    tagrule_update(rule.pk, org.admin, active=False)
    changes = tag_rules_apply([leads.sam.pk])
    assert [c.action for c in changes] == ["removed"] and tags_of(leads.sam) == []
    assert LeadEvent.objects.filter(kind="tagged", data__action="removed").last().data["why"] == (
        "the rule that set it is no longer active"
    )


def test_the_first_rule_of_a_tag_is_the_one_recorded(org, leads):
    late = tagrule_create(org.admin, name="Any download", tag="reader", position=20,
                          condition={"behaviour": "content_download", "op": "present"})  # fmt: skip
    downloads(leads.sam, 1)
    assert LeadTag.objects.get(lead=leads.sam).rule == late
    early = tagrule_create(org.admin, name="Manufacturing reader", tag="reader", position=10,
                           condition={"all": [{"field": "industry", "op": "eq", "value": "manufacturing"},
                                              {"behaviour": "content_download", "op": "present"}]})  # fmt: skip
    assert tag_rules_apply([leads.sam.pk]) == []  # the tag stays: no change on the timeline
    assert LeadTag.objects.get(lead=leads.sam).rule == early


def test_windows_and_interests_follow_the_clock(org, leads):
    tagrule_create(org.admin, name="Recent MES interest", tag="mes-interest", condition={
        "behaviour": "content_download", "matching": "mes", "within_days": 7, "op": "gte", "value": 1})  # fmt: skip
    downloads(leads.sam, 1, title="CRM buyer's guide")
    assert tags_of(leads.sam) == []
    downloads(leads.sam, 1, title="The MES white paper", at=T0 + timedelta(hours=5))
    assert tags_of(leads.sam) == [("mes-interest", "rule")]
    with clock.travel_to(NOW + timedelta(days=7)):
        assert [c.action for c in tag_rules_apply([leads.sam.pk])] == ["removed"]


def test_applying_rules_costs_the_same_for_3_or_60_leads(org):
    many = [capture(n) for n in range(10, 73)]
    tagrule_create(
        org.admin, name="Big", tag="big", condition={"field": "company_size", "op": "gte", "value": 100}
    )
    tagrule_create(org.admin, name="Reader", tag="reader", condition=DOWNLOADS_2)
    tagrule_create(org.admin, name="Recent visitor", tag="visitor",
                   condition={"behaviour": "page_visit", "within_days": 30, "op": "present"})  # fmt: skip

    def queries(ids) -> int:
        with CaptureQueriesContext(connection) as q:
            tag_rules_apply(ids)
        return len(q)

    assert queries([lead.pk for lead in many[:3]]) == queries([lead.pk for lead in many[3:]])
    assert LeadTag.objects.filter(tag__name="big").count() == 63
    assert LeadEvent.objects.filter(kind="tagged").count() == 63


def test_apply_all_brings_every_lead_up_to_date(org, leads):
    tagrule_create(org.admin, name="Manufacturers", tag="manufacturer",
                   condition={"field": "industry", "op": "eq", "value": "manufacturing"})  # fmt: skip
    with pytest.raises(NotAllowed):
        tag_rules_apply_all(actor=org.sdr)
    changes = tag_rules_apply_all(actor=org.admin, batch=1)
    assert sorted(c.lead_id for c in changes) == sorted([leads.sam.pk, leads.wang.pk])
    assert tag_rules_apply_all(actor=org.admin) == []
    assert AuditLog.objects.filter(action="tags.tag_rules_apply_all").count() == 2
