"""Round robin under parallel clients: no lead assigned twice, the distribution exact."""

import threading
from collections import Counter

import pytest
from django.db import connection

from baton.leads.models import Lead
from baton.leads.services import lead_capture
from baton.org.services import team_create, user_create
from baton.routing.models import RoutingDecision, RoutingPool, RoutingTally

THREADS = 6
PER_THREAD = 15


@pytest.mark.django_db(transaction=True)
def test_parallel_captures_are_routed_exactly_once_and_evenly():
    team = team_create("Inbound", "sdr_inbound")
    sdrs = [user_create(f"sdr{i}", None, roles=["sdr_inbound"], team=team) for i in range(4)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def client(k: int) -> None:
        try:
            barrier.wait()
            for i in range(PER_THREAD):
                lead_capture({"name": f"L{k}-{i}", "email": f"l{k}.{i}@firm{k}{i}.com"})
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    total = THREADS * PER_THREAD
    assert Lead.objects.count() == total
    assert Lead.objects.filter(owner=None).count() == 0
    decisions = RoutingDecision.objects.filter(kind="lead")
    assert decisions.count() == total
    assert Counter(decisions.values_list("lead_id", flat=True)).most_common(1)[0][1] == 1
    owners = Counter(Lead.objects.values_list("owner_id", flat=True))
    assert set(owners) == {s.pk for s in sdrs}
    assert max(owners.values()) - min(owners.values()) <= 1
    tallies = {t.user_id: t.count for t in RoutingTally.objects.all()}
    assert tallies == dict(owners)
    seqs = list(RoutingTally.objects.values_list("last_seq", flat=True))
    assert len(set(seqs)) == len(seqs)


@pytest.mark.django_db
def test_a_rep_who_joins_starts_at_the_minimum_and_nothing_resets():
    team = team_create("Inbound", "sdr_inbound")
    a = user_create("a", None, roles=["sdr_inbound"], team=team)
    b = user_create("b", None, roles=["sdr_inbound"], team=team)
    for i in range(10):
        lead_capture({"name": f"x{i}", "email": f"x{i}@f{i}.com"})
    c = user_create("c", None, roles=["sdr_inbound"], team=team)
    got = Counter(lead_capture({"name": f"y{i}", "email": f"y{i}@g{i}.com"}).owner_id for i in range(9))
    assert got == {a.pk: 3, b.pk: 3, c.pk: 3}
    b.out_of_office = True
    b.save()
    lead = lead_capture({"name": "z", "email": "z@z.com"})
    decision = RoutingDecision.objects.get(lead=lead)
    assert lead.owner_id in {a.pk, c.pk}
    assert decision.explanation["skipped"] == [{"user_id": b.pk, "username": "b", "reason": "out of office"}]


@pytest.mark.django_db
def test_no_eligible_sdr_leaves_the_lead_unrouted_tells_managers_and_the_sweep_retries():
    from datetime import timedelta

    from baton import clock
    from baton.leads.services import leads_route_pending
    from baton.notifications.models import Notification

    team = team_create("Inbound", "sdr_inbound")
    only = user_create("only", None, roles=["sdr_inbound"], team=team)
    boss = user_create("boss", None, roles=["sdr_director"], team=team)
    only.out_of_office = True
    only.save()
    lead = lead_capture({"name": "p", "email": "p@p.com"})
    assert lead.owner_id is None and lead.routed_at is None
    event = lead.events.get(kind="routing_failed")
    assert "no eligible rep" in event.reason and "only: out of office" in event.reason
    note = Notification.objects.get(user=boss, verb="routing_unrouted")
    assert note.params["count"] == 1
    now = clock.now()
    assert leads_route_pending(at=now + timedelta(minutes=1)) == 0  # not before the retry interval
    only.out_of_office = False
    only.save()
    assert leads_route_pending(at=now + timedelta(minutes=11)) == 1
    lead.refresh_from_db()
    assert lead.owner_id == only.pk and lead.routed_at is not None


@pytest.mark.django_db(transaction=True)
def test_parallel_captures_keep_the_exact_weighted_split():
    from baton.routing.services import policy_activate, policy_draft_save

    team = team_create("Inbound", "sdr_inbound")
    heavy = user_create("heavy", None, roles=["sdr_inbound"], team=team)
    light = user_create("light", None, roles=["sdr_inbound"], team=team)
    draft = policy_draft_save("lead", {"rules": [], "fallback": {
        "key": "fallback", "name": "Inbound 3:1", "destination": {"type": "team", "team_id": team.pk},
        "strategy": "weighted_round_robin", "options": {"weights": {"heavy": 3, "light": 1}}}}, actor=None)  # fmt: skip
    policy_activate("lead", draft.version, actor=None)
    per_thread = 10  # 60 captures: 15 full cycles of 3 + 1
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def client(k: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                lead_capture({"name": f"W{k}-{i}", "email": f"w{k}.{i}@weighted{k}{i}.com"})
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    total = THREADS * per_thread
    assert Lead.objects.filter(owner=None).count() == 0
    assert Counter(Lead.objects.values_list("owner_id", flat=True)) == {
        heavy.pk: total * 3 // 4,
        light.pk: total // 4,
    }
    decisions = RoutingDecision.objects.filter(kind="lead")
    assert decisions.count() == total and set(decisions.values_list("policy_version", flat=True)) == {
        draft.version
    }
    tallies = dict(RoutingTally.objects.values_list("user_id", "count"))
    assert tallies == {heavy.pk: total * 3 // 4, light.pk: total // 4}
    assert RoutingPool.objects.get().seq == total  # every assignment took the next number, none twice
