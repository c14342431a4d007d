"""Round-robin choice among eligible reps (spec §4.4), with the explanation of the decision.

Fairness comes from tallies rather than a rotating index: the next lead goes to the eligible rep
with the fewest assignments in this pool, ties broken by who was served longest ago, then by id.
A rep who joins starts at the current minimum, so nobody is flooded and nothing resets when the
team changes.
"""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    user_id: int
    username: str
    tally: int
    last_seq: int  # pool sequence number of this rep's last assignment (0 = never)
    skip_reason: str = ""  # non-empty: not eligible, and why


@dataclass(frozen=True)
class Decision:
    chosen_user_id: int | None
    explanation: dict


def choose_round_robin(pool: str, candidates: Sequence[Candidate]) -> Decision:
    return choose_round_robin_many(pool, candidates, 1, seq=0)[0]


def choose_round_robin_many(
    pool: str, candidates: Sequence[Candidate], n: int, *, seq: int
) -> list[Decision]:
    """``n`` assignments in a row from the same candidates, each made as ``choose_round_robin`` would make
    it once the previous one is counted (the chosen rep's tally + 1, their last_seq the pool's next
    sequence number, starting after ``seq``). Eligibility is the candidates' for all ``n``."""
    skipped = [
        {"user_id": c.user_id, "username": c.username, "reason": c.skip_reason}
        for c in candidates
        if c.skip_reason
    ]
    names = {c.user_id: c.username for c in candidates if not c.skip_reason}
    state = {c.user_id: [c.tally, c.last_seq] for c in candidates if not c.skip_reason}
    decisions = []
    for _ in range(n):
        ranked = sorted(state, key=lambda u: (state[u][0], state[u][1], u))
        chosen = ranked[0] if ranked else None
        explanation = {
            "strategy": "round_robin",
            "pool": pool,
            "candidates": [
                {"user_id": u, "username": names[u], "tally": state[u][0], "last_seq": state[u][1]}
                for u in ranked
            ],
            "skipped": skipped,
            "chosen": names[chosen] if chosen is not None else None,
            "why": (
                f"{names[chosen]} had the fewest assignments in pool '{pool}' ({state[chosen][0]})"
                if chosen is not None
                else f"no eligible rep in pool '{pool}'"
            ),
        }
        decisions.append(Decision(chosen, explanation))
        if chosen is not None:
            seq += 1
            state[chosen][0] += 1
            state[chosen][1] = seq
    return decisions


def starting_tally(existing_tallies: Sequence[int]) -> int:
    """The tally a rep new to a pool starts with: the pool's current minimum."""
    return min(existing_tallies) if existing_tallies else 0
