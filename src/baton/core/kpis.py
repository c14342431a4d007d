"""The KPI catalogue (spec §5) and the pure arithmetic behind the numbers.

Conventions shared by every implementation (the SQL in ``baton.analytics.selectors`` and the
reference implementation of the tests):

- A period is [start, end) in the organisation's time zone; ``period_bounds`` turns it into UTC.
- Everything is read *as known at the as-of time*: an event counts only if it happened at or before
  ``as_of`` (so a report of a running period counts up to ``as_of``, and a report replayed with an
  earlier ``--at`` sees what was known then).
- **Flow** metrics count events in the period. **Conversion** metrics are cohort-based: of the items
  that entered a stage in the period, the share that reached the next stage by ``as_of``.
- Rates are fractions in [0, 1], rounded to 4 decimals; a rate with an empty denominator is ``None``
  (JSON ``null``), never 0. Ratios that may exceed 1 (``opps_per_mql``) follow the same rule.
- Money is a **string** with exactly two decimals in the organisation's currency (``"12345.00"``),
  computed from integer cents, so SQLite and PostgreSQL agree to the cent.
- Durations are numbers (minutes or days) rounded to 2 decimals; ``None`` when there is nothing to
  measure.
- Percentiles use **linear interpolation between closest ranks** (Hyndman & Fan type 7: the
  definition of PostgreSQL ``percentile_cont``, NumPy's default and Excel ``PERCENTILE.INC``): for
  ``n`` sorted values ``x[0..n-1]`` and ``p = num/den``, ``h = (n - 1) * p``, the result is
  ``x[floor(h)] + (h - floor(h)) * (x[ceil(h)] - x[floor(h)])``. The median is p = 1/2 (the mean of the
  two middle values when n is even). ``percentile_scaled`` computes it exactly in integers.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from decimal import ROUND_HALF_UP, Decimal

# Kinds (spec §5): flow = events counted in the period; conversion = cohort share reaching the next
# stage by the as-of time; duration = elapsed time; money = amounts in the organisation's currency.
FLOW, CONVERSION, DURATION, MONEY = "flow", "conversion", "duration", "money"
# Units say how to read the value.
COUNT, FRACTION, RATIO, MINUTES, DAYS, AMOUNT = "count", "fraction", "ratio", "minutes", "days", "money"

# Who a KPI is attributed to in per-rep cuts (``by_rep``) and in rep restrictions (``rep_ids``).
LEAD_OWNER = "lead owner"
HANDOFF_SDR = "handoff SDR (the sender of the cycle's first handoff)"
HANDOFF_AE = "handoff AE (the receiver)"
TOUCH_USER = "touch user"
OPP_OWNER = "opportunity owner (AE)"
OPP_SDR = "opportunity SDR (who handed the lead off)"
CLOCK_USER = "clock user (who is on the hook)"
PENALTY_USER = "the suspended person"

SPEED_TO_LEAD_TARGET_MINUTES = 5
SQL_TO_OPP_WINDOW_DAYS = 45
CREDIT_WINDOW_DAYS = 45  # spec §4.7: created within 45 days of accepting the SQL ...
WITHDRAW_WINDOW_DAYS = 14  # ... and not withdrawn (moved to a lost stage) within 2 weeks of creation

RATE_DIGITS = 4
MICROS_PER_MINUTE = 60_000_000
MICROS_PER_DAY = 86_400_000_000

MEDIAN = (1, 2)
P90 = (9, 10)

# The built-in SLA policies (baton.sla.models.Policy.Key), each with its own compliance KPI,
# ``sla_compliance_<key>``. Clocks of other policies count in the overall ``sla_compliance`` only.
SLA_POLICY_LABELS = {
    "speed_to_lead": "Speed to lead",
    "acceptance": "Handoff acceptance",
    "director_dispatch": "Director dispatch",
    "manager_feedback": "Manager feedback",
}
SLA_POLICY_KEYS = tuple(SLA_POLICY_LABELS)
ACCEPTANCE_POLICY = "acceptance"

# When an SLA clock's outcome is decided (the definition shared by kpi_report and the reference):
SLA_DECIDED = (
    "A clock's outcome, as known at the as-of time T, is decided at one instant: a clock stopped met by T at "
    "its stop; a clock stopped missed by T when it ran out (the earlier of its due time and its stop); a "
    "clock still open at T (not stopped by T, started by T) missed at its due time once that is at or before "
    "T — or, if it is paused at T, at its breach, if it was breached by T, else not yet decided. A clock "
    "cancelled by T never counts."
)


@dataclass(frozen=True)
class KpiDef:
    key: str
    label: str
    kind: str
    unit: str
    attribution: str
    definition: str


def _k(key: str, label: str, kind: str, unit: str, attribution: str, definition: str) -> KpiDef:
    return KpiDef(key, label, kind, unit, attribution, definition)


CATALOGUE: tuple[KpiDef, ...] = (
    _k("leads", "Leads", FLOW, COUNT, LEAD_OWNER, "Leads created in the period."),
    _k(
        "mqls",
        "MQLs",
        FLOW,
        COUNT,
        HANDOFF_SDR,
        "Lead cycles whose first handoff was made in the period (each lead cycle counts once, at its first "
        "handoff).",
    ),
    _k(
        "mql_rate",
        "MQL rate",
        CONVERSION,
        FRACTION,
        LEAD_OWNER,
        "Of the leads created in the period, the share with a handoff made by the as-of time.",
    ),
    _k(
        "follow_up_rate",
        "Follow-up rate",
        CONVERSION,
        FRACTION,
        LEAD_OWNER,
        "Of the leads created in the period, the share with an outbound touch by the as-of time.",
    ),
    _k(
        "speed_to_lead_median_min",
        "Speed to lead, median (min)",
        DURATION,
        MINUTES,
        LEAD_OWNER,
        "Inbound leads created in the period and touched by the as-of time: median minutes from creation to "
        "the first outbound touch. Wall-clock minutes for now (business time comes with the SLA calendars).",
    ),
    _k(
        "speed_to_lead_p90_min",
        "Speed to lead, p90 (min)",
        DURATION,
        MINUTES,
        LEAD_OWNER,
        "Same population as the median: 90th percentile of wall-clock minutes to the first outbound touch.",
    ),
    _k(
        "speed_to_lead_within_5min",
        "Speed to lead within 5 min",
        CONVERSION,
        FRACTION,
        LEAD_OWNER,
        "Same population as the median: the share first touched at most 5 wall-clock minutes after creation.",
    ),
    _k(
        "touches",
        "Touches",
        FLOW,
        COUNT,
        TOUCH_USER,
        "Outbound touches in the period, all channels (calls + e-mails + messages + meeting touches).",
    ),
    _k("calls", "Calls", FLOW, COUNT, TOUCH_USER, "Outbound calls in the period."),
    _k("emails", "E-mails", FLOW, COUNT, TOUCH_USER, "Outbound e-mails in the period."),
    _k("messages", "Messages", FLOW, COUNT, TOUCH_USER, "Outbound messages in the period."),
    _k(
        "meetings_booked",
        "Meetings booked",
        FLOW,
        COUNT,
        TOUCH_USER,
        "Meeting touches with outcome 'booked' in the period.",
    ),
    _k(
        "meetings_held",
        "Meetings held",
        FLOW,
        COUNT,
        TOUCH_USER,
        "Meeting touches with outcome 'held' in the period (a no-show is not held).",
    ),
    _k(
        "reply_rate",
        "Reply rate",
        FLOW,
        FRACTION,
        TOUCH_USER,
        "E-mail and message touches in the period with outcome 'replied' (usually logged inbound; an auto-reply "
        "is not a reply) / outbound e-mails and messages in the period.",
    ),
    _k(
        "meaningful_conversation_rate",
        "Meaningful conversation rate",
        FLOW,
        FRACTION,
        TOUCH_USER,
        "Calls, e-mails and messages in the period marked meaningful (default rule: a connected call of at "
        "least 2 minutes, or a reply that is not an auto-reply) / outbound calls, e-mails and messages.",
    ),
    _k("sqls", "SQLs", FLOW, COUNT, HANDOFF_SDR, "Handoffs accepted in the period."),
    _k(
        "mql_to_sql_rate",
        "MQL → SQL rate",
        CONVERSION,
        FRACTION,
        HANDOFF_SDR,
        "Of the MQLs of the period (lead cycles, see mqls), the share with a handoff of the same cycle "
        "accepted by the as-of time.",
    ),
    _k(
        "acceptance_within_sla_rate",
        "Decided within SLA",
        CONVERSION,
        FRACTION,
        HANDOFF_AE,
        "Of the handoffs made in the period, the share accepted or rejected by the as-of time and no later "
        "than their due time.",
    ),
    _k(
        "sql_to_opp_rate",
        "SQL → opportunity rate",
        CONVERSION,
        FRACTION,
        HANDOFF_SDR,
        "Of the handoffs accepted in the period, the share whose opportunity was created within 45 days of "
        "the acceptance and by the as-of time.",
    ),
    _k(
        "opps_created",
        "Opportunities created",
        FLOW,
        COUNT,
        OPP_OWNER,
        "Opportunities created in the period.",
    ),
    _k(
        "opps_per_mql",
        "Opportunities per MQL",
        FLOW,
        RATIO,
        OPP_SDR,
        "Opportunities created in the period / MQLs of the period (per rep: the SDR's opportunities / the "
        "SDR's MQLs).",
    ),
    _k(
        "pipeline_created",
        "Pipeline created",
        MONEY,
        AMOUNT,
        OPP_OWNER,
        "Sum of the amounts of the opportunities created in the period.",
    ),
    _k(
        "pipeline_per_opp",
        "Pipeline per opportunity",
        MONEY,
        AMOUNT,
        OPP_OWNER,
        "Pipeline created / opportunities created.",
    ),
    _k("won", "Won", FLOW, COUNT, OPP_OWNER, "Opportunities won (closed in a won stage) in the period."),
    _k(
        "bookings",
        "Bookings",
        MONEY,
        AMOUNT,
        OPP_OWNER,
        "Sum of the amounts of the opportunities won in the period.",
    ),
    _k("asp", "Average selling price", MONEY, AMOUNT, OPP_OWNER, "Bookings / won."),
    _k(
        "win_rate",
        "Win rate",
        FLOW,
        FRACTION,
        OPP_OWNER,
        "Won / (won + lost) among the opportunities closed in the period.",
    ),
    _k(
        "sales_cycle_median_days",
        "Sales cycle, median (days)",
        DURATION,
        DAYS,
        OPP_OWNER,
        "Median days from creation to the win, for the opportunities won in the period.",
    ),
    _k(
        "stage2_reach_rate",
        "Reached stage 2",
        CONVERSION,
        FRACTION,
        OPP_OWNER,
        "Of the opportunities created in the period, the share whose stage history shows, by the as-of time, a "
        "move to the second open stage (by position), a later open stage, or a won stage.",
    ),
    _k(
        "sdr_sourced_opps",
        "SDR-sourced opportunities",
        FLOW,
        COUNT,
        OPP_SDR,
        "Opportunities created in the period that the SDR credit rule grants: created from an accepted handoff "
        "within 45 days of the acceptance, and not withdrawn (closed lost within 14 days of creation) as of "
        "the as-of time.",
    ),
    _k(
        "sdr_sourced_bookings",
        "SDR-sourced bookings",
        MONEY,
        AMOUNT,
        OPP_SDR,
        "Bookings of the period from opportunities the SDR credit rule grants.",
    ),
    _k(
        "sdr_sourced_bookings_share",
        "SDR-sourced share of bookings",
        FLOW,
        FRACTION,
        OPP_OWNER,
        "SDR-sourced bookings / bookings, both over the opportunities won in the period (per rep: of the "
        "bookings the AE owns, the SDR-sourced share).",
    ),
    _k(
        "sla_compliance",
        "SLA compliance",
        FLOW,
        FRACTION,
        CLOCK_USER,
        "Of the SLA clocks (all policies) whose outcome was decided in the period, the share met: met / (met + "
        "missed). " + SLA_DECIDED,
    ),
    *(
        _k(
            f"sla_compliance_{key}",
            f"SLA compliance: {label.lower()}",
            FLOW,
            FRACTION,
            CLOCK_USER,
            f"SLA compliance over the clocks of the {key} policy only.",
        )
        for key, label in SLA_POLICY_LABELS.items()
    ),
    _k(
        "sla_strikes",
        "SLA strikes",
        FLOW,
        COUNT,
        CLOCK_USER,
        "Acceptance clocks decided in the period as misses that count against the person, as the two-in-a-row "
        "penalty counts them: stopped missed by the as-of time with the person's own part alone over the "
        "target, or still open at the as-of time and breached by then (the sweep strikes a breach at once). "
        "An open acceptance clock past due that no sweep has breached yet is a miss, not yet a strike.",
    ),
    _k(
        "sla_system_delay_share",
        "SLA misses caused by the system",
        FLOW,
        FRACTION,
        CLOCK_USER,
        "Of the SLA misses decided in the period whose clock stopped by the as-of time, the share the system's "
        "wait caused (routing, enrichment, outside business hours): the person's own part was within the "
        "target, so the miss does not count against them.",
    ),
    _k(
        "suspensions",
        "Suspensions",
        FLOW,
        COUNT,
        PENALTY_USER,
        "SLA penalties (no new MQLs for a month after two acceptance strikes in a row) that started in the "
        "period, lifted since or not.",
    ),
)

BY_KEY: dict[str, KpiDef] = {k.key: k for k in CATALOGUE}
KEYS: tuple[str, ...] = tuple(k.key for k in CATALOGUE)

BY_SOURCE_FIELDS: dict[str, str] = {
    "leads": "leads created in the period with this source (lead owner)",
    "mqls": "MQLs (lead cycles first handed off in the period) of leads with this source (handoff SDR)",
    "mql_rate": "of those leads, the share with a handoff by the as-of time (lead owner)",
    "acceptance_rate": "of those MQLs, the share accepted by the as-of time (handoff SDR)",
    "opportunity_rate": "of those leads, the share with an opportunity created by the as-of time (lead owner)",
    "won": "opportunities of leads with this source won in the period (opportunity owner)",
    "won_revenue": "their amounts (opportunity owner)",
    "sla_compliance": "of the SLA clocks of leads with this source decided in the period, the share met "
    "(clock user)",
}


def catalogue() -> list[dict]:
    return [
        {
            "key": k.key,
            "label": k.label,
            "kind": k.kind,
            "unit": k.unit,
            "attribution": k.attribution,
            "definition": k.definition,
        }
        for k in CATALOGUE
    ]


# --- arithmetic -------------------------------------------------------------------------------------


def safe_rate(
    numerator: int | float | Decimal, denominator: int | float | Decimal, digits: int = RATE_DIGITS
):
    """numerator / denominator rounded to ``digits``; None when the denominator is empty (0 or None)."""
    if not denominator:
        return None
    value = Decimal(numerator or 0) / Decimal(denominator)
    return float(value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def money(cents: int | None) -> str:
    """Integer cents → "12345.00"."""
    cents = int(cents or 0)
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def money_per(cents: int | None, count: int | None) -> str | None:
    """An average amount (cents / count) as money, rounded half up to the cent; None when count is 0."""
    if not count:
        return None
    value = (Decimal(int(cents or 0)) / Decimal(count)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return money(int(value))


def to_cents(amount: Decimal | int | str) -> int:
    return int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percentile_ranks(n: int, num: int, den: int) -> tuple[int, int, int]:
    """1-based ranks (lo, hi) of the values to interpolate between, and the weight k of hi in den-ths.

    The p = num/den percentile of n sorted values is ``(x[lo] * (den - k) + x[hi] * k) / den``.
    """
    if n <= 0:
        raise ValueError("a percentile needs at least one value")
    h = (n - 1) * num
    return 1 + h // den, 1 + (h + den - 1) // den, h % den


def percentile_scaled(values: list[int], num: int, den: int) -> int | None:
    """The p = num/den percentile of integer values, multiplied by den (an exact integer); None if empty."""
    if not values:
        return None
    xs = sorted(values)
    lo, hi, k = percentile_ranks(len(xs), num, den)
    a, b = xs[lo - 1], xs[hi - 1]
    return a * den + (b - a) * k


def percentile(values: list[int | float], num: int, den: int) -> float | None:
    """Unscaled convenience form of ``percentile_scaled`` for any numbers."""
    if not values:
        return None
    xs = sorted(values)
    lo, hi, k = percentile_ranks(len(xs), num, den)
    a, b = xs[lo - 1], xs[hi - 1]
    return a + (b - a) * k / den


def scaled_micros_to(scaled: int | None, den: int, unit_micros: int, digits: int = 2) -> float | None:
    """A den-scaled duration in microseconds → the unit (minutes, days), rounded half up."""
    if scaled is None:
        return None
    value = Decimal(int(scaled)) / (Decimal(den) * unit_micros)
    return float(value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def period_bounds(start: date, end: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) local dates in ``tz`` → UTC instants (midnight local; fold=0 on ambiguous times)."""
    lo = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC)
    hi = datetime.combine(end, time(0), tzinfo=tz).astimezone(UTC)
    return lo, hi
