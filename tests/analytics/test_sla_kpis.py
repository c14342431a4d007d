"""SLA KPIs (sla_compliance overall and per policy, sla_strikes, sla_system_delay_share, suspensions):
kpi_report against the slow reference on random worlds, random periods and random cuts, then the edges
of the definition one by one."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from analytics.kpi_reference import Reference
from analytics.kpi_world import build_world, make_users, sla_policies

from baton.analytics.selectors import kpi_report, sla_compliance_counts
from baton.core import kpis as K
from baton.leads.models import Lead
from baton.org.selectors import subtree_user_ids
from baton.sla.models import Clock, Penalty, Policy

pytestmark = pytest.mark.django_db

US = timedelta(microseconds=1)
SLA_KEYS = [k for k in K.KEYS if k.startswith("sla_") or k == "suspensions"]


def assert_same(actual: dict, expected: dict, where: str) -> None:
    diffs = {k: (actual.get(k), expected.get(k)) for k in expected if actual.get(k) != expected.get(k)}
    assert not diffs, f"{where}: (kpi_report, reference) differ: {diffs}"


def test_the_catalogue_names_every_built_in_policy():
    assert set(K.SLA_POLICY_KEYS) == set(Policy.Key.values)
    assert set(SLA_KEYS) == {"sla_compliance", "sla_strikes", "sla_system_delay_share", "suspensions"} | {
        f"sla_compliance_{key}" for key in K.SLA_POLICY_KEYS
    }


# --- against the reference: random periods, as-of instants and cuts -----------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_random_periods_and_cuts_match_the_reference(seed):
    rnd = random.Random(seed)
    tz = ["UTC", "Asia/Shanghai", "America/New_York", "Europe/Berlin"][seed]
    world = build_world(100 + seed, tz=tz, n_leads=150, start=date(2024, 3, 11))
    users = world.users
    cuts = [
        None,
        subtree_user_ids(users["director"]),  # a manager's team
        {users["ae1"].pk},
        {users["sdr1"].pk, users["ae3"].pk, users["gone"].pk},
        set(),
    ]
    exercised = 0
    for rep_ids in cuts:
        start = world.start + timedelta(days=rnd.randint(-12, 12))
        end = start + timedelta(days=rnd.choice([2, 7, 14, 31]))
        reference = Reference(start, end, world.as_of)  # for the period bounds in UTC
        lo, hi = reference.lo, reference.hi
        as_of = rnd.choice(
            [hi, hi + timedelta(days=20), world.as_of, lo + (hi - lo) / 2, lo + timedelta(hours=5)]
        )
        as_of += rnd.choice([timedelta(0), US, -US])
        report = kpi_report(start, end, as_of=as_of, by_rep=True, rep_ids=rep_ids)
        ref = Reference(start, end, as_of).report(rep_ids=rep_ids, by_rep=True)
        where = f"{start}..{end} at {as_of} rep_ids={rep_ids}"
        assert_same(report["kpis"], ref["kpis"], where)
        assert report["by_source"] == ref["by_source"], where
        assert [r["user_id"] for r in report["by_rep"]] == [r["user_id"] for r in ref["by_rep"]], where
        for got, want in zip(report["by_rep"], ref["by_rep"], strict=True):
            assert_same(got["kpis"], want["kpis"], f"{where} by_rep {got['username']}")
        # The previous period of the same length, as the dashboard compares it.
        previous = kpi_report(start - (end - start), start, as_of=as_of, rep_ids=rep_ids)
        ref_previous = Reference(start - (end - start), start, as_of).report(rep_ids=rep_ids)
        assert_same(previous["kpis"], ref_previous["kpis"], f"previous of {where}")
        exercised += sum(r["sla_compliance"] is not None for r in (report["kpis"], previous["kpis"]))
    assert exercised >= 3, exercised  # the random periods must not all be empty


@pytest.mark.parametrize("seed", range(3))
def test_compliance_counts_between_any_two_instants_match_the_reference(seed):
    rnd = random.Random(50 + seed)
    world = build_world(200 + seed, tz="Asia/Shanghai", n_leads=120)
    ids = [u.pk for u in world.users.values()]
    for _ in range(5):
        lo = world.lo + timedelta(hours=rnd.randint(-200, 200), microseconds=rnd.randrange(1_000_000))
        hi = lo + timedelta(hours=rnd.randint(1, 600))
        as_of = rnd.choice([hi, lo, world.as_of, hi + timedelta(days=1)])
        rep_ids = rnd.choice([None, set(rnd.sample(ids, 2))])
        ref = Reference(world.start, world.end, as_of)
        ref.lo, ref.hi = lo, hi
        expected: dict = {}
        for c, verdict in ref.sla_decided():
            if rep_ids is None or c.user_id in rep_ids:
                row = expected.setdefault(c.policy.key, {"decided": 0, "met": 0})
                row["decided"] += 1
                row["met"] += verdict == "met"
        assert sla_compliance_counts(lo, hi, as_of=as_of, rep_ids=rep_ids) == expected


def test_a_single_rep_report_equals_their_by_rep_row_for_the_sla_kpis():
    world = build_world(17, tz="UTC", n_leads=120)
    full = kpi_report(world.start, world.end, as_of=world.as_of, by_rep=True)
    for row in full["by_rep"]:
        alone = kpi_report(world.start, world.end, as_of=world.as_of, rep_ids={row["user_id"]})["kpis"]
        assert {k: alone[k] for k in SLA_KEYS} == {k: row["kpis"][k] for k in SLA_KEYS}, row["username"]


# --- the edges of the definition -----------------------------------------------------------------------

MARCH, APRIL = (date(2024, 3, 1), date(2024, 4, 1)), (date(2024, 4, 1), date(2024, 5, 1))
END = datetime(2024, 4, 1, tzinfo=UTC)  # the end of March, the start of April (UTC organisation)
LATER = datetime(2024, 6, 1, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def people():
    sla_policies()  # adds a policy of our own
    return make_users()


@pytest.fixture
def lead(people):
    at = utc(2024, 2, 1)
    return Lead.objects.create(name="L", source="seo", created_at=at, status_changed_at=at)


def clock(lead, user, *, policy="acceptance", state="running", due, started=None, stopped=None, breached=None,
          paused=None, against=None) -> Clock:  # fmt: skip
    outcome = {}
    if state in ("met", "missed"):
        outcome = {"met": state == "met"}
        if against is not None:
            outcome["counts_against"] = against
    return Clock.objects.create(
        policy=Policy.objects.get(key=policy), lead=lead, user=user, state=state,
        started_at=started or due - timedelta(hours=48), due_at=due, stopped_at=stopped, breached_at=breached,
        paused_at=paused, outcome=outcome,
    )  # fmt: skip


def sla(period=MARCH, as_of=LATER, **kwargs) -> dict:
    kpis = kpi_report(*period, as_of=as_of, **kwargs)["kpis"]
    return {k: kpis[k] for k in SLA_KEYS}


def test_nothing_decided_gives_null_rates_and_zero_counts(lead, people):
    expected = {k: None for k in SLA_KEYS} | {"sla_strikes": 0, "suspensions": 0}
    assert sla() == expected
    # A clock not yet due at the as-of time is not decided: still nothing.
    clock(lead, people["ae1"], due=utc(2024, 3, 20), started=utc(2024, 3, 10))
    assert sla(as_of=utc(2024, 3, 15)) == expected
    # One met speed-to-lead clock: the other policies' rates stay null, never 0.
    clock(lead, people["sdr1"], policy="speed_to_lead", state="met", due=utc(2024, 3, 5, 9, 5),
          started=utc(2024, 3, 5, 9), stopped=utc(2024, 3, 5, 9, 3))  # fmt: skip
    got = sla()
    assert got["sla_compliance"] == 0.5 and got["sla_compliance_speed_to_lead"] == 1.0
    assert got["sla_compliance_acceptance"] == 0.0  # the first clock ran out on 20 March: a miss
    assert got["sla_compliance_director_dispatch"] is None and got["sla_compliance_manager_feedback"] is None
    assert got["sla_system_delay_share"] is None  # no stopped miss


def test_cancelled_clocks_do_not_count(lead, people):
    ae = people["ae1"]
    clock(
        lead, ae, state="cancelled", due=utc(2024, 3, 5), stopped=utc(2024, 3, 10), breached=utc(2024, 3, 5)
    )
    clock(lead, ae, state="cancelled", due=utc(2024, 3, 10), stopped=utc(2024, 3, 4))
    assert sla()["sla_compliance"] is None
    clock(lead, ae, state="met", due=utc(2024, 3, 10), stopped=utc(2024, 3, 9))
    assert sla()["sla_compliance"] == 1.0
    # Cancelled after the as-of time: at that time it was still open and past due, a miss.
    assert sla(as_of=utc(2024, 3, 7))["sla_compliance"] == 0.0


def test_an_open_clock_past_due_is_a_miss_breached_or_not(lead, people):
    ae = people["ae1"]
    clock(lead, ae, due=utc(2024, 3, 10))  # the sweep has not seen it yet
    clock(lead, ae, due=utc(2024, 3, 12), breached=utc(2024, 3, 12))  # the sweep has
    clock(lead, ae, due=utc(2024, 3, 20), started=utc(2024, 3, 15), state="met", stopped=utc(2024, 3, 16))
    assert sla()["sla_compliance"] == round(1 / 3, 4)
    # On 11 March: the first is overdue, the second not yet due, the third not started.
    assert sla(as_of=utc(2024, 3, 11))["sla_compliance"] == 0.0
    assert sla(as_of=utc(2024, 3, 10) - US)["sla_compliance"] is None
    assert sla(as_of=utc(2024, 3, 10))["sla_compliance"] == 0.0  # due at the as-of instant: overdue


def test_decided_exactly_at_the_end_of_the_period_belongs_to_the_next(lead, people):
    ae = people["ae1"]
    clock(lead, ae, state="met", due=END + timedelta(hours=1), stopped=END)
    clock(lead, ae, due=END)  # open, runs out at the first instant of April
    assert sla()["sla_compliance"] is None
    assert sla(APRIL)["sla_compliance"] == 0.5
    clock(lead, ae, state="met", due=END, stopped=END - US)  # the last instant of March
    clock(lead, ae, state="met", due=utc(2024, 3, 2), stopped=utc(2024, 3, 1))  # the first instant of March
    assert sla()["sla_compliance"] == 1.0
    assert kpi_report(*MARCH, as_of=LATER)["kpis"]["sla_compliance"] == 1.0


def test_a_late_stop_is_a_miss_of_the_period_its_time_ran_out_in(lead, people):
    ae = people["ae1"]
    due = END - timedelta(hours=1)
    clock(lead, ae, state="missed", due=due, stopped=END + timedelta(days=1), breached=due, against=True)
    # Known as a miss from its due time on; stopping it in April does not move it out of March.
    for as_of in (due, END - US, END + timedelta(days=2), LATER):
        assert sla(as_of=as_of)["sla_compliance"] == 0.0, as_of
    assert sla(APRIL)["sla_compliance"] is None
    # The sweep breached it while it ran, which struck it at once; the strike belongs to March.
    assert sla(as_of=END)["sla_strikes"] == 1
    assert sla()["sla_strikes"] == 1 and sla(APRIL)["sla_strikes"] == 0
    # Without a breach on record, the strike is known once it stopped (the person's part is measured then).
    Clock.objects.update(breached_at=None)
    assert sla(as_of=END)["sla_strikes"] == 0 and sla(as_of=END)["sla_compliance"] == 0.0
    assert sla()["sla_strikes"] == 1


def test_as_of_replays_what_was_known(lead, people):
    ae = people["ae1"]
    clock(lead, ae, state="met", due=utc(2024, 3, 21), stopped=utc(2024, 3, 20))
    # Stopped met, but a little after its due time (the system's wait is not the person's): until the stop
    # it looked like a miss.
    clock(lead, ae, state="met", due=utc(2024, 3, 10), stopped=utc(2024, 3, 10, 0, 1))
    assert sla(as_of=utc(2024, 3, 9))["sla_compliance"] is None
    assert sla(as_of=utc(2024, 3, 10))["sla_compliance"] == 0.0
    assert sla(as_of=utc(2024, 3, 10, 0, 1))["sla_compliance"] == 1.0
    assert sla(as_of=utc(2024, 3, 20) - US)["sla_compliance"] == 1.0
    assert sla(as_of=utc(2024, 3, 20))["sla_compliance"] == 1.0
    assert kpi_report(*MARCH, as_of=utc(2024, 3, 20))["kpis"]["sla_compliance"] == 1.0


def test_a_paused_clock_does_not_run_out_unless_it_was_breached_before(lead, people):
    ae = people["ae1"]
    clock(lead, ae, state="paused", due=utc(2024, 3, 10), paused=utc(2024, 3, 9))
    assert sla()["sla_compliance"] is None
    assert sla(as_of=utc(2024, 3, 9) - US)["sla_compliance"] is None  # not due yet
    clock(lead, ae, state="paused", due=utc(2024, 3, 12), breached=utc(2024, 3, 12), paused=utc(2024, 3, 14))
    assert sla()["sla_compliance"] == 0.0
    # Before the pause it was running: past due on 13 March.
    assert sla(as_of=utc(2024, 3, 13))["sla_compliance"] == 0.0


def test_strikes_and_the_systems_share_of_the_misses(lead, people):
    ae, sdr = people["ae1"], people["sdr1"]
    due = utc(2024, 3, 10)
    late = due + timedelta(hours=5)
    clock(lead, ae, state="missed", due=due, stopped=late, against=True)  # a strike
    clock(lead, ae, state="missed", due=due, stopped=late, against=False)  # the system's fault
    clock(lead, ae, state="missed", due=due, stopped=late)  # no counts_against recorded: not a strike
    clock(
        lead, sdr, policy="speed_to_lead", state="missed", due=due, stopped=late, against=True
    )  # not acceptance
    clock(lead, ae, due=due)  # open and overdue, no sweep has breached it yet: a miss, not (yet) a strike
    clock(lead, ae, due=due, breached=due)  # open and breached: the sweep struck it
    clock(lead, ae, state="met", due=due, stopped=due)
    got = sla(by_rep=True)
    assert got["sla_strikes"] == 2
    assert got["sla_compliance"] == round(1 / 7, 4)
    assert got["sla_compliance_acceptance"] == round(1 / 6, 4) and got["sla_compliance_speed_to_lead"] == 0.0
    assert got["sla_system_delay_share"] == 0.5  # of 4 stopped misses, 2 do not count against the person
    rows = {r["username"]: r["kpis"] for r in kpi_report(*MARCH, as_of=LATER, by_rep=True)["by_rep"]}
    assert rows["ae1"]["sla_strikes"] == 2 and rows["sdr1"]["sla_strikes"] == 0
    assert rows["sdr1"]["sla_compliance"] == 0.0 and rows["ae1"]["sla_compliance"] == round(1 / 6, 4)
    # Before the due time nothing was decided; at it, the breached one is a strike already.
    assert sla(as_of=due - US)["sla_strikes"] == 0 and sla(as_of=due)["sla_strikes"] == 1


def test_suspensions_are_penalties_started_in_the_period(people):
    ae = people["ae1"]

    def penalty(at, lifted=None):
        Penalty.objects.create(user=ae, started_at=at, until=at + timedelta(days=30), reason="2 misses",
                               lifted_at=lifted)  # fmt: skip

    penalty(utc(2024, 3, 1))
    penalty(utc(2024, 3, 5), lifted=utc(2024, 4, 4))  # lifted since: still a suspension of March
    penalty(END)  # April's
    penalty(utc(2024, 2, 20))  # started before: running in March, but not started in it
    assert sla()["suspensions"] == 2 and sla(APRIL)["suspensions"] == 1
    assert sla(as_of=utc(2024, 3, 3))["suspensions"] == 1
    assert sla(rep_ids={people["sdr1"].pk})["suspensions"] == 0
    rows = {r["username"]: r["kpis"] for r in kpi_report(*MARCH, as_of=LATER, by_rep=True)["by_rep"]}
    assert rows["ae1"]["suspensions"] == 2 and rows["ae2"]["suspensions"] == 0


def test_cuts_by_rep_team_and_source(lead, people):
    ae1, ae2 = people["ae1"], people["ae2"]
    other = Lead.objects.create(name="M", source="partner", created_at=lead.created_at,
                                status_changed_at=lead.created_at)  # fmt: skip
    due = utc(2024, 3, 10)
    clock(lead, ae1, state="met", due=due, stopped=due - timedelta(hours=1))
    clock(other, ae2, state="missed", due=due, stopped=due + timedelta(hours=1), against=True)
    clock(other, None, due=due)  # nobody on the hook: in the totals only
    clock(other, people["sdr2"], policy="custom_callback", state="met", due=due, stopped=due)
    assert sla()["sla_compliance"] == 0.5
    assert sla(rep_ids={ae1.pk})["sla_compliance"] == 1.0
    assert sla(rep_ids={ae2.pk})["sla_compliance"] == 0.0
    team = subtree_user_ids(people["director"])  # director → ae1 → ae2; sdr1
    assert sla(rep_ids=team)["sla_compliance"] == 0.5
    # The policy of our own counts in the overall rate only.
    assert sla(rep_ids={people["sdr2"].pk}) == {k: None for k in SLA_KEYS} | {
        "sla_compliance": 1.0,
        "sla_strikes": 0,
        "suspensions": 0,
    }
    sources = kpi_report(*MARCH, as_of=LATER)["by_source"]
    assert sources["seo"]["sla_compliance"] == 1.0
    assert sources["partner"]["sla_compliance"] == round(1 / 3, 4)
    assert sources["partner"]["leads"] == 0  # here only for its clocks
