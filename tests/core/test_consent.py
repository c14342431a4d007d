"""The consent rules (core.consent): property tests against a plain restatement of the rules."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baton.core import consent as c
from baton.core.consent import ConsentFacts, Preference, may_contact

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

channels = st.sampled_from(c.SEND_CHANNELS)
preferences = st.builds(
    Preference,
    channel=st.sampled_from(c.CHANNELS),
    state=st.sampled_from(c.STATES),
    recorded_at=st.integers(-1000, 1000).map(lambda m: NOW + timedelta(minutes=m)),
    seq=st.integers(0, 10**6),
    source=st.sampled_from(["form", "import", "api", "unsubscribe_link", "manual"]),
)
facts = st.builds(
    ConsentFacts,
    preferences=st.lists(preferences, max_size=12).map(tuple),
    domain_suppressed=st.booleans(),
    suppressed_domain=st.just("example.com"),
    opt_in_required=st.frozensets(channels),
)


def expected(channel: str, f: ConsentFacts) -> tuple[bool, str]:
    """The rules as the docstring states them, computed the slow way: sort, take the last."""
    relevant = [p for p in f.preferences if p.channel in (channel, c.ALL) and p.recorded_at <= NOW]
    relevant.sort(key=lambda p: (p.recorded_at, p.state == c.OPTED_OUT, p.seq))
    state = relevant[-1].state if relevant else c.UNKNOWN
    if state == c.OPTED_OUT:
        return False, c.CODE_OPTED_OUT
    if f.domain_suppressed:
        return False, c.DOMAIN_SUPPRESSED
    if state == c.OPTED_IN:
        return True, c.CODE_OPTED_IN
    if channel in f.opt_in_required:
        return False, c.OPT_IN_REQUIRED
    return True, c.LEGITIMATE_INTEREST


@given(channels, facts)
def test_the_decision_follows_the_rules(channel, f):
    d = may_contact(channel, f, now=NOW)
    assert (d.allowed, d.code) == expected(channel, f)
    assert d.code in c.CODES and d.reason


@given(channels, facts, st.randoms())
def test_the_order_of_the_records_does_not_matter(channel, f, rnd):
    shuffled = list(f.preferences)
    rnd.shuffle(shuffled)
    again = ConsentFacts(tuple(shuffled), f.domain_suppressed, f.suppressed_domain, f.opt_in_required)
    assert may_contact(channel, again, now=NOW) == may_contact(channel, f, now=NOW)


@given(channels, facts, st.sampled_from([c.ALL, "same"]), st.integers(0, 1000))
def test_a_newer_opt_out_always_stops_contact(channel, f, scope, minutes):
    latest = max(
        [p.recorded_at for p in f.preferences if p.recorded_at <= NOW], default=NOW - timedelta(days=1)
    )
    at = min(latest + timedelta(minutes=minutes), NOW)
    out = Preference(channel if scope == "same" else c.ALL, c.OPTED_OUT, at, seq=0)
    d = may_contact(channel, ConsentFacts((*f.preferences, out), f.domain_suppressed), now=NOW)
    assert not d.allowed and d.code == c.CODE_OPTED_OUT


@given(channels, facts)
def test_a_suppressed_domain_is_never_contacted_on_any_channel(channel, f):
    suppressed = ConsentFacts(f.preferences, True, "example.com", f.opt_in_required)
    assert not may_contact(channel, suppressed, now=NOW).allowed


@given(channels, facts, st.lists(preferences, max_size=5))
def test_records_after_now_are_ignored(channel, f, later):
    future = tuple(
        replace(p, recorded_at=NOW + timedelta(seconds=1) + abs(p.recorded_at - NOW)) for p in later
    )
    with_future = ConsentFacts(
        f.preferences + future, f.domain_suppressed, f.suppressed_domain, f.opt_in_required
    )
    assert may_contact(channel, with_future, now=NOW) == may_contact(channel, f, now=NOW)


@given(channels, st.one_of(st.none(), facts.map(lambda f: ConsentFacts.unavailable("db down"))))
def test_the_check_fails_closed_without_facts(channel, f):
    d = may_contact(channel, f, now=NOW)
    assert not d.allowed and d.code == c.CHECK_UNAVAILABLE
    assert d.reason.startswith("consent check unavailable")


@given(channels)
def test_nothing_recorded_is_legitimate_interest_unless_opt_in_is_required(channel):
    assert may_contact(channel, ConsentFacts(), now=NOW).code == c.LEGITIMATE_INTEREST
    d = may_contact(channel, ConsentFacts(opt_in_required=frozenset([channel])), now=NOW)
    assert not d.allowed and d.code == c.OPT_IN_REQUIRED


def test_a_channel_opt_in_after_a_global_opt_out_reopens_only_that_channel():
    f = ConsentFacts(
        (
            Preference(c.ALL, c.OPTED_OUT, NOW - timedelta(days=30)),
            Preference(c.EMAIL, c.OPTED_IN, NOW - timedelta(days=1), source="form"),
        )
    )
    assert may_contact(c.EMAIL, f, now=NOW).allowed
    assert may_contact(c.EMAIL, f, now=NOW).reason == "opted in to e-mail (2026-11-22, form)"
    assert not may_contact(c.CALL, f, now=NOW).allowed
    assert may_contact(c.CALL, f, now=NOW).reason.startswith("opted out of all channels")


def test_at_the_same_instant_an_opt_out_wins():
    f = ConsentFacts(
        (Preference(c.EMAIL, c.OPTED_OUT, NOW, seq=1), Preference(c.EMAIL, c.OPTED_IN, NOW, seq=2))
    )
    assert not may_contact(c.EMAIL, f, now=NOW).allowed


def test_an_opt_in_does_not_lift_a_domain_suppression():
    f = ConsentFacts(
        (Preference(c.EMAIL, c.OPTED_IN, NOW),), domain_suppressed=True, suppressed_domain="acme.com"
    )
    d = may_contact(c.EMAIL, f, now=NOW)
    assert not d.allowed and d.code == c.DOMAIN_SUPPRESSED and "acme.com" in d.reason


def test_unusable_facts_fail_closed():
    naive = ConsentFacts((Preference(c.EMAIL, c.OPTED_IN, datetime(2026, 1, 1)),))
    assert may_contact(c.EMAIL, naive, now=NOW).code == c.CHECK_UNAVAILABLE
    odd = ConsentFacts((Preference(c.EMAIL, "maybe", NOW),))
    assert may_contact(c.EMAIL, odd, now=NOW).code == c.CHECK_UNAVAILABLE


@pytest.mark.parametrize("channel", ["all", "fax", ""])
def test_only_send_channels_can_be_checked(channel):
    with pytest.raises(ValueError, match="unknown channel"):
        may_contact(channel, ConsentFacts(), now=NOW)
