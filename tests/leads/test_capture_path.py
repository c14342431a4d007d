"""The capture path: what may fail without failing the capture, the cached configuration it reads, and
the answer it gives (the objects it wrote, not a second read)."""

import pytest
from api_client import Api
from django.db import connection
from django.test.utils import CaptureQueriesContext

from baton.leads.models import DuplicateCandidate, Lead
from baton.leads.services import lead_capture
from baton.org.models import OrgSettings
from baton.org.services import team_create, token_create, user_create
from baton.sla.models import Clock, Policy


@pytest.fixture
def sdrs(db):
    team = team_create("Inbound", "sdr_inbound")
    return [
        user_create("sdr1", None, roles=["sdr_inbound"], team=team, display_name="Sam SDR"),
        user_create("sdr2", None, roles=["sdr_inbound"], team=team, display_name="Wang SDR"),
    ]


def _boom(*args, **kwargs):
    raise RuntimeError("boom")


def test_failing_duplicate_detection_or_tag_rules_never_fail_the_capture_or_its_routing(sdrs, monkeypatch):
    monkeypatch.setattr("baton.leads.duplicates.duplicates_detect", _boom)
    monkeypatch.setattr("baton.tags.services.rules_active", lambda: True)
    monkeypatch.setattr("baton.tags.services.tag_rules_apply", _boom)
    lead = lead_capture({"name": "Li Lei", "email": "li@acme.cn"})
    stored = Lead.objects.get(pk=lead.pk)
    assert stored.owner_id in {s.pk for s in sdrs} and stored.routed_at is not None and stored.grade


def test_failing_routing_leaves_the_lead_stored_and_still_finds_its_duplicates(sdrs, monkeypatch):
    first = lead_capture({"name": "Li Lei", "email": "li@acme.cn"})
    monkeypatch.setattr("baton.routing.services.route_leads", _boom)
    again = lead_capture({"name": "Li Lei", "email": "li@acme.cn"})
    assert Lead.objects.get(pk=again.pk).owner_id is None  # the sweep routes it later
    assert DuplicateCandidate.objects.filter(lead=again, other=first).exists()


def test_the_answer_is_what_was_stored_with_the_owner_named_and_few_queries(sdrs):
    admin = user_create("admin", None, roles=["ops_admin"])
    api = Api(token_create(admin))
    payload = {
        "name": "王伟",
        "email": "wang@example-corp.cn",
        "company": "示例科技有限公司",
        "region": "East",
    }
    api.post("/leads", {"name": "Li Lei", "email": "li@other.cn", "company": "Other Ltd"})  # fills the caches
    with CaptureQueriesContext(connection) as queries:
        r = api.post("/leads", payload)
    sql = [q["sql"] for q in queries]  # before the next request clears the log
    assert r.status_code == 201, r.content
    body = r.json()
    assert body == api.get(f"/leads/{body['id']}").json()
    assert body["owner"]["name"] in {"Sam SDR", "Wang SDR"}
    # The token; the capture and its commit; duplicates; score, route and assign with their commit. No
    # reads of the configuration, none of the lead or its owner again.
    assert len(sql) <= 28, "\n".join(s[:120] for s in sql)


def test_saved_settings_and_policies_are_seen_at_once(sdrs):
    assert OrgSettings.cached().default_phone_region == "CN"
    settings = OrgSettings.get()
    settings.default_phone_region = "US"
    settings.save()
    assert OrgSettings.cached().default_phone_region == "US"
    lead_capture({"name": "A", "email": "a@a.cn"})
    assert Clock.objects.filter(policy__key="speed_to_lead").count() == 1
    policy = Policy.objects.get(key="speed_to_lead")
    policy.active = False
    policy.save()
    lead_capture({"name": "B", "email": "b@b.cn"})
    assert Clock.objects.filter(policy__key="speed_to_lead").count() == 1
