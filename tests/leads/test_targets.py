"""Outbound target lists: inbound-owned companies stay inbound, with the reason; clear ones become leads."""

from datetime import UTC, datetime, timedelta

import pytest
from api_client import Api

from baton import clock
from baton.core.errors import InvalidInput, NotAllowed
from baton.leads.models import Lead, Target
from baton.leads.services import lead_capture
from baton.leads.targets import TargetIn, targets_check, targets_from_file
from baton.notifications.models import Notification
from baton.org.services import team_create, token_create, user_create

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def people(db):
    inbound = team_create("Inbound", "sdr_inbound")
    outbound = team_create("Outbound", "sdr_outbound")
    return {
        "in": user_create("wuxin", None, roles=["sdr_inbound"], team=inbound),
        "out": user_create("zhoujie", None, roles=["sdr_outbound"], team=outbound),
    }


@pytest.fixture(autouse=True)
def _clock():
    clock.set_frozen(T0 + timedelta(days=1))
    yield
    clock.set_frozen(None)


def test_inbound_owned_companies_stay_inbound_and_clear_targets_become_outbound_leads(people):
    inbound = lead_capture({"name": "王伟", "email": "ww@acme.cn", "company": "上海阿克米科技有限公司",
                            "source": "trial_signup"}, at=T0)  # fmt: skip
    assert inbound.owner_id == people["in"].pk
    result = targets_check("华东制造业", [
        TargetIn("阿克米科技", website="https://www.acme.cn"),                     # same domain
        TargetIn("上海阿克米科技股份有限公司"),                                    # same name, other legal form
        TargetIn("Nimbus Ltd", contact_name="Jane Roe", contact_email="jane@nimbus.io", contact_title="CIO"),
        TargetIn("Nimbus Limited"),                                                 # twice in one list
        TargetIn("  "),
    ], owner=people["out"])  # fmt: skip
    outcomes = [(t.line, t.outcome) for t in result.targets.order_by("line")]
    assert outcomes == [(1, "inbound"), (2, "inbound"), (3, "clear"), (4, "duplicate"), (5, "invalid")]
    first = result.targets.get(line=1)
    assert first.inbound_owner_id == people["in"].pk and first.inbound_lead_id == inbound.pk
    assert "came in inbound on 2026-03-02" in first.reason and "wuxin" in first.reason
    assert "website domain" in first.reason and "company name" in result.targets.get(line=2).reason
    clear = result.targets.get(line=3)
    lead = Lead.objects.get(pk=clear.lead_id)
    assert (lead.direction, lead.owner_id, lead.source) == ("outbound", people["out"].pk, "outbound_list")
    note = Notification.objects.get(verb="targets_inbound_conflict")
    assert note.user_id == people["in"].pk and note.params["count"] == 2
    # A second list with the same clear company: already yours.
    again = targets_check("again", [TargetIn("Nimbus")], owner=people["out"])
    assert again.targets.get().outcome == "duplicate"


def test_refusals(people):
    with pytest.raises(NotAllowed):
        targets_check("x", [TargetIn("Acme")], owner=people["in"])
    with pytest.raises(InvalidInput):
        targets_check(" ", [TargetIn("Acme")], owner=people["out"])
    with pytest.raises(InvalidInput):
        targets_check("x", [], owner=people["out"])
    with pytest.raises(InvalidInput, match="contact"):
        targets_check(
            "x", [TargetIn("Foo", contact_name="A", contact_email="not-an-email")], owner=people["out"]
        )
    assert Target.objects.count() == 0


def test_a_file_with_chinese_headers(people, tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text(
        "公司,网址,姓名,邮箱,职位\n示例科技,www.example.cn,李雷,lilei@example.cn,IT总监\n", encoding="gbk"
    )
    targets = targets_from_file(path)
    assert targets == [TargetIn("示例科技", website="www.example.cn", contact_name="李雷",
                                contact_email="lilei@example.cn", contact_title="IT总监")]  # fmt: skip


def test_the_api(people):
    api = Api(token_create(people["out"]))
    r = api.post("/leads/targets", {"name": "List", "targets": [{"company": "Foo Ltd"}, {"company": ""}]})
    assert r.status_code == 201, r.content
    body = r.json()
    assert [t["outcome"] for t in body["targets"]] == ["clear", "invalid"]
    assert api.get(f"/leads/targets/{body['id']}").json()["name"] == "List"
    assert api.post("/leads/targets", {"name": "List", "targets": []}).status_code == 422
    assert (
        api.post("/leads/targets", {"name": "L", "targets": [{"company": "A", "ceo": "x"}]}).status_code
        == 422
    )
    other = Api(token_create(people["in"]))
    assert other.get(f"/leads/targets/{body['id']}").status_code == 404
    assert other.post("/leads/targets", {"name": "L", "targets": [{"company": "A"}]}).status_code == 403


def test_the_targets_page(people, client, tmp_path):
    lead_capture({"name": "王伟", "email": "ww@acme.cn", "company": "Acme", "source": "seo"}, at=T0)
    client.force_login(people["out"])
    assert client.get("/targets/").status_code == 200
    path = tmp_path / "t.csv"
    path.write_text("company,website,name,email\nAcme,acme.cn,,\nFoo GmbH,foo.de,Hans,hans@foo.de\n")
    with path.open("rb") as f:
        r = client.post("/targets/", {"name": "Q1", "file": f})
    assert r.status_code == 302
    page = client.get(r["Location"])
    assert page.status_code == 200
    assert b"wuxin" in page.content and b"Foo GmbH" in page.content
    assert client.post("/targets/", {"name": "no file"}).status_code == 422
    client.force_login(people["in"])
    assert client.get("/targets/").status_code == 403
    assert client.get(r["Location"]).status_code == 404
