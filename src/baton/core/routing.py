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
    eligible = [c for c in candidates if not c.skip_reason]
    skipped = [
        {"user_id": c.user_id, "username": c.username, "reason": c.skip_reason}
        for c in candidates
        if c.skip_reason
    ]
    ranked = sorted(eligible, key=lambda c: (c.tally, c.last_seq, c.user_id))
    chosen = ranked[0] if ranked else None
    explanation = {
        "strategy": "round_robin",
        "pool": pool,
        "candidates": [
            {"user_id": c.user_id, "username": c.username, "tally": c.tally, "last_seq": c.last_seq}
            for c in ranked
        ],
        "skipped": skipped,
        "chosen": chosen.username if chosen else None,
        "why": (
            f"{chosen.username} had the fewest assignments in pool '{pool}' ({chosen.tally})"
            if chosen
            else f"no eligible rep in pool '{pool}'"
        ),
    }
    return Decision(chosen.user_id if chosen else None, explanation)


def starting_tally(existing_tallies: Sequence[int]) -> int:
    """The tally a rep new to a pool starts with: the pool's current minimum."""
    return min(existing_tallies) if existing_tallies else 0
