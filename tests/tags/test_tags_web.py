"""Tag pages: the tags card of the lead page (HTMX and plain POSTs), the behaviour page, the settings (admins)."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from baton.behaviour.services import BehaviourRequest, behaviour_record
from baton.leads.models import LeadEvent
from baton.tags.models import LeadTag, Tag, TagRule
from baton.tags.services import tagrule_create, tags_add

from .conftest import HTMX, T0, client_for

RULE = {"all": [{"field": "industry", "op": "eq", "value": "manufacturing"},
                {"behaviour": "content_download", "op": "gte", "value": 1}]}  # fmt: skip


def card_of(html: str) -> str:
    start = html.index('id="tags-card"')
    return html[start : html.index("</section>", start)]


def test_the_lead_page_shows_manual_and_rule_tags_and_behaviour(org, leads):
    tagrule_create(org.admin, name="Reading manufacturer", tag="hot-manufacturing", condition=RULE)
    tags_add([leads.sam.pk], ["Key account"], org.sdr)
    behaviour_record([BehaviourRequest("content_download", T0 + timedelta(hours=1), lead_id=leads.sam.pk,
                                       detail={"title": "MES white paper"})])  # fmt: skip
    response = client_for(org.sdr).get(f"/leads/{leads.sam.pk}/")
    assert response.status_code == 200
    card = card_of(response.content.decode())
    assert 'data-tag="Key account" data-source="manual"' in card
    assert 'aria-label="Remove tag Key account"' in card
    assert 'data-tag="hot-manufacturing" data-source="rule"' in card and "rule: Reading manufacturer" in card
    assert "content_download ≥ 1: yes (1)" in card  # why the rule matched
    assert 'aria-label="Add tags to this lead"' in card and 'for="leadtags_names">Tag names</label>' in card
    assert (
        '<li data-kind="content_download"><span>Content download <span class="pill">1</span></span>' in card
    )
    assert 'datetime="2026-11-02T10:00:00+00:00"' in card and f"/leads/{leads.sam.pk}/behaviour/" in card
    assert 'hx-get="/tags/suggestions/"' in card


def test_tag_suggestions_are_the_manual_tags(org, leads):
    tagrule_create(org.admin, name="Reading manufacturer", tag="hot", condition=RULE)
    tags_add([leads.sam.pk], ["Key account", "CTO"], org.sdr)
    html = client_for(org.sdr2).get("/tags/suggestions/").content.decode()
    assert html.split() == ["<option", 'value="CTO">', "<option", 'value="Key', 'account">']


def test_add_tags_over_htmx_returns_the_card(org, leads):
    client = client_for(org.sdr)
    response = client.post(
        f"/leads/{leads.sam.pk}/tags/add/", {"names": "Manufacturing，East China, CTO"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="tags-card"')
    assert all(
        f'data-tag="{name}" data-source="manual"' in html for name in ("Manufacturing", "East China", "CTO")
    )
    assert sorted(LeadTag.objects.filter(lead=leads.sam).values_list("tag__name", flat=True)) == [
        "CTO", "East China", "Manufacturing",
    ]  # fmt: skip
    assert "Tags added: Manufacturing, East China, CTO" in html  # the toast
    assert "hx-swap-oob" in html


def test_add_tags_without_javascript_redirects_to_the_lead(org, leads):
    response = client_for(org.sdr).post(f"/leads/{leads.sam.pk}/tags/add/", {"names": "VIP"})
    assert response.status_code == 302 and response["Location"] == f"/leads/{leads.sam.pk}/"
    assert LeadTag.objects.filter(lead=leads.sam, tag__name="VIP").exists()


@pytest.mark.parametrize(
    ("names", "message"),
    [("", "Type one or more tag names."), (" , ", "Type one or more tag names."), ("a/b", "may not contain")],
)
def test_bad_tag_names_show_in_the_card(org, leads, names, message):
    client = client_for(org.sdr)
    response = client.post(f"/leads/{leads.sam.pk}/tags/add/", {"names": names}, **HTMX)
    assert response.status_code == 422
    assert message in response.content.decode() and 'role="alert"' in response.content.decode()
    response = client.post(f"/leads/{leads.sam.pk}/tags/add/", {"names": names})
    assert response.status_code == 422 and message in card_of(response.content.decode())
    assert not LeadTag.objects.exists()


def test_rule_tags_cannot_be_added_in_the_card(org, leads):
    tagrule_create(org.admin, name="Reading manufacturer", tag="hot", condition=RULE)
    response = client_for(org.sdr).post(f"/leads/{leads.sam.pk}/tags/add/", {"names": "hot"}, **HTMX)
    assert response.status_code == 422 and "set and removed by tag rules only" in response.content.decode()


def test_remove_a_tag(org, leads):
    tags_add([leads.sam.pk], ["VIP", "CTO"], org.sdr)
    vip = Tag.objects.get(name="VIP")
    client = client_for(org.sdr)
    response = client.post(f"/leads/{leads.sam.pk}/tags/{vip.pk}/remove/", **HTMX)
    assert response.status_code == 200 and 'data-tag="VIP"' not in response.content.decode()
    assert list(LeadTag.objects.filter(lead=leads.sam).values_list("tag__name", flat=True)) == ["CTO"]
    assert LeadEvent.objects.filter(kind="tagged", data__action="removed", actor=org.sdr).count() == 1
    response = client.post(f"/leads/{leads.sam.pk}/tags/{vip.pk}/remove/", **HTMX)
    assert response.status_code == 404 and "has no tag" in response.content.decode()


def test_another_sdr_cannot_tag_or_see_the_card(org, leads):
    client = client_for(org.sdr2)
    assert client.post(f"/leads/{leads.sam.pk}/tags/add/", {"names": "VIP"}, **HTMX).status_code == 404
    assert client.get(f"/leads/{leads.sam.pk}/tags/").status_code == 404
    assert client.get(f"/leads/{leads.sam.pk}/behaviour/").status_code == 404
    assert not LeadTag.objects.exists()
    assert client_for(org.sdr).get(f"/leads/{leads.sam.pk}/tags/").status_code == 200


def test_the_card_speaks_chinese(org, leads):
    tags_add([leads.sam.pk], ["VIP"], org.sdr)
    html = client_for(org.sdr).get(f"/leads/{leads.sam.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    card = card_of(html)
    assert "标签" in card and "添加标签" in card and "行为" in card


def test_the_lead_page_costs_the_same_with_more_tags_and_behaviour(org, leads):
    client = client_for(org.sdr)
    client.get(f"/leads/{leads.sam.pk}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/leads/{leads.sam.pk}/")
    tags_add([leads.sam.pk], [f"tag {i}" for i in range(8)], org.sdr)
    behaviour_record([BehaviourRequest(kind, T0 + timedelta(minutes=i), lead_id=leads.sam.pk)
                      for i, kind in enumerate(["page_visit", "email_open", "content_download"] * 4)])  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        client.get(f"/leads/{leads.sam.pk}/")
    assert len(many) == len(few)


def test_the_behaviour_page(org, leads):
    behaviour_record([
        BehaviourRequest("signup", T0 + timedelta(minutes=1), lead_id=leads.sam.pk, channel="website"),
        BehaviourRequest("event_attendance", T0 + timedelta(hours=2), lead_id=leads.sam.pk,
                         detail={"title": "Smart factory salon", "campaign": "Salon Q4"}),
    ])  # fmt: skip
    client = client_for(org.sdr)
    html = client.get(f"/leads/{leads.sam.pk}/behaviour/").content.decode()
    assert "Smart factory salon" in html and "campaign Salon Q4" in html and "website" in html
    assert html.index('<tr data-kind="event_attendance"') < html.index(
        '<tr data-kind="signup"'
    )  # newest first
    filtered = client.get(f"/leads/{leads.sam.pk}/behaviour/", {"kind": "signup"}).content.decode()
    assert '<tr data-kind="event_attendance"' not in filtered and '<tr data-kind="signup"' in filtered
    assert client.get(f"/leads/{leads.sam.pk}/behaviour/", {"kind": "bogus"}).status_code == 200


# --- Settings (admins) -------------------------------------------------------------------------------


def test_only_admins_see_the_tag_settings(org):
    for user in (org.sdr, org.marketer, org.ae):
        assert client_for(user).get("/settings/tags/").status_code == 403
        assert client_for(user).post("/settings/tags/rules/new/", {"name": "x"}).status_code == 403
    assert client_for(org.admin).get("/settings/tags/").status_code == 200


def test_create_tags_and_rules_in_the_settings(org, leads):
    client = client_for(org.admin)
    response = client.post("/settings/tags/new/", {"name": "Key account", "colour": "green"})
    assert response.status_code == 302 and Tag.objects.get().colour == "green"
    response = client.post("/settings/tags/new/", {"name": "key ACCOUNT", "colour": "green"})
    assert response.status_code == 409 and "already exists" in response.content.decode()
    response = client.post("/settings/tags/rules/new/", {"name": "Readers", "tag": "reader", "active": "on",
                                                         "condition": json.dumps(RULE)})  # fmt: skip
    assert response.status_code == 302
    rule = TagRule.objects.get()
    assert (rule.name, rule.tag.name, rule.tag.kind, rule.condition, rule.active) == (
        "Readers", "reader", "auto", RULE, True,
    )  # fmt: skip
    page = client.get("/settings/tags/").content.decode()
    assert 'data-rule="Readers"' in page and "all of [industry = &quot;manufacturing&quot;" in page


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("{not json", "This is not valid JSON (line 1, column 2)"),
        ('{"field": "industry", "op": "regex", "value": "x"}', "unknown op &#x27;regex&#x27;"),
        ('"industry = manufacturing"', "condition: must be an object"),
    ],
)
def test_bad_rules_show_their_problem(org, condition, message):
    response = client_for(org.admin).post(
        "/settings/tags/rules/new/", {"name": "R", "tag": "t", "condition": condition}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not TagRule.objects.exists()


def test_edit_a_rule_and_apply_rules_to_all_leads(org, leads):
    rule = tagrule_create(org.admin, name="Readers", tag="reader", condition=RULE)
    client = client_for(org.admin)
    page = client.get(f"/settings/tags/rules/{rule.pk}/").content.decode()
    assert "Readers" in page and "&quot;content_download&quot;" in page
    condition = {"field": "industry", "op": "eq", "value": "manufacturing"}
    response = client.post(f"/settings/tags/rules/{rule.pk}/", {"name": "Manufacturers", "tag": "manufacturer",
                                                                 "condition": json.dumps(condition), "active": "on"})  # fmt: skip
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.tag.name, rule.condition, rule.position) == (
        "Manufacturers",
        "manufacturer",
        condition,
        10,
    )
    response = client.post(f"/settings/tags/rules/{rule.pk}/", {"name": "", "tag": "x", "condition": "{}"})
    assert response.status_code == 422
    response = client.post("/settings/tags/rules/apply/", follow=True)
    assert "Rules applied to all leads: 2 tags added, 0 removed." in response.content.decode()
    assert LeadTag.objects.filter(tag__name="manufacturer").count() == 2


def test_the_nav_shows_tags_to_admins_only(org):
    assert 'href="/settings/tags/"' in client_for(org.admin).get("/settings/tags/").content.decode()
    assert 'href="/settings/tags/"' not in client_for(org.sdr).get("/leads/").content.decode()
