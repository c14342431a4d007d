"""The SDR's working order (spec §4.3): what to work next, and why.

Three things decide it:

1. **SLA urgency** first: a new lead nobody has touched is on the speed-to-lead clock (5 minutes), so
   untouched leads come first, the most overdue (or the soonest due) at the top.
2. **Expected value** next, within the score's lifecycle band (handoff-ready, SDR queue, nurture): the
   lead's score blended with the **quality of its channel** — the share of this team's handoffs from the
   same source that AEs accepted, learned from history and shrunk towards the overall rate when a
   source has few decided handoffs (a beta prior), so one lucky handoff does not crown a channel.
3. Then the oldest first.

Every ranked lead carries the sentence that explains its place.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

PRIOR_STRENGTH = 10  # decided handoffs' worth of belief in the overall rate, for every source
SCORE_WEIGHT = 0.6  # of the expected value; the channel's acceptance rate has the rest
SPEED_TO_LEAD = timedelta(minutes=5)
BAND_ORDER = {"handoff_ready": 0, "sdr_queue": 1, "": 2, "nurture": 3}


@dataclass(frozen=True)
class ChannelRate:
    source: str
    accepted: int
    decided: int
    rate: float  # smoothed
    explanation: str


def channel_rates(
    history: Mapping[str, tuple[int, int]], *, strength: int = PRIOR_STRENGTH
) -> dict[str, ChannelRate]:
    """Smoothed acceptance rate per source from ``{source: (accepted, decided)}``. A source never seen
    gets the overall rate (``rate_of``)."""
    accepted = sum(a for a, _ in history.values())
    decided = sum(d for _, d in history.values())
    overall = (accepted + 1) / (decided + 2)  # Laplace: 0.5 with no history at all
    out = {}
    for source, (a, d) in history.items():
        if a < 0 or d < a:
            raise ValueError(f"source {source!r}: accepted {a} of {d} decided is impossible")
        rate = (a + strength * overall) / (d + strength)
        out[source] = ChannelRate(source, a, d, rate, f"{a} of {d} handoffs from this source accepted")
    out[""] = ChannelRate("", accepted, decided, overall, f"no handoffs from this source yet; all sources: "
                                                            f"{accepted} of {decided} accepted")  # fmt: skip
    return out


def rate_of(rates: Mapping[str, ChannelRate], source: str) -> ChannelRate:
    return rates.get(source) or rates[""]


@dataclass(frozen=True)
class QueueLead:
    id: int
    status: str
    touched: bool  # an outbound touch happened
    owned_since: datetime  # when the SDR got it (the speed-to-lead clock runs from here)
    created_at: datetime
    score: int
    grade: str
    band: str
    source: str


@dataclass(frozen=True)
class Ranked:
    id: int
    position: int
    tier: int  # 0: untouched (speed to lead), 1: working, 2: nurturing
    value: float  # expected value in [0, 1] (score and channel)
    due_at: datetime | None  # the speed-to-lead deadline of an untouched lead
    why: str


def rank(leads: Sequence[QueueLead], rates: Mapping[str, ChannelRate], now: datetime) -> list[Ranked]:
    """The leads in working order, each with its explanation."""
    keyed = []
    for lead in leads:
        channel = rate_of(rates, lead.source)
        value = SCORE_WEIGHT * max(0, min(lead.score, 100)) / 100 + (1 - SCORE_WEIGHT) * channel.rate
        if lead.status == "new" and not lead.touched:
            due = lead.owned_since + SPEED_TO_LEAD
            left = (due - now).total_seconds()
            clock = (f"speed to lead: {_minutes(-left)} overdue" if left < 0
                     else f"speed to lead: due in {_minutes(left)}")  # fmt: skip
            key = (0, due, -value, lead.created_at, lead.id)
            why = f"untouched — {clock}; then value {value:.2f}"
            tier = 0
        else:
            tier = 1 if lead.status != "nurturing" else 2
            due = None
            band = BAND_ORDER.get(lead.band, 2)
            key = (tier, band, -value, lead.created_at, lead.id)
            why = (f"{'working' if tier == 1 else 'nurturing'}; {lead.band.replace('_', '-') or 'unbanded'}; "
                   f"value {value:.2f} = score {lead.score} ({lead.grade or '—'}) × {SCORE_WEIGHT:g} + "
                   f"channel {channel.rate:.0%} ({channel.explanation}) × {1 - SCORE_WEIGHT:g}")  # fmt: skip
        keyed.append((key, lead, tier, value, due, why))
    keyed.sort(key=lambda k: k[0])
    return [Ranked(lead.id, i, tier, round(value, 4), due, why)
            for i, (_, lead, tier, value, due, why) in enumerate(keyed, start=1)]  # fmt: skip


def _minutes(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
