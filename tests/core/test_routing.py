from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from baton.core.routing import Candidate, choose_round_robin, starting_tally


def simulate(n_reps: int, n_leads: int, away: set[int]) -> Counter:
    tallies = {u: 0 for u in range(1, n_reps + 1)}
    last = dict.fromkeys(tallies, 0)
    got = Counter()
    for seq in range(1, n_leads + 1):
        cands = [Candidate(u, f"u{u}", tallies[u], last[u], "away" if u in away else "") for u in tallies]
        d = choose_round_robin("p", cands)
        if d.chosen_user_id is None:
            continue
        tallies[d.chosen_user_id] += 1
        last[d.chosen_user_id] = seq
        got[d.chosen_user_id] += 1
    return got


@given(st.integers(1, 12), st.integers(0, 200))
def test_round_robin_is_even_within_one(n_reps, n_leads):
    got = simulate(n_reps, n_leads, set())
    counts = [got[u] for u in range(1, n_reps + 1)]
    assert sum(counts) == n_leads
    assert max(counts) - min(counts) <= 1


@given(st.integers(2, 10), st.integers(1, 100), st.data())
def test_ineligible_reps_get_nothing_and_are_explained(n_reps, n_leads, data):
    away = set(data.draw(st.lists(st.integers(1, n_reps), max_size=n_reps - 1)))
    got = simulate(n_reps, n_leads, away)
    assert not set(got) & away
    cands = [Candidate(u, f"u{u}", 0, 0, "away" if u in away else "") for u in range(1, n_reps + 1)]
    d = choose_round_robin("p", cands)
    assert {s["user_id"] for s in d.explanation["skipped"]} == away
    assert d.explanation["chosen"] is not None


def test_nobody_eligible_is_a_clear_decision():
    d = choose_round_robin("inbound", [Candidate(1, "a", 0, 0, "out of office")])
    assert d.chosen_user_id is None
    assert "no eligible rep" in d.explanation["why"]


@given(st.lists(st.integers(0, 1000), max_size=20))
def test_a_joiner_starts_at_the_minimum(tallies):
    assert starting_tally(tallies) == (min(tallies) if tallies else 0)
