"""Round robin under parallel clients: no lead assigned twice, the distribution exact."""

import threading
from collections import Counter

import pytest
from django.db import connection

from baton.leads.models import Lead
from baton.leads.services import lead_capture
from baton.org.services import team_create, user_create
from baton.routing.models import RoutingDecision, RoutingTally

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
def test_no_eligible_sdr_leaves_the_lead_in_the_pool_with_a_reason():
    team = team_create("Inbound", "sdr_inbound")
    only = user_create("only", None, roles=["sdr_inbound"], team=team)
    only.is_active = False
    only.save()
    lead = lead_capture({"name": "p", "email": "p@p.com"})
    assert lead.owner_id is None and lead.routed_at is not None
    event = lead.events.get(kind="routing_failed")
    assert "no eligible rep" in event.reason
