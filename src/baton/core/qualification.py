"""Qualification records and the handoff gate (spec §4.3)."""

from collections.abc import Mapping
from dataclasses import dataclass

BANT_CRITERIA = ("budget", "authority", "need", "timing")
CRITERION_STATES = ("met", "not_met", "unknown")


@dataclass(frozen=True)
class GateResult:
    passed: bool
    met: int
    required: int
    missing: tuple[str, ...]
    explanation: str


def bant_gate(states: Mapping[str, str], required: int) -> GateResult:
    for name, state in states.items():
        if name not in BANT_CRITERIA:
            raise ValueError(f"unknown BANT criterion {name!r}; expected one of {', '.join(BANT_CRITERIA)}")
        if state not in CRITERION_STATES:
            raise ValueError(
                f"criterion {name!r} must be one of {', '.join(CRITERION_STATES)}, not {state!r}"
            )
    met = sum(1 for c in BANT_CRITERIA if states.get(c) == "met")
    missing = tuple(c for c in BANT_CRITERIA if states.get(c) != "met")
    passed = met >= required
    explanation = f"BANT {met} of 4 met (gate: at least {required})" + (
        "" if passed else f"; not yet met: {', '.join(missing)}"
    )
    return GateResult(passed, met, required, missing, explanation)
