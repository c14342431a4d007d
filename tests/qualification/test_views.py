"""Qualification pages: the lead page's card (tabs, progress, who set what, the gate), the settings."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from baton.qualification import selectors
from baton.qualification.models import CriterionAnswer, Framework, GateRule
from baton.qualification.services import criteria_set, gate_set

from .conftest import HTMX, client_for

PROFILE_GATE = [{"framework": "profile", "kind": "more_than", "numerator": 2, "denominator": 3}]


def card_of(html: str) -> str:
    start = html.index('id="qualify-card"')
    return html[start : html.index("</section>", start)]


def test_the_card_has_a_tab_per_framework_with_progress_and_the_gate(org, leads):
    criteria_set(leads.sam, "bant", {"budget": ("met", "500k approved")}, org.sam)
    card = card_of(client_for(org.sam).get(f"/leads/{leads.sam.pk}/").content.decode())
    for key, count in (("bant", "1/4"), ("champ", "0/4"), ("meddic", "0/6"), ("profile", "0/15")):
        assert f'data-framework="{key}"' in card and f'<span class="count">{count}</span>' in card
    assert 'class="active" aria-current="true" data-framework="bant"' in card  # the gate's framework first
    assert 'aria-valuenow="1"' in card and "1 of 4 met · 0 not met · 3 unknown" in card
    assert 'value="500k approved"' in card and "set by Sam SDR, 2026-11-03 09:00" in card
    assert "Default handoff gate" in card and "BANT 1 of 4 met (the gate needs 3)." in card
    assert "Missing for the handoff gate:" in card and "BANT: 2 more of" in card
    assert "Authority, Need, Timing" in card
    assert 'disabled aria-disabled="true" aria-describedby="handoff-blocked"' in card


def test_switching_tabs_over_htmx_returns_the_card(org, leads):
    client = client_for(org.sam)
    response = client.get(f"/leads/{leads.sam.pk}/qualification/profile/", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="qualify-card"')
    assert 'class="active" aria-current="true" data-framework="profile"' in html
    assert 'for="profile_wechat_added_0"' in html and "Added on WeChat" in html
    # Without HTMX: the lead page on that tab.
    response = client.get(f"/leads/{leads.sam.pk}/qualification/profile/")
    assert response.status_code == 302 and response["Location"].endswith("?qf=profile#qualify-card")
    page = client.get(response["Location"]).content.decode()
    assert 'class="active" aria-current="true" data-framework="profile"' in page


def test_saving_a_framework_keeps_its_tab_and_updates_the_gate(org, leads):
    gate_set(org.team_a, PROFILE_GATE, org.admin)
    keys = [c.key for c in selectors.templates().get("profile").active_criteria]
    data = (
        {k: "met" for k in keys[:11]} | {k: "unknown" for k in keys[11:]} | {"industry_note": "manufacturing"}
    )
    response = client_for(org.sam).post(f"/leads/{leads.sam.pk}/qualification/profile/save/", data, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="lead-body"' in html and "Qualification saved: Customer profile checklist." in html
    card = card_of(html)
    assert 'class="active" aria-current="true" data-framework="profile"' in card
    assert "Handoff gate of Inbound A" in card and "Ready to hand off." in card
    assert "Customer profile checklist 11 of 15 met (the gate needs more than 2/3: 11)." in card
    assert CriterionAnswer.objects.filter(lead=leads.sam).count() == 11
    assert 'class="btn primary">Hand off to sales' in card  # enabled


def test_a_plain_post_redirects_to_the_tab(org, leads):
    response = client_for(org.sam).post(f"/leads/{leads.sam.pk}/qualification/champ/save/", {
        "challenges": "met", "authority": "unknown", "money": "not_met", "prioritization": "unknown",
        "money_note": "no budget before Q3",
    })  # fmt: skip
    assert response.status_code == 302 and response["Location"].endswith("?qf=champ#qualify-card")
    champ = selectors.lead_qualification(leads.sam).framework("champ")
    assert [(r.criterion.key, r.state, r.note) for r in champ.rows if r.answer] == [
        ("challenges", "met", ""), ("money", "not_met", "no budget before Q3"),
    ]  # fmt: skip


def test_bad_input_shows_the_card_with_the_error_and_changes_nothing(org, leads):
    response = client_for(org.sam).post(f"/leads/{leads.sam.pk}/qualification/champ/save/", {
        "challenges": "maybe", "authority": "met", "money": "met", "prioritization": "met",
    }, **HTMX)  # fmt: skip
    assert response.status_code == 422 and response["HX-Retarget"] == "#qualify-card"
    html = response.content.decode()
    assert "Please choose met, not met or unknown" in html and 'data-framework="champ"' in html
    assert not CriterionAnswer.objects.exists()
    assert client_for(org.sam).post(f"/leads/{leads.sam.pk}/qualification/spin/save/", {}).status_code == 404


def test_who_sees_a_form_and_who_a_table(org, leads):
    criteria_set(leads.sam, "bant", {"need": ("met", "CRM replacement")}, org.sam)
    director = card_of(client_for(org.director).get(f"/leads/{leads.sam.pk}/").content.decode())
    assert 'action="/leads/' in director and "Save qualification" in director  # Sam's manager may qualify
    response = client_for(org.director).post(f"/leads/{leads.sam.pk}/qualification/bant/save/", {
        "budget": "met", "authority": "unknown", "need": "met", "timing": "unknown", "need_note": "CRM replacement",
    })  # fmt: skip
    assert response.status_code == 302
    assert CriterionAnswer.objects.filter(set_by=org.director).count() == 1
    assert client_for(org.wang).get(f"/leads/{leads.sam.pk}/").status_code == 404
    assert client_for(org.wang).post(f"/leads/{leads.sam.pk}/qualification/bant/save/", {}).status_code == 404


def test_the_card_speaks_chinese(org, leads):
    gate_set(org.team_a, PROFILE_GATE, org.admin)
    client = client_for(org.sam)
    client.cookies["django_language"] = "zh-hans"
    with translation.override("zh-hans"):
        html = client.get(
            f"/leads/{leads.sam.pk}/?qf=profile", HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()
    card = card_of(html)
    assert "客户画像清单" in card and "所属行业符合" in card and "已添加微信" in card
    assert "资格评估与移交" in card and "移交门槛还缺：" in card


def test_the_lead_page_query_count_does_not_grow_with_answers(org, leads):
    client = client_for(org.sam)
    client.get(f"/leads/{leads.sam.pk}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/leads/{leads.sam.pk}/")
    for fw in ("bant", "champ", "meddic"):
        keys = [c.key for c in selectors.templates().get(fw).active_criteria]
        criteria_set(leads.sam, fw, {k: ("met", f"note {k}") for k in keys}, org.sam)
    with CaptureQueriesContext(connection) as many:
        client.get(f"/leads/{leads.sam.pk}/")
    assert len(many) == len(few)


def test_the_handoff_page_shows_every_answered_framework(org, leads):
    from baton.handoffs.services import handoff_create

    criteria_set(leads.sam, "bant", {k: ("met", "") for k in ("budget", "authority", "need")}, org.sam)
    criteria_set(leads.sam, "meddic", {"champion": ("met", "the CIO")}, org.sam)
    handoff = handoff_create(leads.sam, org.sam)
    html = client_for(org.ae).get(f"/inbox/{handoff.pk}/").content.decode()
    assert "BANT 3 of 4 met (the gate needs 3)." in html and "BANT 3 of 4 met" in html
    assert "MEDDIC 1 of 6 met" in html and "the CIO" in html
    assert 'data-framework="champ"' not in html  # nothing answered, not in the gate


# --- Settings -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [("admin", 200), ("director", 200), ("sam", 403), ("ae", 403)])
def test_the_settings_page_is_for_admins_and_managers(org, who, status):
    response = client_for(getattr(org, who)).get("/settings/qualification/")
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert 'data-framework="profile"' in html and 'data-gate="default"' in html
        assert ("New framework" in html) == (who == "admin")
        assert (f'data-gate="{org.sales.pk}"' in html) == (who == "admin")  # the director's teams only


def test_admins_create_and_edit_a_framework_in_the_browser(org, leads):
    client = client_for(org.admin)
    response = client.post("/settings/qualification/frameworks/new/", {"key": "spin", "name": "SPIN"})
    assert response.status_code == 302 and response["Location"] == "/settings/qualification/frameworks/spin/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    response = client.post("/settings/qualification/frameworks/spin/", {
        "name": "SPIN selling", "name_zh": "SPIN 销售法", "active": "on",
        "new_key": "situation", "new_label": "Situation", "new_label_zh": "现状",
    })  # fmt: skip
    assert response.status_code == 302
    spin = selectors.templates().get("spin")
    assert spin.name == "SPIN selling" and [c.key for c in spin.criteria] == ["situation"]
    c = spin.criteria[0]
    response = client.post(
        "/settings/qualification/frameworks/spin/",
        {
            "name": "SPIN selling",
            "active": "on",
            f"c{c.id}_label": "Situation",
            f"c{c.id}_position": "10",
        },
    )  # fmt: skip  (the criterion's active box unticked: deactivated)
    assert response.status_code == 302
    assert not selectors.templates().get("spin").criteria[0].active
    assert client_for(org.director).get("/settings/qualification/frameworks/spin/").status_code == 403


def test_bad_template_input_shows_the_error(org):
    client = client_for(org.admin)
    response = client.post("/settings/qualification/frameworks/new/", {"key": "bant", "name": "Again"})
    assert response.status_code == 409 and b"exists already" in response.content
    bant = selectors.templates().get("bant")
    data = {"name": "BANT", "active": "on"}
    for c in bant.criteria:
        data |= {f"c{c.id}_label": c.label, f"c{c.id}_position": str(c.position), f"c{c.id}_active": "on"}
    data[f"c{bant.criteria[0].id}_active"] = ""  # leaves 3: the default gate (≥ 3) can still pass
    data.pop(f"c{bant.criteria[1].id}_active")  # leaves 2: it could not
    response = client.post("/settings/qualification/frameworks/bant/", data)
    assert response.status_code == 409 and b"could never pass" in response.content
    assert len(selectors.templates().get("bant").active_criteria) == 4


def test_an_answered_criterion_has_no_delete_button(org, leads):
    criteria_set(leads.sam, "champ", {"money": ("met", "")}, org.sam)
    html = client_for(org.admin).get("/settings/qualification/frameworks/champ/").content.decode()
    row = html[html.index('data-criterion="money"') :]
    row = row[: row.index("</tr>")]
    assert "Delete" not in row
    assert "/criteria/challenges/delete/" in html
    response = client_for(org.admin).post("/settings/qualification/frameworks/champ/criteria/money/delete/")
    assert response.status_code == 409 and b"deactivate it instead" in response.content


def test_managers_edit_their_teams_gates_in_the_browser(org):
    client = client_for(org.director)
    response = client.post(f"/settings/qualification/gates/{org.team_a.pk}/", {
        "r0_framework": "profile", "r0_kind": "more_than", "r0_threshold": "2/3",
        "r1_framework": "bant", "r1_kind": "at_least", "r1_threshold": "2",
    })  # fmt: skip
    assert response.status_code == 302
    assert [(r.framework.key, r.kind, r.count, r.numerator, r.denominator) for r in
            GateRule.objects.filter(team=org.team_a)] == [("profile", "more_than", 0, 2, 3), ("bant", "at_least", 2, 0, 1)]  # fmt: skip
    page = client.get(f"/settings/qualification/gates/{org.team_a.pk}/").content.decode()
    assert 'value="2/3"' in page
    response = client.post(f"/settings/qualification/gates/{org.team_a.pk}/", {
        "r0_framework": "bant", "r0_kind": "at_least", "r0_threshold": "2/3",
    })  # fmt: skip
    assert response.status_code == 422 and b"Type a whole number" in response.content
    response = client.post(f"/settings/qualification/gates/{org.team_a.pk}/", {
        "r0_framework": "bant", "r0_kind": "at_least", "r0_threshold": "7",
    })  # fmt: skip
    assert response.status_code == 422 and b"can never pass" in response.content
    assert GateRule.objects.filter(team=org.team_a).count() == 2
    assert client.get(f"/settings/qualification/gates/{org.sales.pk}/").status_code == 403
    assert client.get("/settings/qualification/gates/default/").status_code == 403
    assert client_for(org.admin).get("/settings/qualification/gates/default/").status_code == 200
    response = client.post(f"/settings/qualification/gates/{org.team_a.pk}/", {})  # no rules: inherit again
    assert response.status_code == 302 and not GateRule.objects.filter(team=org.team_a).exists()
    assert Framework.objects.filter(builtin=True).count() == 4
