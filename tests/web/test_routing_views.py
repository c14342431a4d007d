"""Settings → Routing: the active policy, versions, the draft editor (problems listed), replay, activation; the
month's eligible list and leave; territories; the unrouted leads; who may see and change what."""

import json
from datetime import timedelta

import pytest

from baton import clock
from baton.org.models import EligibleListEntry, Leave, Team
from baton.org.services import user_create
from baton.routing.models import RoutingDecision, RoutingPolicy, Territory

from .conftest import HTMX, capture, client_for

pytestmark = pytest.mark.django_db


def weighted(team_id: int) -> dict:
    return {"rules": [{"key": "trial", "name": "Trials weighted", "conditions": [
        {"field": "source", "op": "eq", "value": "trial_signup"}], "destination": {"type": "team", "team_id": team_id},
        "strategy": "weighted_round_robin", "options": {"weights": {"sam": 3, "wang": 1}, "cap_per_day": 50}}],
        "fallback": {"key": "fallback", "name": "Inbound team", "destination": {"type": "team", "team_id": team_id},
                     "strategy": "round_robin"}}  # fmt: skip


def test_the_settings_page_shows_the_active_policy_and_versions(org):
    page = client_for(org.admin).get("/settings/routing/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/settings/routing/"' in html  # the navigation entry
    assert "Active: version 1" in html and "Inbound SDRs, round robin" in html
    assert "everyone with the role" in html and 'data-version="1"' in html
    handoff = client_for(org.admin).get("/settings/routing/?kind=handoff").content.decode()
    assert "The AEs of the lead&#x27;s region, round robin" in handoff


def test_save_a_draft_see_every_problem_replay_and_activate(org):
    inbound = Team.objects.get(name="Inbound SDR").pk
    for n in range(1, 5):
        capture(n)
    admin = client_for(org.admin)
    bad = {"rules": [{"conditions": [{"field": "shoe_size", "op": "eq", "value": 1}],
                      "destination": {"type": "director"}, "strategy": "coin"}]}  # fmt: skip
    refused = admin.post("/settings/routing/lead/draft/", {"definition": json.dumps(bad), "note": "x"})
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "The draft was not saved" in html
    for problem in (
        "unknown field &#x27;shoe_size&#x27;",
        "unknown strategy &#x27;coin&#x27;",
        "needs a fallback",
    ):
        assert problem in html
    assert "shoe_size" in html  # the editor keeps what was typed
    not_json = admin.post("/settings/routing/lead/draft/", {"definition": "{rules: ["})
    assert not_json.status_code == 422 and "Not valid JSON" in not_json.content.decode()
    assert not RoutingPolicy.objects.filter(state="draft").exists()

    saved = admin.post(
        "/settings/routing/lead/draft/", {"definition": json.dumps(weighted(inbound)), "note": "3:1"}
    )
    assert saved.status_code == 302
    draft = RoutingPolicy.objects.get(state="draft")
    assert draft.version == 2 and draft.note == "3:1"
    html = admin.get("/settings/routing/").content.decode()
    assert "Trials weighted" in html and "weights: sam 3, wang 1" in html and "Activate version 2" in html
    edited = admin.post("/settings/routing/lead/draft/",
                        {"definition": json.dumps(weighted(inbound)), "note": "edited", "version": 2})  # fmt: skip
    assert edited.status_code == 302 and RoutingPolicy.objects.get(version=2, kind="lead").note == "edited"

    decisions = RoutingDecision.objects.count()
    replay = admin.get("/settings/routing/lead/replay/?version=2&last=10")
    assert replay.status_code == 200
    html = replay.content.decode()
    assert 'data-testid="replay-changed"' in html and "of 4 items would go to someone else" in html
    assert 'data-person="sam"' in html and html.count('data-lead="') == 4
    partial = admin.post("/settings/routing/lead/replay/", {"version": 2, "last": 2}, **HTMX)
    assert partial.status_code == 200 and partial.content.decode().count('data-lead="') == 2
    assert "<html" not in partial.content.decode()
    unsaved = admin.post(
        "/settings/routing/lead/replay/", {"definition": json.dumps(weighted(inbound)), "last": 3}
    )
    assert unsaved.status_code == 200 and "not saved" in unsaved.content.decode()
    assert RoutingDecision.objects.count() == decisions

    activated = admin.post("/settings/routing/lead/2/activate/")
    assert activated.status_code == 302
    assert dict(RoutingPolicy.objects.filter(kind="lead").values_list("version", "state")) == {
        1: "retired",
        2: "active",
    }
    assert "Active: version 2" in admin.get("/settings/routing/").content.decode()
    assert capture(9).owner_id == org.sdr1.pk  # the new policy routes


def test_managers_read_and_replay_others_are_refused(org):
    director = client_for(org.director)
    page = director.get("/settings/routing/")
    assert page.status_code == 200 and "Only ops admins change routing policies" in page.content.decode()
    assert director.get("/settings/routing/lead/replay/?version=1&last=5").status_code == 200
    inbound = Team.objects.get(name="Inbound SDR").pk
    assert (
        director.post(
            "/settings/routing/lead/draft/", {"definition": json.dumps(weighted(inbound))}
        ).status_code
        == 403
    )
    assert director.post("/settings/routing/lead/1/activate/").status_code == 403
    assert (
        director.post("/settings/routing/eligible/", {"month": "2026-12", "users": ["alex"]}).status_code
        == 403
    )
    assert (
        director.post(
            "/settings/routing/territories/", {"name": "E", "owner": org.ae1.pk, "regions": "East"}
        ).status_code
        == 403
    )
    sdr = client_for(org.sdr1)
    for path in ("/settings/routing/", "/settings/routing/eligible/", "/settings/routing/territories/",
                 "/settings/routing/lead/replay/?version=1", "/routing/unrouted/"):  # fmt: skip
        assert sdr.get(path).status_code == 403, path
    assert 'href="/settings/routing/"' not in sdr.get("/leads/").content.decode()
    assert director.get("/routing/unrouted/").status_code == 403  # sales directors are not told about it
    assert RoutingPolicy.objects.count() == 2 and not EligibleListEntry.objects.exists()


def test_the_eligible_list_page_and_leave(org):
    admin = client_for(org.admin)
    page = admin.get("/settings/routing/eligible/?month=2026-12")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Eligible list for 2026-12" in html and 'value="alex"' in html and 'value="sam"' in html
    assert 'value="root"' not in html  # admins are not reps
    saved = admin.post("/settings/routing/eligible/", {"month": "2026-12", "users": ["alex", "olga"]})
    assert saved.status_code == 302 and saved["Location"].endswith("?month=2026-12")
    assert set(
        EligibleListEntry.objects.filter(month="2026-12").values_list("user__username", flat=True)
    ) == {"alex", "olga"}
    html = admin.get("/settings/routing/eligible/?month=2026-12").content.decode()
    assert 'value="alex" checked' in html and 'value="sam" checked' not in html
    cleared = admin.post("/settings/routing/eligible/", {"month": "2026-12"})
    assert cleared.status_code == 302 and not EligibleListEntry.objects.exists()
    assert admin.post("/settings/routing/eligible/", {"month": "12/2026"}).status_code == 422

    start = clock.now() + timedelta(days=1)
    fmt = "%Y-%m-%dT%H:%M"
    added = admin.post("/settings/routing/leaves/", {"user": org.ae1.pk, "starts_at": start.strftime(fmt),
                                                     "ends_at": (start + timedelta(days=5)).strftime(fmt), "note": "trip"})  # fmt: skip
    assert added.status_code == 302
    assert Leave.objects.get().note == "trip"
    html = admin.get("/settings/routing/eligible/").content.decode()
    assert 'data-user="alex"' in html and "trip" in html
    backwards = admin.post("/settings/routing/leaves/", {"user": org.ae1.pk, "starts_at": start.strftime(fmt),
                                                         "ends_at": start.strftime(fmt)})  # fmt: skip
    assert backwards.status_code == 422 and "ends after it starts" in backwards.content.decode()
    assert Leave.objects.count() == 1
    assert client_for(org.director).post("/settings/routing/leaves/", {"user": org.ae1.pk}).status_code == 403


def test_territories_add_and_edit(org):
    admin = client_for(org.admin)
    assert "No territories yet" in admin.get("/settings/routing/territories/").content.decode()
    saved = admin.post("/settings/routing/territories/", {"name": "East coast", "owner": org.ae1.pk,
                                                          "regions": "East, 华东", "cities": "Shanghai"})  # fmt: skip
    assert saved.status_code == 302
    territory = Territory.objects.get()
    assert (territory.owner_id, territory.regions, territory.cities) == (
        org.ae1.pk,
        ["East", "华东"],
        ["Shanghai"],
    )
    form = admin.get(f"/settings/routing/territories/?edit={territory.pk}").content.decode()
    assert "Edit East coast" in form and 'value="East, 华东"' in form
    admin.post(
        "/settings/routing/territories/", {"name": "East coast", "owner": org.ae2.pk, "regions": "East"}
    )
    territory.refresh_from_db()
    assert (
        territory.owner_id == org.ae2.pk and territory.regions == ["East"] and Territory.objects.count() == 1
    )
    empty = admin.post("/settings/routing/territories/", {"name": "All", "owner": org.ae1.pk})
    assert empty.status_code == 422 and "at least one region" in empty.content.decode()
    assert (
        'data-territory="East coast"'
        in client_for(org.director).get("/settings/routing/territories/").content.decode()
    )


def test_the_unrouted_leads_page(org):
    boss = user_create("boss", "correct-horse-battery", roles=["sdr_director"], display_name="SDR Boss")
    for sdr in (org.sdr1, org.sdr2):
        sdr.out_of_office = True
        sdr.save()
    stuck = capture(7)
    assert stuck.routed_at is None
    page = client_for(boss).get("/routing/unrouted/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="/leads/{stuck.pk}/"' in html and "sam: out of office" in html
    assert "1 lead waiting" in html
    assert client_for(org.admin).get("/routing/unrouted/").status_code == 200
    from baton.notifications.models import Notification

    note = Notification.objects.get(user=boss, verb="routing_unrouted")
    assert note.link == f"/leads/{stuck.pk}/"


def test_the_lead_page_explains_the_rule_the_candidates_and_who_was_skipped(org):
    from baton.routing.services import policy_activate, policy_draft_save

    inbound = Team.objects.get(name="Inbound SDR").pk
    west = Team.objects.get(name="Sales West").pk
    definition = weighted(inbound)
    definition["rules"].insert(0, {"key": "west", "name": "West desk", "conditions": [
        {"field": "region", "op": "eq", "value": "West"}], "destination": {"type": "team", "team_id": west,
        "role": "sdr_inbound"}})  # fmt: skip
    draft = policy_draft_save("lead", definition, actor=org.admin)
    policy_activate("lead", draft.version, actor=org.admin)
    org.sdr2.out_of_office = True
    org.sdr2.save()
    lead = capture(5)
    html = client_for(org.admin).get(f"/leads/{lead.pk}/").content.decode()
    assert (
        'data-testid="routing-rule"' in html
        and "Trials weighted" in html
        and f"policy version {draft.version}" in html
    )
    assert "weighted round robin" in html and "furthest below their weighted share" in html
    assert "Weight" in html and "Sam SDR" in html
    assert "Skipped" in html and "Wang SDR" in html and "out of office" in html
    west_lead = capture(6, region="West")
    html = client_for(org.admin).get(f"/leads/{west_lead.pk}/").content.decode()
    assert 'data-testid="routing-fell-back"' in html and "it has no members" in html
    assert "Inbound team" in html  # the fallback rule decided


def test_routing_forms_need_the_csrf_token(org):
    strict = client_for(org.admin, enforce_csrf_checks=True)
    page = strict.get("/settings/routing/").content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 3  # editor, replay, activate
    assert strict.post("/settings/routing/lead/draft/", {"definition": "{}"}).status_code == 403
    assert strict.post("/settings/routing/eligible/", {"month": "2026-12"}).status_code == 403
    assert not RoutingPolicy.objects.filter(state="draft").exists()


def test_skip_reasons_are_read_back_for_translation():
    from django.utils import translation

    from baton.routing.templatetags.routing_ui import routing_skip_reason

    assert routing_skip_reason("on leave until 2026-12-04") == "on leave until 2026-12-04"
    assert routing_skip_reason("daily cap reached (3/3)") == "daily cap reached (3/3)"
    assert routing_skip_reason("out of office") == "out of office"
    assert routing_skip_reason("something new") == "something new"
    with translation.override("zh-hans"):
        shown = routing_skip_reason("not on the eligible list for 2026-12")
        assert "2026-12" in shown and "eligible" not in shown  # translated, the month kept
