"""Routing policies against a real database: rules, destinations, strategies, eligibility, versions, replay."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import count
from types import SimpleNamespace

import pytest
from django.db import transaction

from baton.core.errors import Conflict, InvalidInput
from baton.leads.models import Account, Lead
from baton.leads.services import lead_capture
from baton.org.services import team_create, user_create
from baton.routing.models import RoutingDecision, RoutingPolicy, RoutingPool, RoutingTally
from baton.routing.services import (
    eligible_list,
    eligible_list_set,
    leave_add,
    policy_activate,
    policy_active,
    policy_draft_save,
    policy_replay,
    route_handoff,
    route_leads,
    territory_save,
    unrouted_retry_due,
)

pytestmark = pytest.mark.django_db

MON_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
SAT_10 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
_n = count(1)


@pytest.fixture
def org(db):
    inbound = team_create("Inbound", "sdr_inbound")
    vip = team_create("VIP", "sdr_inbound")
    east_sdr = team_create("East SDR", "sdr_inbound", region="East")
    east = team_create("East", "sales", region="East")
    west = team_create("West", "sales", region="West")
    ops = user_create("ops", None, roles=["ops_admin"])
    director = user_create("dir_east", None, roles=["sales_director"], team=east)
    return SimpleNamespace(
        inbound=inbound, vip=vip, east_sdr=east_sdr, east=east, west=west, ops=ops, director=director,
        a=user_create("a", None, roles=["sdr_inbound"], team=inbound),
        b=user_create("b", None, roles=["sdr_inbound"], team=inbound),
        v=user_create("v", None, roles=["sdr_inbound"], team=vip),
        e=user_create("e", None, roles=["sdr_inbound"], team=east_sdr),
        ae1=user_create("ae1", None, roles=["ae"], team=east, manager=director),
        ae2=user_create("ae2", None, roles=["ae"], team=east, manager=director),
        ae_w=user_create("ae_w", None, roles=["ae"], team=west),
    )  # fmt: skip


def team_rule(key: str, team, conditions=(), strategy="round_robin", **options) -> dict:
    return {"key": key, "name": key.replace("-", " ").title(), "conditions": list(conditions),
            "destination": {"type": "team", "team_id": team.pk}, "strategy": strategy, "options": options}  # fmt: skip


def fallback_to(team, **over) -> dict:
    return {"key": "fallback", "name": f"{team.name} team", "destination": {"type": "team", "team_id": team.pk},
            "strategy": "round_robin", **over}  # fmt: skip


def use(org, rules, fallback=None, *, kind="lead") -> int:
    """Save and activate a policy; its version."""
    definition = {"rules": rules, "fallback": fallback or fallback_to(org.inbound)}
    row = policy_draft_save(kind, definition, actor=org.ops, note="test")
    policy_activate(kind, row.version, actor=org.ops)
    return row.version


def capture(at=None, **fields) -> Lead:
    n = next(_n)
    return lead_capture({"name": f"Lead {n}", "email": f"buyer{n}@firm{n}.com", **fields}, at=at)


def decision(lead, kind="lead") -> RoutingDecision:
    return RoutingDecision.objects.filter(lead=lead, kind=kind).latest("decided_at", "id")


def handoff_to(lead, at):
    with transaction.atomic():
        return route_handoff(lead, at=at)


# --- Rules and destinations -------------------------------------------------------------------------------


def test_rules_on_score_source_and_region_route_to_their_teams(org):
    version = use(org, [
        team_rule("hot", org.vip, [{"field": "score", "op": "gte", "value": 80}]),
        team_rule("seo-east", org.east_sdr, [{"field": "source", "op": "in", "value": ["seo", "sem"]},
                                             {"field": "region", "op": "eq", "value": "east"}]),
    ])  # fmt: skip
    hot = capture(title="CEO", industry="software", company_size=500, source="trial_signup", region="West")
    seo = capture(source="seo", region="East")
    other = capture(source="seo", region="West")
    assert hot.score >= 80 and hot.owner_id == org.v.pk
    assert seo.owner_id == org.e.pk
    assert other.owner_id in {org.a.pk, org.b.pk}
    d = decision(hot)
    assert (d.rule, d.policy_version) == ("hot", version)
    x = d.explanation
    assert x["rule"] == "hot" and x["rule_name"] == "Hot" and x["policy_version"] == version
    assert x["trace"] == [{"rule": "hot", "name": "Hot", "matched": True}]
    trace = decision(seo).explanation["trace"]
    assert [t["matched"] for t in trace] == [False, True] and "score gte 80 is false" in trace[0]["why_not"]
    x = decision(other).explanation
    assert decision(other).rule == "fallback" and x["rule_name"] == "Inbound team"
    assert x["trace"][-1] == {"rule": "fallback", "name": "Inbound team", "matched": True, "fallback": True}
    assert "region eq 'east' is false (the lead has 'West')" in x["trace"][1]["why_not"]


def test_a_rule_whose_pool_has_nobody_eligible_falls_back_with_the_reason(org):
    org.v.out_of_office = True
    org.v.save()
    use(org, [team_rule("vip", org.vip)])
    lead = capture()
    assert lead.owner_id in {org.a.pk, org.b.pk}
    d = decision(lead)
    assert d.rule == "fallback" and d.pool == f"team:{org.inbound.pk}"
    (tried,) = d.explanation["fell_back"]
    assert tried["rule"] == "vip" and tried["pool"] == f"team:{org.vip.pk}"
    assert "v: out of office" in tried["why"]
    assert d.explanation["trace"] == [{"rule": "vip", "name": "Vip", "matched": True}]


def test_a_queue_rule_leaves_the_lead_unowned_but_routed(org):
    from baton.notifications.models import Notification

    use(org, [{"key": "partners", "name": "Partners to the pool",
               "conditions": [{"field": "source", "op": "eq", "value": "partner"}],
               "destination": {"type": "queue", "queue": "public_pool"}}])  # fmt: skip
    lead = capture(source="partner")
    assert lead.owner_id is None and lead.routed_at is not None
    d = decision(lead)
    assert d.chosen_id is None and d.rule == "partners" and d.explanation["queue"] == "public_pool"
    assert lead.events.filter(kind="routed").get().data["queue"] == "public_pool"
    assert not lead.events.filter(kind="routing_failed").exists()
    assert not Notification.objects.filter(verb="routing_unrouted").exists()
    assert not unrouted_retry_due(lead.created_at + timedelta(hours=1)).filter(pk=lead.pk).exists()


def test_falling_back_to_the_public_pool_says_why(org):
    org.v.out_of_office = True
    org.v.save()
    use(org, [team_rule("vip", org.vip)], {"key": "fallback", "name": "Pool",
                                           "destination": {"type": "queue", "queue": "public_pool"}})  # fmt: skip
    lead = capture()
    assert lead.owner_id is None and lead.routed_at is not None
    assert "v: out of office" in decision(lead).explanation["fell_back"][0]["why"]


def test_nobody_anywhere_leaves_the_lead_unrouted_with_every_reason(org):
    for user in (org.a, org.b, org.v):
        user.out_of_office = True
        user.save()
    use(org, [team_rule("vip", org.vip)])
    lead = capture()
    assert lead.owner_id is None and lead.routed_at is None
    d = decision(lead)
    assert d.chosen_id is None
    assert "v: out of office" in d.explanation["why"] and "a: out of office" in d.explanation["why"]
    assert unrouted_retry_due(lead.created_at + timedelta(minutes=11)).filter(pk=lead.pk).exists()


# --- Strategies -------------------------------------------------------------------------------------------


def test_weighted_round_robin_3_to_1_over_40_captures(org):
    use(org, [team_rule("weighted", org.inbound, strategy="weighted_round_robin", weights={"a": 3, "b": 1})])
    leads = [capture() for _ in range(40)]
    got = Counter(lead.owner_id for lead in leads)
    assert got == {org.a.pk: 30, org.b.pk: 10}
    tallies = dict(
        RoutingTally.objects.filter(pool__key=f"team:{org.inbound.pk}").values_list("user", "count")
    )
    assert tallies == {org.a.pk: 30, org.b.pk: 10}
    x = decision(leads[-1]).explanation
    assert x["strategy"] == "weighted_round_robin"
    assert {c["username"]: c["weight"] for c in x["candidates"]} == {"a": 3.0, "b": 1.0}
    assert "furthest below their share (weight" in x["why"]


def unrouted(n: int) -> list[Lead]:
    """Leads stored without routing (as an import or a crash would leave them)."""
    from baton.leads.services import capture_clean, lead_create

    out = []
    for _ in range(n):
        k = next(_n)
        out.append(lead_create(capture_clean({"name": f"Stored {k}", "email": f"s{k}@stored{k}.com"})))
    return out


def test_weighted_round_robin_in_one_bulk_batch(org):
    use(org, [team_rule("weighted", org.inbound, strategy="weighted_round_robin", weights={"a": 3, "b": 1})])
    decided = route_leads(unrouted(8), ats=[MON_10] * 8)
    assert Counter(d.chosen_id for d in decided) == {org.a.pk: 6, org.b.pk: 2}
    assert len({d.explanation["candidates"][0]["last_seq"] for d in decided}) >= 2


def test_least_loaded_picks_the_rep_with_the_fewest_open_leads(org):
    org.b.out_of_office = True
    org.b.save()
    use(org, [team_rule("load", org.inbound, strategy="least_loaded")])
    held = [capture() for _ in range(3)]
    assert {x.owner_id for x in held} == {org.a.pk}
    org.b.out_of_office = False
    org.b.save()
    first = [capture().owner_id for _ in range(3)]
    assert first == [org.b.pk] * 3
    x = decision(Lead.objects.filter(owner=org.b).latest("id")).explanation
    assert x["strategy"] == "least_loaded" and "fewest open items" in x["why"]
    assert {c["username"]: c["load"] for c in x["candidates"]} == {"a": 3, "b": 2}
    # a's leads are worked off: b is the loaded one now
    Lead.objects.filter(pk__in=[h.pk for h in held]).update(status="disqualified")
    assert [capture().owner_id for _ in range(3)] == [org.a.pk] * 3


def test_account_owner_gets_the_lead_and_falls_back_to_the_pool_when_on_leave(org):
    use(org, [team_rule("owner", org.inbound, [{"field": "has_account", "op": "eq", "value": True}],
                        strategy="account_owner")])  # fmt: skip
    first = capture(company="Acme Robotics", email="first@acme-robotics.com")
    account = Account.objects.get(pk=first.account_id)
    account.owner = org.a
    account.save()
    again = [capture(company="Acme Robotics", email=f"n{i}@acme-robotics.com") for i in range(3)]
    assert {x.account_id for x in again} == {account.pk} and {x.owner_id for x in again} == {org.a.pk}
    x = decision(again[0]).explanation
    assert (
        x["strategy"] == "account_owner"
        and x["owner"] == "a"
        and x["why"] == "a owns the account Acme Robotics"
    )
    now = again[-1].created_at
    leave_add(org.a, now - timedelta(hours=1), now + timedelta(days=3), actor=org.ops, note="holiday")
    away = capture(company="Acme Robotics", email="away@acme-robotics.com")
    assert away.owner_id == org.b.pk
    x = decision(away).explanation
    assert x["owner_strategy"] == "account_owner"
    assert x["owner_skipped"].startswith(
        "a owns the account Acme Robotics but cannot take it: on leave until"
    )
    assert x["skipped"][0]["username"] == "a" and x["skipped"][0]["reason"].startswith("on leave until")
    assert "b had the fewest assignments" in x["why"]
    # a lead without an account does not match the rule: the fallback
    plain = capture(email="someone@gmail.com")
    assert plain.account_id is None and decision(plain).rule == "fallback"


def test_an_account_owner_outside_the_pool_is_chosen(org):
    use(org, [team_rule("owner", org.inbound, strategy="account_owner")])
    first = capture(company="Acme Robotics", email="first@acme-robotics.com")
    Account.objects.filter(pk=first.account_id).update(owner=org.v)  # an SDR of another team
    assert capture(company="Acme Robotics", email="second@acme-robotics.com").owner_id == org.v.pk
    org.v.out_of_office = True
    org.v.save()
    third = capture(company="Acme Robotics", email="third@acme-robotics.com")
    assert third.owner_id in {org.a.pk, org.b.pk}
    assert decision(third).explanation["owner_skipped"].endswith("cannot take it: out of office")


def test_an_account_owner_outside_the_pool_on_leave_is_skipped(org):
    use(org, [team_rule("owner", org.inbound, strategy="account_owner")])
    first = capture(company="Acme Robotics", email="first@acme-robotics.com")
    Account.objects.filter(pk=first.account_id).update(owner=org.v)
    leave_add(
        org.v, first.created_at - timedelta(hours=1), first.created_at + timedelta(days=3), actor=org.ops
    )
    assert capture(company="Acme Robotics", email="second@acme-robotics.com").owner_id != org.v.pk


def test_territory_owner(org):
    territory_save("East coast", org.e, regions=["East"], actor=org.ops)
    territory_save("Shanghai software", org.v, regions=["East"], cities=["Shanghai"], industries=["software"],
                   actor=org.ops)  # fmt: skip
    use(org, [team_rule("territory", org.inbound, strategy="territory_owner", then="least_loaded")])
    east = capture(region="east")
    specific = capture(region="East", city="shanghai", industry="Software")
    west = capture(region="West")
    assert east.owner_id == org.e.pk
    assert decision(east).explanation["why"] == "e owns the territory East coast"
    assert specific.owner_id == org.v.pk  # the most specific territory first
    assert west.owner_id in {org.a.pk, org.b.pk}
    x = decision(west).explanation
    assert x["owner_skipped"] == "no owner applies to this lead" and x["strategy"] == "least_loaded"


def test_director_dispatch_of_an_inbound_lead(org):
    from baton.sla.models import Clock

    use(org, [{"key": "regional", "name": "Regional director", "conditions": [
        {"field": "region", "op": "exists"}], "destination": {"type": "director"},
        "strategy": "director_dispatch"}])  # fmt: skip
    lead = capture(region="East")
    assert lead.owner_id == org.director.pk
    d = decision(lead)
    assert d.explanation["strategy"] == "director_dispatch" and d.pool == "director:east"
    assert "dir_east is the regional director" in d.explanation["why"]
    clock = Clock.objects.get(lead=lead)
    assert clock.policy.key == "director_dispatch" and clock.user_id == org.director.pk
    # a region without a director: the fallback, with the note
    nowhere = capture(region="North")
    assert nowhere.owner_id in {org.a.pk, org.b.pk}
    x = decision(nowhere).explanation
    assert x["fell_back"][0]["pool"] == "director:north" and "it has no members" in x["fell_back"][0]["why"]
    assert Clock.objects.get(lead=nowhere).policy.key == "speed_to_lead"


# --- Eligibility ------------------------------------------------------------------------------------------


def test_daily_cap_then_the_next_day(org):
    use(org, [team_rule("capped", org.inbound, cap_per_day=2)], fallback_to(org.vip))
    day = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    owners = [capture(at=day + timedelta(minutes=i)).owner_id for i in range(5)]
    assert Counter(owners[:4]) == {org.a.pk: 2, org.b.pk: 2} and owners[4] == org.v.pk
    x = decision(Lead.objects.get(owner=org.v)).explanation
    assert x["fell_back"][0]["rule"] == "capped"
    assert "a: daily cap reached (2/2)" in x["fell_back"][0]["why"]
    assert capture(at=day + timedelta(days=1)).owner_id in {org.a.pk, org.b.pk}


def test_open_item_cap(org):
    use(org, [team_rule("capped", org.inbound, cap_open=1)], fallback_to(org.vip))
    first, second, third = capture(), capture(), capture()
    assert {first.owner_id, second.owner_id} == {org.a.pk, org.b.pk} and third.owner_id == org.v.pk
    assert "open-item cap reached (1/1)" in decision(third).explanation["fell_back"][0]["why"]
    Lead.objects.filter(pk=first.pk).update(status="disqualified")
    assert capture().owner_id == first.owner_id


def test_working_hours_skip_outside_the_team_calendar(org):
    from baton.sla.services import calendar_save

    weekdays = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    calendar_save(name="Shanghai office", zone="Asia/Shanghai", hours=weekdays, teams=[org.inbound.pk])
    use(org, [team_rule("office", org.inbound, working_hours=True)], fallback_to(org.vip))
    assert capture(at=MON_10).owner_id in {org.a.pk, org.b.pk}
    weekend = capture(at=SAT_10)
    assert weekend.owner_id == org.v.pk  # the VIP team has no calendar: not asked
    why = decision(weekend).explanation["fell_back"][0]["why"]
    assert "a: outside their working hours" in why and "b: outside their working hours" in why


def test_the_eligible_list_decides_who_receives_handoffs(org):
    at = MON_10
    month = at.strftime("%Y-%m")
    lead = capture(region="East", at=at)
    assert eligible_list_set(month, ["ae1"], actor=org.ops) == ["ae1"]
    assert eligible_list(month) == ["ae1"]
    chosen = [handoff_to(lead, at).chosen_id for _ in range(3)]
    assert chosen == [org.ae1.pk] * 3
    d = decision(lead, "handoff")
    assert {"user_id": org.ae2.pk, "username": "ae2", "reason": f"not on the eligible list for {month}"} in (
        d.explanation["skipped"]
    )
    # a lead routed to an SDR is not held to the list
    assert capture(region="East", at=at).owner_id is not None
    eligible_list_set(month, [], actor=org.ops)  # no list: everyone
    assert eligible_list(month) == []
    assert handoff_to(lead, at).chosen_id == org.ae2.pk
    with pytest.raises(InvalidInput) as exc:
        eligible_list_set(month, ["ae1", "ghost"], actor=org.ops)
    assert exc.value.details["unknown"] == ["ghost"]
    with pytest.raises(InvalidInput):
        eligible_list_set("2026-13", ["ae1"], actor=org.ops)


def test_a_month_without_its_leading_zero_is_refused(org):
    with pytest.raises(InvalidInput):
        eligible_list_set("2026-1", ["ae1"], actor=org.ops)


def test_leave_is_half_open_starts_to_ends(org):
    use(org, [team_rule("vip", org.vip)])
    starts, ends = MON_10, MON_10 + timedelta(days=2)
    leave_add(org.v, starts, ends, actor=org.ops)
    assert capture(at=starts - timedelta(seconds=1)).owner_id == org.v.pk
    during = capture(at=starts)
    assert during.owner_id in {org.a.pk, org.b.pk}
    assert "v: on leave until" in decision(during).explanation["fell_back"][0]["why"]
    assert capture(at=ends - timedelta(seconds=1)).owner_id != org.v.pk
    assert capture(at=ends).owner_id == org.v.pk
    with pytest.raises(InvalidInput):
        leave_add(org.v, ends, starts, actor=org.ops)


def test_a_leave_that_starts_later_in_a_batch_does_not_skip_earlier_items(org):
    use(org, [team_rule("vip", org.vip)])
    leave_add(org.v, MON_10, MON_10 + timedelta(days=1), actor=org.ops)
    early, late = unrouted(2)
    decided = route_leads([early, late], ats=[MON_10 - timedelta(hours=1), MON_10 + timedelta(hours=1)])
    assert decided[0].chosen_id == org.v.pk  # before the leave
    assert decided[1].chosen_id != org.v.pk  # during it


def test_suspended_reps_receive_no_handoffs(org):
    at = MON_10
    org.ae1.suspended_until = at + timedelta(days=30)
    org.ae1.save()
    lead = capture(region="East", at=at)
    assert [handoff_to(lead, at).chosen_id for _ in range(3)] == [org.ae2.pk] * 3
    (skipped,) = decision(lead, "handoff").explanation["skipped"]
    assert skipped["username"] == "ae1" and skipped["reason"].endswith("(SLA penalty)")
    # the penalty ends
    assert handoff_to(lead, at + timedelta(days=31)).chosen_id == org.ae1.pk


def test_a_deactivated_rep_keeps_their_leads_and_is_not_chosen_again(org):
    use(org, [], fallback_to(org.inbound))
    held = [capture() for _ in range(4)]
    assert Counter(x.owner_id for x in held) == {org.a.pk: 2, org.b.pk: 2}
    org.a.is_active = False
    org.a.save()
    assert {capture().owner_id for _ in range(4)} == {org.b.pk}
    assert Lead.objects.filter(owner=org.a).count() == 2
    x = decision(Lead.objects.latest("id")).explanation
    assert [c["username"] for c in x["candidates"]] == ["b"]


# --- Versions and replay ----------------------------------------------------------------------------------


def test_policy_versions_draft_edit_activate_and_tallies_survive(org):
    assert policy_active("lead").version == 1
    before = [capture() for _ in range(6)]  # v1: the inbound SDRs by role (a, b, e, v)
    v1_counts = Counter(x.owner_id for x in before)
    assert max(v1_counts.values()) - min(v1_counts.values()) <= 1
    v1 = RoutingPolicy.objects.get(kind="lead", version=1)
    definition = {"rules": [team_rule("never", org.vip, [{"field": "score", "op": "gt", "value": 10_000}])],
                  "fallback": v1.definition["fallback"]}  # fmt: skip
    draft = policy_draft_save("lead", definition, actor=org.ops, note="first try")
    assert (draft.version, draft.state, draft.note) == (2, "draft", "first try")
    edited = policy_draft_save("lead", {**definition, "rules": []}, actor=org.ops, note="simpler", version=2)
    assert edited.pk == draft.pk and edited.definition["rules"] == [] and edited.note == "simpler"
    with pytest.raises(Conflict) as exc:
        policy_draft_save("lead", definition, actor=org.ops, version=1)
    assert exc.value.code == "policy_not_draft"
    policy_activate("lead", 2, actor=org.ops)
    states = dict(RoutingPolicy.objects.filter(kind="lead").values_list("version", "state"))
    assert states == {1: "retired", 2: "active"}
    assert policy_active("lead").version == 2
    with pytest.raises(Conflict):
        policy_draft_save("lead", definition, actor=org.ops, version=2)
    after = [capture() for _ in range(6)]
    total = v1_counts + Counter(x.owner_id for x in after)
    assert sorted(total.values()) == [3, 3, 3, 3]  # one pool, its tallies kept across versions
    assert RoutingPool.objects.count() == 1
    assert dict(RoutingTally.objects.values_list("user", "count")) == dict(total)
    assert decision(after[-1]).policy_version == 2


def test_a_draft_is_validated_as_a_whole_against_the_organisation(org):
    bad = {"rules": [team_rule("nope", SimpleNamespace(pk=999_999)),
                     team_rule("w", org.inbound, strategy="weighted_round_robin", weights={"a": 1, "ghost": 2}),
                     {"key": "x", "destination": {"type": "role", "role": "wizard"}}],
           "fallback": fallback_to(org.inbound)}  # fmt: skip
    with pytest.raises(InvalidInput) as exc:
        policy_draft_save("lead", bad, actor=org.ops)
    problems = exc.value.details["problems"]
    assert any("team 999999 does not exist" in p for p in problems)
    assert any("weights name unknown users (ghost)" in p for p in problems)
    assert any("unknown role 'wizard'" in p for p in problems)
    with pytest.raises(InvalidInput) as exc:
        policy_draft_save("lead", {"rules": [{"strategy": "coin"}]}, actor=org.ops)
    assert len(exc.value.details["problems"]) >= 3  # strategy, destination, fallback
    with pytest.raises(InvalidInput):
        policy_draft_save("mql", {"rules": [], "fallback": fallback_to(org.inbound)}, actor=org.ops)
    assert RoutingPolicy.objects.filter(state="draft").count() == 0


def test_replay_of_a_draft_shows_what_would_change_and_writes_nothing(org):
    use(org, [], fallback_to(org.inbound))
    leads = [capture(source=s) for s in ("seo", "other", "seo", "other", "hotline")]
    draft = policy_draft_save("lead", {
        "rules": [team_rule("seo", org.vip, [{"field": "source", "op": "eq", "value": "seo"}])],
        "fallback": fallback_to(org.inbound),
    }, actor=org.ops)  # fmt: skip
    counts = (RoutingDecision.objects.count(), RoutingPool.objects.count(),
              sorted(RoutingTally.objects.values_list("user", "count", "last_seq")), Lead.objects.filter(owner=None).count())  # fmt: skip
    replay = policy_replay("lead", version=draft.version, last=10)
    assert [r.lead_id for r in replay.rows] == [x.pk for x in leads]
    by_lead = {r.lead_id: r for r in replay.rows}
    for lead in leads:
        row = by_lead[lead.pk]
        assert row.actual in ("a", "b")
        if lead.source == "seo":
            assert row.would == "v" and row.rule == "Seo" and row.changed
        else:
            assert row.would in ("a", "b") and row.rule == "Inbound team"
    assert replay.changed >= 2
    assert replay.would["v"] == 2 and sum(replay.actual.values()) == 5 and replay.actual.get("v") is None
    assert replay.changed == sum(r.actual != r.would for r in replay.rows)
    after = (RoutingDecision.objects.count(), RoutingPool.objects.count(),
             sorted(RoutingTally.objects.values_list("user", "count", "last_seq")), Lead.objects.filter(owner=None).count())  # fmt: skip
    assert after == counts
    assert RoutingPolicy.objects.get(kind="lead", version=draft.version).state == "draft"
    # the last N only; an unsaved definition replays as well
    assert [r.lead_id for r in policy_replay("lead", version=draft.version, last=2).rows] == [
        x.pk for x in leads[-2:]
    ]
    same = policy_replay("lead", definition=draft.definition, last=10)
    assert [r.would for r in same.rows] == [r.would for r in replay.rows]
    with pytest.raises(InvalidInput):
        policy_replay("lead", version=draft.version, last=0)
