"""The SDR's working order: speed-to-lead deadlines first, then band and expected value with channel quality."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baton.core.queue import QueueLead, channel_rates, rank, rate_of

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def lead(i, *, status="working", touched=True, minutes_ago=60, score=50, band="sdr_queue", source="seo"):
    at = NOW - timedelta(minutes=minutes_ago)
    return QueueLead(i, status, touched, at, at, score, "B2", band, source)


def test_untouched_leads_come_first_most_overdue_on_top():
    leads = [lead(1, score=99, band="handoff_ready"), lead(2, status="new", touched=False, minutes_ago=2),
             lead(3, status="new", touched=False, minutes_ago=9)]  # fmt: skip
    order = rank(leads, channel_rates({}), NOW)
    assert [r.id for r in order] == [3, 2, 1]
    assert "4 min overdue" in order[0].why and "due in 3 min" in order[1].why
    assert order[0].due_at == NOW - timedelta(minutes=4)


def test_a_channel_that_ae_accept_lifts_an_equal_score():
    rates = channel_rates({"webinar": (45, 50), "cold_list": (5, 50)})
    order = rank([lead(1, source="cold_list"), lead(2, source="webinar")], rates, NOW)
    assert [r.id for r in order] == [2, 1]
    assert "45 of 50 handoffs from this source accepted" in order[0].why


def test_few_decided_handoffs_barely_move_a_channel():
    rates = channel_rates({"seo": (50, 100), "lucky": (1, 1)})
    assert rates["lucky"].rate < 0.6 and rate_of(rates, "never_seen").rate == rates[""].rate


def test_band_before_value_and_nurturing_last():
    leads = [lead(1, band="nurture", score=90), lead(2, band="handoff_ready", score=40),
             lead(3, status="nurturing", band="handoff_ready", score=99)]  # fmt: skip
    assert [r.id for r in rank(leads, channel_rates({}), NOW)] == [2, 1, 3]


def test_impossible_history_is_refused():
    with pytest.raises(ValueError, match="impossible"):
        channel_rates({"seo": (5, 3)})


history = st.dictionaries(st.sampled_from(["seo", "sem", "webinar", "chat"]),
                          st.integers(0, 200).flatmap(lambda d: st.tuples(st.integers(0, d), st.just(d))))  # fmt: skip
queue_leads = st.lists(
    st.builds(lead, st.integers(1, 10**6), status=st.sampled_from(["new", "working", "nurturing"]),
              touched=st.booleans(), minutes_ago=st.integers(0, 10**5), score=st.integers(0, 100),
              band=st.sampled_from(["", "nurture", "sdr_queue", "handoff_ready"]),
              source=st.sampled_from(["seo", "sem", "webinar", "chat", "other"])),
    unique_by=lambda x: x.id, max_size=40,
)  # fmt: skip


@given(history, queue_leads)
def test_every_lead_is_ranked_once_with_a_reason_and_untouched_first(hist, leads):
    rates = channel_rates(hist)
    assert all(0 < r.rate < 1 for r in rates.values())
    order = rank(leads, rates, NOW)
    assert sorted(r.id for r in order) == sorted(x.id for x in leads)
    assert [r.position for r in order] == list(range(1, len(leads) + 1))
    tiers = [r.tier for r in order]
    assert tiers == sorted(tiers) and all(r.why and 0 <= r.value <= 1 for r in order)
