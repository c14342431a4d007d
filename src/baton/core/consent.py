"""Consent and do-not-contact: may this person be contacted on this channel now? (spec §4.2)

Pure decision logic: no Django, no I/O, no clock reads. The caller gathers the facts (the person's
consent history, whether their e-mail domain is suppressed, which channels need an opt-in) and
passes ``now``; a send goes out only if ``may_contact`` says so.

The rules, in order:

1. No facts, or facts that could not be read: **not allowed** ("consent check unavailable"). The
   check fails closed: if it cannot run, nothing is sent.
2. The person's current statement for the channel is the latest record for that channel *or* for
   "all" (a record for "all" is a record for every channel). At the same instant an opt-out wins.
   Records after ``now`` are ignored, so history can be back-filled and replayed. If the current
   statement is an opt-out: **not allowed**.
3. The person's e-mail domain is suppressed: **not allowed, on every channel**. A domain suppression
   is the organisation's decision not to contact anyone at that company (a request from its legal
   department, a competitor, a customer handled by account management); it covers calls and
   messages too, and an individual opt-in does not lift it.
4. The current statement is an opt-in: **allowed**.
5. Nothing recorded, or "unknown" recorded: **allowed** on legitimate interest, unless the
   organisation requires an opt-in for the channel.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

EMAIL, CALL, MESSAGE, ALL = "email", "call", "message", "all"
CHANNELS = (EMAIL, CALL, MESSAGE, ALL)
# The channels a send happens on; "all" only scopes a preference.
SEND_CHANNELS = (EMAIL, CALL, MESSAGE)

OPTED_IN, OPTED_OUT, UNKNOWN = "opted_in", "opted_out", "unknown"
STATES = (OPTED_IN, OPTED_OUT, UNKNOWN)

# Stable decision codes (the API returns them; the UI translates them).
CHECK_UNAVAILABLE = "check_unavailable"
CODE_OPTED_OUT = "opted_out"
DOMAIN_SUPPRESSED = "domain_suppressed"
CODE_OPTED_IN = "opted_in"
LEGITIMATE_INTEREST = "legitimate_interest"
OPT_IN_REQUIRED = "opt_in_required"
CODES = (
    CHECK_UNAVAILABLE,
    CODE_OPTED_OUT,
    DOMAIN_SUPPRESSED,
    CODE_OPTED_IN,
    LEGITIMATE_INTEREST,
    OPT_IN_REQUIRED,
)

UNAVAILABLE_REASON = "consent check unavailable"

_CHANNEL_WORDS = {EMAIL: "e-mail", CALL: "calls", MESSAGE: "messages", ALL: "all channels"}


@dataclass(frozen=True)
class Preference:
    """One recorded statement of a person about a channel. ``seq`` orders records of the same instant."""

    channel: str
    state: str
    recorded_at: datetime
    seq: int = 0
    source: str = ""


@dataclass(frozen=True)
class ConsentFacts:
    """What the check needs to know about one person.

    ``preferences``: the person's records (any order; all of them or at least the latest per channel).
    ``opt_in_required``: the channels on which the organisation requires an explicit opt-in.
    ``available``: False when the facts could not be read; the decision is then "not allowed".
    """

    preferences: tuple[Preference, ...] = ()
    domain_suppressed: bool = False
    suppressed_domain: str = ""
    opt_in_required: frozenset[str] = field(default_factory=frozenset)
    available: bool = True
    unavailable_reason: str = ""

    @classmethod
    def unavailable(cls, reason: str = "") -> "ConsentFacts":
        return cls(available=False, unavailable_reason=reason)


@dataclass(frozen=True)
class ConsentDecision:
    allowed: bool
    reason: str
    code: str


def check_channel(channel: str) -> None:
    if channel not in SEND_CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {', '.join(SEND_CHANNELS)}")


def current_preference(
    channel: str, preferences: Iterable[Preference], *, now: datetime
) -> Preference | None:
    """The statement in force for ``channel`` at ``now``: the latest record for it or for "all"."""
    best, best_key = None, None
    for pref in preferences:
        if pref.channel not in (channel, ALL) or pref.recorded_at > now:
            continue
        key = (pref.recorded_at, pref.state == OPTED_OUT, pref.seq)
        if best_key is None or key > best_key:
            best, best_key = pref, key
    return best


def unavailable(detail: str = "") -> ConsentDecision:
    reason = f"{UNAVAILABLE_REASON}: {detail}" if detail else UNAVAILABLE_REASON
    return ConsentDecision(False, reason, CHECK_UNAVAILABLE)


def may_contact(channel: str, facts: ConsentFacts | None, *, now: datetime) -> ConsentDecision:
    """May the person these facts describe be contacted on ``channel`` (email, call, message) at ``now``?"""
    check_channel(channel)
    if facts is None or not facts.available:
        return unavailable(facts.unavailable_reason if facts is not None else "")
    try:
        pref = current_preference(channel, facts.preferences, now=now)
    except TypeError as exc:  # e.g. a naive and an aware datetime: the facts are unusable
        return unavailable(f"bad facts ({exc})")
    if pref is not None and pref.state not in STATES:
        return unavailable(f"unknown consent state {pref.state!r}")
    if pref is not None and pref.state == OPTED_OUT:
        scope = _CHANNEL_WORDS[pref.channel]
        return ConsentDecision(False, f"opted out of {scope}{_since(pref)}", CODE_OPTED_OUT)
    if facts.domain_suppressed:
        domain = f" {facts.suppressed_domain}" if facts.suppressed_domain else ""
        return ConsentDecision(
            False, f"the e-mail domain{domain} is suppressed (do not contact)", DOMAIN_SUPPRESSED
        )
    if pref is not None and pref.state == OPTED_IN:
        return ConsentDecision(
            True, f"opted in to {_CHANNEL_WORDS[pref.channel]}{_since(pref)}", CODE_OPTED_IN
        )
    if channel in facts.opt_in_required:
        return ConsentDecision(
            False,
            f"no opt-in recorded and the organisation requires one for {_CHANNEL_WORDS[channel]}",
            OPT_IN_REQUIRED,
        )
    return ConsentDecision(True, "no opt-out recorded (legitimate interest)", LEGITIMATE_INTEREST)


def _since(pref: Preference) -> str:
    source = f", {pref.source}" if pref.source else ""
    return f" ({pref.recorded_at.date().isoformat()}{source})"
