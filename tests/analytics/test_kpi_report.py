"""kpi_report against a slow reference implementation, plus targeted edge cases."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from analytics.kpi_reference import Reference
from analytics.kpi_world import build_world, make_stages, make_users

from baton.analytics.selectors import kpi_report
from baton.clock import travel_to
from baton.core import kpis as K
from baton.core.errors import InvalidInput
from baton.handoffs.models import Handoff
from baton.leads.models import Lead, Touch
from baton.org.models import OrgSettings
from baton.org.selectors import subtree_user_ids
from baton.pipeline.models import Opportunity, StageChange

pytestmark = pytest.mark.django_db

US = timedelta(microseconds=1)


def assert_same(actual: dict, expected: dict, where: str) -> None:
    diffs = {k: (actual.get(k), expected.get(k)) for k in expected if actual.get(k) != expected.get(k)}
    assert not diffs, f"{where}: (kpi_report, reference) differ: {diffs}"


# --- against the reference ------------------------------------------------------------------------

LATE, SOON, MIDWAY = timedelta(days=70), timedelta(days=3), timedelta(days=-7)
WORLDS = [
    (1, "UTC", LATE),
    (2, "Asia/Shanghai", MIDWAY),
    (3, "America/New_York", SOON),  # the period spans the March 2024 DST change
    (4, "Asia/Shanghai", LATE),
    (5, "Europe/Berlin", LATE),  # and this one the end of March
]


@pytest.mark.parametrize(("seed", "tz", "as_of"), WORLDS)
def test_report_matches_the_reference(seed, tz, as_of):
    start = date(2024, 3, 20) if tz == "Europe/Berlin" else date(2024, 3, 4)
    world = build_world(seed, tz=tz, as_of_offset=as_of, start=start)
    report = kpi_report(world.start, world.end, as_of=world.as_of, by_rep=True)
    ref = Reference(world.start, world.end, world.as_of).report(by_rep=True)

    assert report["period"]["timezone"] == tz
    assert report["period"]["start_utc"] == world.lo.isoformat()
    assert_same(report["kpis"], ref["kpis"], "whole report")
    assert list(report["kpis"]) == list(K.KEYS)
    assert report["by_source"] == ref["by_source"]
    assert [r["user_id"] for r in report["by_rep"]] == [r["user_id"] for r in ref["by_rep"]]
    for got, want in zip(report["by_rep"], ref["by_rep"], strict=True):
        assert {k: got[k] for k in ("username", "name", "roles")} == {
            k: want[k] for k in ("username", "name", "roles")
        }
        assert_same(got["kpis"], want["kpis"], f"by_rep {got['username']}")
    # The random world must exercise the numbers, not just zeros and nulls.
    kpis = report["kpis"]
    assert kpis["leads"] > 0 and kpis["touches"] > 0 and kpis["mqls"] > 0
    assert 0 < kpis["sla_compliance"] < 1


@pytest.mark.parametrize(("seed", "tz", "as_of"), WORLDS[:3])
def test_rep_ids_restrict_the_whole_report(seed, tz, as_of):
    world = build_world(seed, tz=tz, as_of_offset=as_of)
    users = world.users
    reference = Reference(world.start, world.end, world.as_of)
    subtree = subtree_user_ids(users["director"])
    for rep_ids in (subtree, {users["sdr2"].pk}, {users["ae3"].pk, users["helper"].pk}, set()):
        report = kpi_report(world.start, world.end, as_of=world.as_of, rep_ids=rep_ids, by_rep=True)
        ref = reference.report(rep_ids=rep_ids, by_rep=True)
        assert_same(report["kpis"], ref["kpis"], f"rep_ids={rep_ids}")
        assert report["by_source"] == ref["by_source"]
        assert [r["user_id"] for r in report["by_rep"]] == [r["user_id"] for r in ref["by_rep"]]
        assert {r["user_id"] for r in report["by_rep"]} <= rep_ids
        for got, want in zip(report["by_rep"], ref["by_rep"], strict=True):
            assert_same(got["kpis"], want["kpis"], f"rep_ids={rep_ids} by_rep {got['username']}")


def test_a_single_rep_report_equals_their_by_rep_row():
    world = build_world(11, tz="Asia/Shanghai")
    full = kpi_report(world.start, world.end, as_of=world.as_of, by_rep=True)
    for row in full["by_rep"]:
        alone = kpi_report(world.start, world.end, as_of=world.as_of, rep_ids={row["user_id"]})
        assert alone["kpis"] == row["kpis"], row["username"]


@pytest.mark.parametrize(
    "as_of_offset", [timedelta(days=-20), timedelta(days=-7), timedelta(0), timedelta(days=400)]
)
def test_as_of_anywhere_matches_the_reference(as_of_offset):
    world = build_world(21, tz="Asia/Shanghai", as_of_offset=as_of_offset)
    report = kpi_report(world.start, world.end, as_of=world.as_of)
    assert_same(
        report["kpis"], Reference(world.start, world.end, world.as_of).report()["kpis"], str(as_of_offset)
    )
    assert report["period"]["complete"] is (world.as_of >= world.hi)


def test_query_count_does_not_grow_with_the_data(django_assert_max_num_queries):
    world = build_world(31, n_leads=40)
    with django_assert_max_num_queries(22) as small:
        kpi_report(world.start, world.end, as_of=world.as_of, by_rep=True)
    build_world(32, n_leads=200, base=world)  # five times the history
    with django_assert_max_num_queries(len(small.captured_queries)):
        kpi_report(world.start, world.end, as_of=world.as_of, by_rep=True)
    with django_assert_max_num_queries(len(small.captured_queries)):
        kpi_report(world.start, world.end, as_of=world.as_of, by_rep=True, rep_ids={world.users["sdr1"].pk})


# --- targeted cases ---------------------------------------------------------------------------------


@pytest.fixture
def people():
    return make_users()


@pytest.fixture
def stages():
    return make_stages()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def lead_at(at: datetime, *, owner=None, direction="inbound", source="seo", first_touch_at=None) -> Lead:
    return Lead.objects.create(
        name="L", source=source, direction=direction, owner=owner, created_at=at, status_changed_at=at,
        first_touch_at=first_touch_at,
    )  # fmt: skip


def handoff(lead, sdr, ae, at, *, cycle=1, status="pending", decided_at=None, hours=48) -> Handoff:
    return Handoff.objects.create(
        lead=lead, cycle=cycle, sdr=sdr, ae=ae, status=status, created_at=at, due_at=at + timedelta(hours=hours),
        decided_at=decided_at,
    )  # fmt: skip


def test_empty_period_gives_zero_counts_and_null_rates(stages):
    report = kpi_report(date(2024, 1, 1), date(2024, 2, 1), as_of=utc(2024, 6, 1))
    kpis = report["kpis"]
    for d in K.CATALOGUE:
        value = kpis[d.key]
        if d.unit == K.COUNT:
            assert value == 0, d.key
        elif d.key in ("pipeline_created", "bookings", "sdr_sourced_bookings"):
            assert value == "0.00", d.key
        else:
            assert value is None, d.key
    assert report["by_source"] == {}
    assert "by_rep" not in report
    assert report["currency"] == OrgSettings.get().currency


def test_the_period_must_not_be_empty():
    with pytest.raises(InvalidInput):
        kpi_report(date(2024, 1, 2), date(2024, 1, 2))
    with pytest.raises(InvalidInput):
        kpi_report(date(2024, 1, 2), date(2024, 1, 1))


def test_as_of_defaults_to_the_clock():
    moment = utc(2024, 3, 10, 12)
    lead_at(utc(2024, 3, 5))
    lead_at(moment + US)  # in the period, but after "now"
    with travel_to(moment):
        report = kpi_report(date(2024, 3, 1), date(2024, 4, 1))
    assert report["period"]["as_of"] == moment.isoformat()
    assert report["kpis"]["leads"] == 1
    assert report["period"]["complete"] is False


def test_period_bounds_follow_the_org_time_zone_asia_shanghai():
    OrgSettings.objects.update_or_create(pk=1, defaults={"timezone": "Asia/Shanghai"})
    # 2024-03-01 00:00 in Shanghai is 2024-02-29 16:00 UTC.
    lead_at(utc(2024, 2, 29, 15, 59, 59, 999999))  # 23:59:59.999999 on 29 Feb, Shanghai: before
    lead_at(utc(2024, 2, 29, 16))  # midnight on 1 March, Shanghai: in
    lead_at(utc(2024, 3, 1, 15, 59, 59, 999999))  # last instant of 1 March, Shanghai: in
    lead_at(utc(2024, 3, 1, 16))  # midnight on 2 March, Shanghai: after
    report = kpi_report(date(2024, 3, 1), date(2024, 3, 2), as_of=utc(2024, 4, 1))
    assert report["kpis"]["leads"] == 2
    assert report["period"]["start_utc"] == "2024-02-29T16:00:00+00:00"
    assert report["period"]["end_utc"] == "2024-03-01T16:00:00+00:00"
    # The same rows read in UTC: 29 February holds the first two, not one.
    OrgSettings.objects.filter(pk=1).update(timezone="UTC")
    assert kpi_report(date(2024, 2, 29), date(2024, 3, 1), as_of=utc(2024, 4, 1))["kpis"]["leads"] == 2
    OrgSettings.objects.filter(pk=1).update(timezone="Asia/Shanghai")
    assert kpi_report(date(2024, 2, 29), date(2024, 3, 1), as_of=utc(2024, 4, 1))["kpis"]["leads"] == 1


def test_a_naive_as_of_is_read_in_the_org_time_zone():
    OrgSettings.objects.update_or_create(pk=1, defaults={"timezone": "Asia/Shanghai"})
    lead_at(utc(2024, 3, 5, 3))  # 11:00 in Shanghai
    early = kpi_report(date(2024, 3, 1), date(2024, 4, 1), as_of=datetime(2024, 3, 5, 10, 59))
    late = kpi_report(date(2024, 3, 1), date(2024, 4, 1), as_of=datetime(2024, 3, 5, 11, 0))
    assert (early["kpis"]["leads"], late["kpis"]["leads"]) == (0, 1)
    assert late["period"]["as_of"] == "2024-03-05T03:00:00+00:00"


def test_a_lead_cycle_counts_once_as_mql_and_a_new_cycle_counts_again(people):
    sdr, ae = people["sdr1"], people["ae1"]
    lead = lead_at(utc(2024, 3, 1), owner=sdr)
    t = utc(2024, 3, 2)
    # Cycle 1: handed off, rejected, handed off again (re-routed) in the same cycle.
    handoff(lead, sdr, ae, t, cycle=1, status="rejected", decided_at=t + timedelta(hours=1))
    handoff(lead, sdr, people["ae2"], t + timedelta(hours=2), cycle=1, status="accepted",
            decided_at=t + timedelta(hours=3))  # fmt: skip
    # Cycle 2: back to working later, handed off again.
    handoff(lead, sdr, ae, t + timedelta(days=5), cycle=2, status="pending")
    # Another lead, one handoff.
    other = lead_at(utc(2024, 3, 1), owner=sdr)
    handoff(other, sdr, ae, t, cycle=1, status="rejected", decided_at=t + timedelta(hours=50))
    report = kpi_report(date(2024, 3, 1), date(2024, 4, 1), as_of=utc(2024, 5, 1), by_rep=True)
    kpis = report["kpis"]
    assert kpis["mqls"] == 3  # (lead, 1), (lead, 2), (other, 1)
    assert kpis["mql_rate"] == 1.0  # both leads reached MQL
    assert kpis["sqls"] == 1
    assert kpis["mql_to_sql_rate"] == round(1 / 3, 4)  # only (lead, 1) was accepted
    # Per handoff: 4 made; 2 decided within 48 h (the pending one and the 50-hour rejection are not).
    assert kpis["acceptance_within_sla_rate"] == 0.5
    rows = {r["username"]: r["kpis"] for r in report["by_rep"]}
    assert rows["sdr1"]["mqls"] == 3 and rows["ae1"]["mqls"] == 0
    assert rows["ae1"]["acceptance_within_sla_rate"] == round(1 / 3, 4)  # ae1 received 3, decided 1 in time
    assert rows["ae2"]["acceptance_within_sla_rate"] == 1.0


def test_a_cycle_first_handed_off_before_the_period_is_not_an_mql_of_the_period(people):
    sdr, ae = people["sdr1"], people["ae1"]
    lead = lead_at(utc(2024, 2, 1), owner=sdr)
    handoff(lead, sdr, ae, utc(2024, 2, 28), status="rejected", decided_at=utc(2024, 2, 28, 1))
    handoff(lead, sdr, ae, utc(2024, 3, 2), status="accepted", decided_at=utc(2024, 3, 2, 1))  # same cycle
    kpis = kpi_report(date(2024, 3, 1), date(2024, 4, 1), as_of=utc(2024, 5, 1))["kpis"]
    assert kpis["mqls"] == 0
    assert kpis["sqls"] == 1  # the acceptance itself happened in March
    assert kpis["mql_to_sql_rate"] is None


def test_cohort_conversions_only_see_what_happened_by_as_of(people):
    sdr, ae = people["sdr1"], people["ae1"]
    lead = lead_at(utc(2024, 3, 1), owner=sdr)
    handoff(lead, sdr, ae, utc(2024, 3, 2), status="accepted", decided_at=utc(2024, 4, 10))
    before = kpi_report(date(2024, 3, 1), date(2024, 4, 1), as_of=utc(2024, 4, 9))["kpis"]
    after = kpi_report(date(2024, 3, 1), date(2024, 4, 1), as_of=utc(2024, 4, 10))["kpis"]
    assert (before["mql_to_sql_rate"], after["mql_to_sql_rate"]) == (0.0, 1.0)
    assert before["acceptance_within_sla_rate"] == 0.0  # still undecided at as_of
    assert after["acceptance_within_sla_rate"] == 0.0  # decided, but late


def test_speed_to_lead(people):
    sdr = people["sdr1"]
    base = utc(2024, 3, 5, 9)
    minutes = [1, 5, 3, 30]
    for m in minutes:
        lead_at(base, owner=sdr, first_touch_at=base + timedelta(minutes=m))
    lead_at(base, owner=sdr, first_touch_at=base + timedelta(minutes=5) + US)  # just over 5 minutes
    lead_at(base, owner=sdr, direction="outbound", first_touch_at=base + timedelta(minutes=1))  # not inbound
    lead_at(base, owner=sdr)  # never touched
    lead_at(base, owner=sdr, first_touch_at=utc(2024, 5, 1))  # touched after as_of
    kpis = kpi_report(date(2024, 3, 1), date(2024, 4, 1), as_of=utc(2024, 4, 1))["kpis"]
    # Values (min): 1, 3, 5, 5.0000000167, 30 → median 5, p90 = 5.0000000167 + 0.6 * (30 - 5.0000000167)
    assert kpis["speed_to_lead_median_min"] == 5.0
    assert kpis["speed_to_lead_p90_min"] == 20.0
    assert kpis["speed_to_lead_within_5min"] == 0.6
    assert kpis["follow_up_rate"] == round(6 / 8, 4)


def test_touch_metrics(people):
    sdr = people["sdr1"]
    lead = lead_at(utc(2024, 3, 1), owner=sdr)
    at = utc(2024, 3, 2)

    def touch(channel, outcome, direction="outbound", meaningful=False, when=at):
        Touch.objects.create(lead=lead, user=sdr, channel=channel, outcome=outcome, direction=direction,
                             occurred_at=when, recorded_at=when, meaningful=meaningful)  # fmt: skip

    touch("call", "connected", meaningful=True)
    touch("call", "no_answer")
    touch("email", "replied", meaningful=True)
    touch("email", "auto_reply")
    touch("message", "sent")
    # Inbound: not a touch, not an attempt, but it is a reply and a meaningful conversation.
    touch("email", "replied", direction="inbound", meaningful=True)
    touch("meeting", "booked")
    touch("meeting", "held")
    touch("meeting", "no_show")
    touch("call", "connected", when=utc(2024, 4, 1))  # after the period
    kpis = kpi_report(date(2024, 3, 1), date(2024, 4, 1), as_of=utc(2024, 5, 1))["kpis"]
    assert (kpis["touches"], kpis["calls"], kpis["emails"], kpis["messages"]) == (8, 2, 2, 1)
    assert (kpis["meetings_booked"], kpis["meetings_held"]) == (1, 1)
    assert kpis["reply_rate"] == round(2 / 3, 4)  # two replies to three outbound e-mails and messages
    assert kpis["meaningful_conversation_rate"] == 0.6  # three meaningful of five outbound attempts


def _accepted_sql(people, decided: datetime) -> Handoff:
    lead = lead_at(decided - timedelta(days=3), owner=people["sdr1"])
    return handoff(lead, people["sdr1"], people["ae1"], decided - timedelta(hours=2), status="accepted",
                   decided_at=decided)  # fmt: skip


def _opp(
    h: Handoff, stages, created: datetime, *, stage="Discovery", closed=None, amount="1000.00", sdr=True
):
    opp = Opportunity.objects.create(
        lead=h.lead, handoff=h, owner=h.ae, sdr=h.sdr if sdr else None, name="O", amount=Decimal(amount),
        stage=stages[stage], created_at=created, closed_at=closed,
    )  # fmt: skip
    StageChange.objects.create(opportunity=opp, to_stage=stages["Discovery"], changed_at=created)
    if stage != "Discovery":
        StageChange.objects.create(opportunity=opp, from_stage=stages["Discovery"], to_stage=stages[stage],
                                   changed_at=closed or created + timedelta(days=1))  # fmt: skip
    return opp


def test_credit_rule_edges_45_days_and_2_weeks(people, stages):
    accepted = utc(2024, 2, 1, 10)
    day45 = timedelta(days=45)
    # Created exactly 45 days after acceptance, in March: credited.
    a = _opp(_accepted_sql(people, accepted), stages, accepted + day45, stage="Won",
             closed=accepted + day45 + timedelta(days=1), amount="100.00")  # fmt: skip
    # 45 days and a microsecond: not credited.
    _opp(_accepted_sql(people, accepted), stages, accepted + day45 + US, stage="Won",
         closed=accepted + day45 + timedelta(days=1), amount="200.00")  # fmt: skip
    # Lost exactly 14 days after creation: withdrawn, not credited.
    created = utc(2024, 3, 10)
    _opp(_accepted_sql(people, created - timedelta(days=1)), stages, created, stage="Lost",
         closed=created + timedelta(days=14))  # fmt: skip
    # Lost 14 days and a microsecond after creation: credited.
    _opp(_accepted_sql(people, created - timedelta(days=1)), stages, created, stage="Lost",
         closed=created + timedelta(days=14) + US)  # fmt: skip
    # Open: credited (provisionally).
    _opp(_accepted_sql(people, created - timedelta(days=1)), stages, created)
    assert a.created_at == utc(2024, 3, 17, 10)

    march = kpi_report(date(2024, 3, 1), date(2024, 4, 1), as_of=utc(2024, 6, 1))["kpis"]
    assert march["opps_created"] == 5
    assert march["sdr_sourced_opps"] == 3
    assert march["won"] == 2 and march["bookings"] == "300.00"
    assert march["sdr_sourced_bookings"] == "100.00"
    assert march["sdr_sourced_bookings_share"] == round(100 / 300, 4)
    assert march["asp"] == "150.00"
    assert march["win_rate"] == 0.5  # all four closed in March
    # Withdrawal is judged as known at as_of: on 20 March the lost ones were still open.
    early = kpi_report(date(2024, 3, 1), date(2024, 4, 1), as_of=utc(2024, 3, 20))["kpis"]
    assert early["sdr_sourced_opps"] == 4


def test_sql_to_opp_within_45_days(people, stages):
    decided = utc(2024, 3, 5)
    _opp(_accepted_sql(people, decided), stages, decided + timedelta(days=45))
    _opp(_accepted_sql(people, decided), stages, decided + timedelta(days=45) + US)
    _accepted_sql(people, decided)  # no opportunity
    _opp(_accepted_sql(people, decided), stages, decided + timedelta(days=1))
    kpis = kpi_report(date(2024, 3, 1), date(2024, 4, 1), as_of=utc(2024, 4, 10))["kpis"]
    assert kpis["sqls"] == 4
    assert kpis["sql_to_opp_rate"] == 0.25  # on 10 April, only the 1-day one exists
    kpis = kpi_report(date(2024, 3, 1), date(2024, 4, 1), as_of=utc(2024, 9, 1))["kpis"]
    assert kpis["sql_to_opp_rate"] == 0.5


def test_stage2_reach_and_sales_cycle(people, stages):
    decided = utc(2024, 2, 20)
    created = utc(2024, 3, 3)
    _opp(_accepted_sql(people, decided), stages, created)  # stays in Discovery
    _opp(_accepted_sql(people, decided), stages, created, stage="Demo")  # the second open stage
    _opp(_accepted_sql(people, decided), stages, created, stage="Proposal")  # skipped Demo
    _opp(_accepted_sql(people, decided), stages, created, stage="Won", closed=created + timedelta(days=10))
    _opp(_accepted_sql(people, decided), stages, created, stage="Lost", closed=created + timedelta(days=20))
    _opp(_accepted_sql(people, decided), stages, created, stage="Won", closed=created + timedelta(days=13))
    kpis = kpi_report(date(2024, 3, 1), date(2024, 4, 1), as_of=utc(2024, 6, 1))["kpis"]
    assert kpis["stage2_reach_rate"] == round(4 / 6, 4)
    assert kpis["sales_cycle_median_days"] == 11.5
    assert kpis["pipeline_created"] == "6000.00" and kpis["pipeline_per_opp"] == "1000.00"
