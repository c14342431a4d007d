"""The team's history as a table for predictive scoring (scoring/history.py), on a small history made with
the real services: which leads are rows, their labels and times, and no leakage — nothing that happened
(or was recorded) after the handoff is a feature."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from baton import clock
from baton.behaviour.services import BehaviourRequest, behaviour_record
from baton.core.errors import InvalidInput
from baton.handoffs.services import handoff_accept, handoff_create, handoff_reject, qualification_update
from baton.leads.services import lead_capture, touch_log
from baton.org.services import team_create, user_create
from baton.pipeline.models import Stage
from baton.pipeline.services import opportunity_create, opportunity_move
from baton.scoring.history import history_dataset, lead_features

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
BANT_3 = {"budget": "met", "authority": "met", "need": "met", "timing": "unknown"}


@pytest.fixture(autouse=True)
def _frozen():
    clock.set_frozen(T0 + timedelta(days=60))
    yield
    clock.set_frozen(None)


@pytest.fixture
def people(db):
    inbound = team_create("Inbound", "sdr_inbound")
    sales = team_create("Sales East", "sales", region="East")
    return {
        "sdr": user_create("sdr", None, roles=["sdr_inbound"], team=inbound),
        "ae": user_create("ae", None, roles=["ae"], team=sales),
    }


def _lead(i: int, **fields):
    data = {"name": f"Lead {i}", "email": f"l{i}@firm{i}.com", "company": f"Firm {i}", "title": "IT Manager",
            "source": "trial_signup", "industry": "software", "region": "East", "company_size": 300, **fields}  # fmt: skip
    with clock.travel_to(T0):
        return lead_capture(data)


def _handed_off(lead, sdr, *, at):
    with clock.travel_to(at - timedelta(hours=2)):
        touch_log(lead, sdr, channel="call", outcome="connected", duration_seconds=300)
        qualification_update(lead, sdr, BANT_3)
    lead.refresh_from_db()
    with clock.travel_to(at):
        return handoff_create(lead, sdr)


@pytest.fixture
def history(people):
    """A: accepted (+ things after the handoff that must not count), B: rejected, C: still pending,
    D: never handed off, E: accepted after the as-of instant used below (T0 + 5 days)."""
    sdr, ae = people["sdr"], people["ae"]
    a, b, c, d, e = (_lead(i) for i in range(1, 6))
    ha = _handed_off(a, sdr, at=T0 + timedelta(days=1))
    with clock.travel_to(T0 + timedelta(days=1, hours=1)):  # after the handoff: none of these counts
        qualification_update(a, sdr, {"timing": "met"})
        behaviour_record([BehaviourRequest("email_click", lead_id=a.pk)])
    with clock.travel_to(T0 + timedelta(days=2)):
        handoff_accept(ha, ae)
        touch_log(a, ae, channel="meeting", outcome="held", duration_seconds=3600)
        # Happened before the handoff, but only recorded after it: the AE did not know it either.
        touch_log(a, sdr, channel="email", outcome="replied", direction="inbound",
                  occurred_at=T0 + timedelta(hours=20))  # fmt: skip
    with clock.travel_to(T0 + timedelta(hours=3)):  # before the handoff: counts
        behaviour_record(
            [BehaviourRequest("email_click", lead_id=a.pk), BehaviourRequest("page_visit", lead_id=a.pk)]
        )
    hb = _handed_off(b, sdr, at=T0 + timedelta(days=1, hours=3))
    with clock.travel_to(T0 + timedelta(days=2, hours=1)):
        handoff_reject(hb, ae, reason="no_need")
    hc = _handed_off(c, sdr, at=T0 + timedelta(days=3))
    he = _handed_off(e, sdr, at=T0 + timedelta(days=3))
    with clock.travel_to(T0 + timedelta(days=6)):
        handoff_accept(he, ae)
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "ha": ha, "hb": hb, "hc": hc, "he": he}


def test_accepted_rows_labels_times_and_no_leakage(history):
    h = history
    data = history_dataset("accepted", as_of=T0 + timedelta(days=5))
    assert data.lead_ids == [h["a"].pk, h["b"].pk]  # C pending, D never handed off, E decided later
    assert data.labels == [1, 0]
    h["ha"].refresh_from_db()
    h["hb"].refresh_from_db()
    assert data.times == [h["ha"].decided_at, h["hb"].decided_at]
    assert data.cutoffs == [h["ha"].created_at, h["hb"].created_at]
    a = data.rows[0]
    assert a["source"] == "trial_signup" and a["industry"] == "software" and a["company_size"] == 300
    assert a["days_since_capture"] == 1.0 and a["hours_to_first_touch"] == 22.0
    assert a["touches"] == 1 and a["calls"] == 1 and a["calls_connected"] == 1
    assert a["replies"] == 0 and a["meetings_held"] == 0  # recorded after the handoff / held after it
    assert (
        a["behaviour_email_click"] == 1 and a["behaviour_page_visit"] == 1
    )  # the later click is not counted
    assert a["bant_met"] == 3  # "timing: met" came after the handoff
    assert a["prior_handoffs"] == 0
    assert data.rows[1]["behaviour_email_click"] == 0
    # Later, E is decided too; A's features are the same: they stop at its handoff.
    later = history_dataset("accepted", as_of=T0 + timedelta(days=7))
    assert later.lead_ids == [h["a"].pk, h["b"].pk, h["e"].pk] and later.labels == [1, 0, 1]
    assert later.rows[0] == a


def test_a_second_cycle_counts_the_earlier_handoff(history, people):
    sdr, ae = people["sdr"], people["ae"]
    b = history["b"]
    b.refresh_from_db()
    with clock.travel_to(T0 + timedelta(days=8)):
        touch_log(b, sdr, channel="call", outcome="connected", duration_seconds=200)
    b.refresh_from_db()
    h2 = _handed_off(b, sdr, at=T0 + timedelta(days=9))
    with clock.travel_to(T0 + timedelta(days=10)):
        handoff_accept(h2, ae)
    data = history_dataset("accepted", as_of=T0 + timedelta(days=11))
    row = data.rows[data.lead_ids.index(b.pk)]
    assert data.labels[data.lead_ids.index(b.pk)] == 1  # its latest decided handoff
    assert row["prior_handoffs"] == 1 and row["touches"] == 3


def test_opportunity_outcome_waits_for_the_window(history, people):
    h, ae = history, people["ae"]
    h["a"].refresh_from_db()
    with clock.travel_to(T0 + timedelta(days=4)):
        opp, _ = opportunity_create(h["a"], ae, amount=1000)
    # Handoffs at T0+1d and T0+3d: with a 30-day window nothing is settled on day 20.
    assert history_dataset("opportunity", as_of=T0 + timedelta(days=20)).lead_ids == []
    data = history_dataset("opportunity", as_of=T0 + timedelta(days=40))
    assert data.lead_ids == [h["a"].pk, h["b"].pk, h["c"].pk, h["e"].pk]
    assert data.labels == [1, 0, 0, 0]  # C is still pending: no opportunity within the window
    h["ha"].refresh_from_db()
    assert data.times[0] == h["ha"].created_at + timedelta(days=30)
    short = history_dataset("opportunity", as_of=T0 + timedelta(days=20), window_days=2)
    assert short.labels == [0, 0, 0, 0]  # the opportunity came 3 days after the handoff
    with pytest.raises(InvalidInput, match="window"):
        history_dataset("opportunity", as_of=T0, window_days=0)


def test_won_outcome_from_closed_opportunities(history, people):
    h, ae = history, people["ae"]
    h["a"].refresh_from_db()
    with clock.travel_to(T0 + timedelta(days=4)):
        opp, _ = opportunity_create(h["a"], ae, amount=1000)
    won = Stage.objects.get(kind=Stage.Kind.WON)
    with clock.travel_to(T0 + timedelta(days=20)):
        opportunity_move(opp, ae, stage_id=won.pk)
    assert history_dataset("won", as_of=T0 + timedelta(days=19)).lead_ids == []
    data = history_dataset("won", as_of=T0 + timedelta(days=21))
    assert data.lead_ids == [h["a"].pk] and data.labels == [1]
    assert data.cutoffs == [opp.created_at] and data.rows[0]["meetings_held"] == 1  # before the opportunity


def test_unknown_outcome_is_a_clear_error(db):
    with pytest.raises(
        InvalidInput, match="unknown outcome 'signed'; choose one of: accepted, opportunity, won"
    ):
        history_dataset("signed", as_of=T0)


def test_a_fixed_number_of_statements_whatever_the_number_of_leads(history, people):
    as_of = T0 + timedelta(days=7)
    with CaptureQueriesContext(connection) as few:
        history_dataset("accepted", as_of=as_of)
    more = [_lead(10 + i) for i in range(6)]
    for i, lead in enumerate(more):
        handoff = _handed_off(lead, people["sdr"], at=T0 + timedelta(days=4, minutes=i))
        with clock.travel_to(T0 + timedelta(days=5)):
            handoff_accept(handoff, people["ae"])
    with CaptureQueriesContext(connection) as many:
        data = history_dataset("accepted", as_of=as_of)
    assert len(data.lead_ids) == 9
    assert len(many.captured_queries) == len(few.captured_queries) <= 8
    features = lead_features([(lead.pk, as_of) for lead in more])
    assert all(features[lead.pk]["touches"] == 1 for lead in more)
