"""The team's own history as a table for predictive scoring (docs/scoring.md, "Trained on your own history").

One row per lead whose outcome was decided as of an explicit ``as_of`` instant, with the features known
at the moment the prediction would have been made (the *cutoff*), never later:

- ``accepted``: the lead's latest handoff decided by ``as_of``; 1 accepted, 0 rejected; features as of
  the handoff's creation; time (for the time-ordered hold-out): the decision.
- ``opportunity``: the lead's latest handoff created at least ``window_days`` before ``as_of``; 1 when an
  opportunity was created within the window; features as of the handoff; time: the end of the window.
- ``won``: the lead's latest opportunity closed by ``as_of``; 1 won, 0 lost; features as of the
  opportunity's creation; time: the close.

Features as of the cutoff (``lead_features``): the lead's profile fields, the days since capture, the
hours to the first outbound touch, earlier handoffs, touch counts, behaviour counts and qualification
criteria met. A touch, behaviour event or criterion answer counts only when it happened *and* was recorded
by the cutoff. Everything is read with a few set-based statements per 500 leads (a ``VALUES`` list of
(lead, cutoff) joined to each table, grouped), never a query per lead. The same function computes a lead's
features for a prediction, as of now (or its pending handoff).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.utils.translation import gettext_lazy as _

from baton.behaviour.models import BehaviourEvent, BehaviourKind
from baton.core.errors import InvalidInput
from baton.core.qualification import MET
from baton.dbutil import chunks, rows_where_in
from baton.handoffs.models import Handoff
from baton.leads.models import Lead, Seniority, Source, Touch
from baton.pipeline.models import Opportunity, Stage

ACCEPTED, OPPORTUNITY, WON = "accepted", "opportunity", "won"
OUTCOMES = (ACCEPTED, OPPORTUNITY, WON)
DEFAULT_OUTCOME = ACCEPTED
WINDOW_DAYS = 30  # ``opportunity``: a handoff counts as 1 when an opportunity follows within this many days

PROFILE = ("source", "direction", "seniority", "industry", "region", "city", "company_size", "budget",
           "has_email", "has_phone", "has_website")  # fmt: skip
TIMING = ("days_since_capture", "hours_to_first_touch", "prior_handoffs")
TOUCH_COUNTS = ("touches", "calls", "calls_connected", "emails_sent", "replies", "meetings_booked",
                "meetings_held", "inbound_touches")  # fmt: skip
BEHAVIOUR_KINDS = tuple(BehaviourKind.values)

# What a touch counts as (conditions on the touch table's own columns; constants, no user input).
_TOUCH_SQL = {
    "touches": "1 = 1",
    "calls": f"channel = '{Touch.Channel.CALL}'",
    "calls_connected": f"outcome = '{Touch.Outcome.CONNECTED}' AND duration_seconds >= 120",
    "emails_sent": f"channel = '{Touch.Channel.EMAIL}' AND direction = '{Touch.Direction.OUTBOUND}'",
    "replies": f"outcome = '{Touch.Outcome.REPLIED}'",
    "meetings_booked": f"outcome = '{Touch.Outcome.BOOKED}'",
    "meetings_held": f"outcome = '{Touch.Outcome.HELD}'",
    "inbound_touches": f"direction = '{Touch.Direction.INBOUND}'",
}

FEATURE_LABELS = {
    "source": _("Source"),
    "direction": _("Inbound or outbound"),
    "seniority": _("Seniority"),
    "industry": _("Industry"),
    "region": _("Region"),
    "city": _("City"),
    "company_size": _("Company size"),
    "budget": _("Budget"),
    "has_email": _("E-mail given"),
    "has_phone": _("Phone given"),
    "has_website": _("Website known"),
    "days_since_capture": _("Days since capture"),
    "hours_to_first_touch": _("Hours to first touch"),
    "prior_handoffs": _("Earlier handoffs"),
    "touches": _("Touches"),
    "calls": _("Calls"),
    "calls_connected": _("Calls connected (2 min or more)"),
    "emails_sent": _("E-mails sent"),
    "replies": _("Replies"),
    "meetings_booked": _("Meetings booked"),
    "meetings_held": _("Meetings held"),
    "inbound_touches": _("Inbound touches"),
    **{f"behaviour_{k}": label for k, label in BehaviourKind.choices},
}
OUTCOME_LABELS = {
    ACCEPTED: _("Likelihood of acceptance"),
    OPPORTUNITY: _("Likelihood of an opportunity"),
    WON: _("Likelihood of a win"),
}


def feature_label(name: str) -> str:
    """A feature's name for people (qualification features: "BANT criteria met")."""
    if name in FEATURE_LABELS:
        return str(FEATURE_LABELS[name])
    if name.endswith("_met"):
        from baton.qualification.selectors import templates

        framework = templates().get(name[: -len("_met")])
        if framework is not None:
            return str(_("%(framework)s criteria met") % {"framework": framework.name})
    return name


_VALUE_LABELS = {
    "source": dict(Source.choices),
    "direction": dict(Lead.Direction.choices),
    "seniority": dict(Seniority.choices),
    "has_email": {"yes": _("yes"), "no": _("no")},
    "has_phone": {"yes": _("yes"), "no": _("no")},
    "has_website": {"yes": _("yes"), "no": _("no")},
}


def value_label(name: str, value: str) -> str:
    """A lead's value of a feature as the explanation shows it ("(missing)" → "unknown")."""
    from baton.core.predictive import MISSING, OTHER

    if value.startswith(MISSING):
        return str(_("unknown"))
    rare = value.startswith(OTHER)
    if rare:
        value = value[len(OTHER) :].strip()
    label = _VALUE_LABELS.get(name, {}).get(value.casefold())
    text = str(label) if label is not None else value
    # Too rare in the history (or never seen): the model treats it as "other".
    return str(_("%(value)s (rare)") % {"value": text}) if rare else text


@dataclass
class Dataset:
    outcome: str
    as_of: datetime
    window_days: int
    lead_ids: list[int] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)  # the decision moment: the time-ordered hold-out
    cutoffs: list[datetime] = field(default_factory=list)  # features are as of this moment

    @property
    def positives(self) -> int:
        return sum(self.labels)

    def describe(self) -> str:
        """What a row is, for reports and refusals."""
        return str(describe_outcome(self.outcome, self.window_days))


def describe_outcome(outcome: str, window_days: int = WINDOW_DAYS) -> str:
    if outcome == ACCEPTED:
        return str(_("leads whose handoff was accepted (1) or rejected (0)"))
    if outcome == OPPORTUNITY:
        return str(
            _("handed-off leads that became an opportunity within %(n)s days (1) or not (0)")
            % {"n": window_days}
        )
    return str(_("leads whose opportunity was won (1) or lost (0)"))


def check_outcome(outcome: str) -> str:
    if outcome not in OUTCOMES:
        raise InvalidInput(
            f"unknown outcome {outcome!r}; choose one of: {', '.join(OUTCOMES)}",
            code="invalid_input",
            details={"fields": {"outcome": f"one of {', '.join(OUTCOMES)}"}},
        )
    return outcome


# --- Outcomes -------------------------------------------------------------------------------------------


def _decided(outcome: str, as_of: datetime, window_days: int) -> dict[int, tuple[int, datetime, datetime]]:
    """Lead id → (label, cutoff, decision time) for every lead decided as of ``as_of``: one or two
    statements. Leads merged into another are left out (their history moved to the survivor)."""
    out: dict[int, tuple[int, datetime, datetime]] = {}
    if outcome == ACCEPTED:
        rows = (
            Handoff.objects.filter(status__in=[Handoff.Status.ACCEPTED, Handoff.Status.REJECTED],
                                   decided_at__lte=as_of, lead__merged_into__isnull=True)
            .order_by("lead_id", "decided_at", "id")
            .values_list("lead_id", "status", "created_at", "decided_at")
        )  # fmt: skip
        for lead_id, status, created, decided in rows.iterator(chunk_size=5000):
            out[lead_id] = (int(status == Handoff.Status.ACCEPTED), created, decided)  # the latest wins
        return out
    if outcome == OPPORTUNITY:
        window = timedelta(days=window_days)
        latest: dict[int, datetime] = {}
        handoffs = (
            Handoff.objects.filter(created_at__lte=as_of - window, lead__merged_into__isnull=True)
            .order_by("lead_id", "created_at", "id")
            .values_list("lead_id", "created_at")
        )
        for lead_id, created in handoffs.iterator(chunk_size=5000):
            latest[lead_id] = created
        opened: dict[int, list[datetime]] = {}
        opps = Opportunity.objects.filter(created_at__lte=as_of, lead__merged_into__isnull=True)
        for lead_id, created in opps.values_list("lead_id", "created_at").iterator(chunk_size=5000):
            opened.setdefault(lead_id, []).append(created)
        for lead_id, handed in latest.items():
            hit = any(handed <= at <= handed + window for at in opened.get(lead_id, ()))
            out[lead_id] = (int(hit), handed, handed + window)
        return out
    rows = (
        Opportunity.objects.filter(closed_at__lte=as_of, stage__kind__in=[Stage.Kind.WON, Stage.Kind.LOST],
                                   lead__merged_into__isnull=True)
        .order_by("lead_id", "closed_at", "id")
        .values_list("lead_id", "stage__kind", "created_at", "closed_at")
    )  # fmt: skip
    for lead_id, kind, created, closed in rows.iterator(chunk_size=5000):
        out[lead_id] = (int(kind == Stage.Kind.WON), created, closed)
    return out


def history_dataset(
    outcome: str = DEFAULT_OUTCOME, *, as_of: datetime, window_days: int = WINDOW_DAYS
) -> Dataset:
    """The labelled table of ``outcome`` as of ``as_of``: rows in lead-id order."""
    check_outcome(outcome)
    if not isinstance(window_days, int) or not 1 <= window_days <= 365:
        raise InvalidInput(
            "the opportunity window must be a whole number of days from 1 to 365",
            details={"fields": {"window_days": "1 to 365"}},
        )
    decided = _decided(outcome, as_of, window_days)
    data = Dataset(outcome, as_of, window_days)
    ids = sorted(decided)
    features = lead_features([(pk, decided[pk][1]) for pk in ids])
    for pk in ids:
        label, cutoff, when = decided[pk]
        data.lead_ids.append(pk)
        data.rows.append(features[pk])
        data.labels.append(label)
        data.cutoffs.append(cutoff)
        data.times.append(when)
    return data


def history_size(outcome: str, *, as_of: datetime, window_days: int = WINDOW_DAYS) -> int:
    """At most how many rows ``history_dataset`` would have (one indexed count; leads may repeat)."""
    check_outcome(outcome)
    if outcome == ACCEPTED:
        return Handoff.objects.filter(decided_at__lte=as_of).exclude(status=Handoff.Status.PENDING).count()
    if outcome == OPPORTUNITY:
        return Handoff.objects.filter(created_at__lte=as_of - timedelta(days=window_days)).count()
    return Opportunity.objects.filter(closed_at__lte=as_of).count()


# --- Features as of a cutoff ------------------------------------------------------------------------------


def _julian_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"(CAST(EXTRACT(EPOCH FROM {column}) AS double precision) / 86400.0 + 2440587.5)"
    return f"julianday({column})"


def _julian(at: datetime) -> float:
    return at.timestamp() / 86400.0 + 2440587.5


def _per_cutoff(pairs: Sequence[tuple[int, datetime]], select: str, join: str, *, group: bool = True,
                order: str = "") -> list[tuple]:  # fmt: skip
    """``SELECT c.lead_id, <select> FROM c JOIN <join>`` where c is the (lead_id, cutoff) pairs as a
    ``VALUES`` list: one statement per 500 pairs. ``select`` and ``join`` are fixed SQL (constants)."""
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor == "postgresql":
        row = "(CAST(%s AS bigint), CAST(%s AS timestamp with time zone))"
    else:
        row = "(%s, %s)"
    out: list[tuple] = []
    with connection.cursor() as cursor:
        for part in chunks(list(pairs)):
            params: list = []
            for pk, cutoff in part:
                params.extend((pk, adapt(cutoff)))
            sql = (
                f"WITH c (lead_id, cutoff) AS (VALUES {', '.join([row] * len(part))}) "  # noqa: S608
                f"SELECT c.lead_id, {select} FROM c JOIN {join}"
                + (" GROUP BY c.lead_id" if group else "")
                + (f" ORDER BY {order}" if order else "")
            )
            cursor.execute(sql, params)
            out.extend(cursor.fetchall())
    return out


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _yes(value) -> str:
    return "yes" if value else "no"


def lead_features(pairs: Iterable[tuple[int, datetime]]) -> dict[int, dict]:
    """Lead id → its features as of its cutoff (column → value; None where unknown).

    Profile fields are the lead's current ones (Baton keeps no field history; see docs/scoring.md).
    Counts include what happened and was recorded by the cutoff, nothing later. One statement per 500
    leads for each of: the leads, touches, behaviour events, earlier handoffs, qualification answers.
    """
    from baton.qualification.models import CriterionAnswer
    from baton.qualification.selectors import templates

    pairs = list(dict(pairs).items())  # one cutoff per lead
    if not pairs:
        return {}
    cutoff_of = dict(pairs)
    frameworks = templates().active
    criterion_framework = {c.id: f.key for f in frameworks for c in f.active_criteria}
    leads = rows_where_in(Lead, "pk", cutoff_of, ["pk", "source", "direction", "seniority", "industry", "region", "city",
                                                   "company_size", "extra", "email", "phone", "website_domain",
                                                   "created_at"])  # fmt: skip
    out: dict[int, dict] = {}
    for (
        pk,
        source,
        direction,
        seniority,
        industry,
        region,
        city,
        size,
        extra,
        email,
        phone,
        domain,
        created,
    ) in leads:
        cutoff = cutoff_of[pk]
        budget = extra.get("budget") if isinstance(extra, dict) else None
        out[pk] = {
            "source": source or None, "direction": direction or None, "seniority": seniority or None,
            "industry": industry or None, "region": region or None, "city": city or None,
            "company_size": size, "budget": str(budget) if budget not in (None, "") else None,
            "has_email": _yes(email), "has_phone": _yes(phone), "has_website": _yes(domain),
            "days_since_capture": round(max(0.0, (cutoff - created).total_seconds() / 86400), 2),
            "hours_to_first_touch": None, "prior_handoffs": 0,
            **dict.fromkeys(TOUCH_COUNTS, 0),
            **{f"behaviour_{k}": 0 for k in BEHAVIOUR_KINDS},
            **{f"{f.key}_met": 0 for f in frameworks},
            "_created": created,
        }  # fmt: skip
    pairs = [(pk, cutoff) for pk, cutoff in pairs if pk in out]

    sums = ", ".join(f"SUM(CASE WHEN {_TOUCH_SQL[k]} THEN 1 ELSE 0 END)" for k in TOUCH_COUNTS)
    first = f"MIN(CASE WHEN direction = '{Touch.Direction.OUTBOUND}' THEN {_julian_sql('occurred_at')} END)"
    touch_join = f"{_table(Touch)} t ON t.lead_id = c.lead_id AND t.occurred_at <= c.cutoff AND t.recorded_at <= c.cutoff"
    for pk, *counts, first_jd in _per_cutoff(pairs, f"{sums}, {first}", touch_join):
        row = out[pk]
        row.update(zip(TOUCH_COUNTS, (int(n or 0) for n in counts), strict=True))
        if first_jd is not None:
            row["hours_to_first_touch"] = round(
                max(0.0, (float(first_jd) - _julian(row["_created"])) * 24), 2
            )

    kinds = ", ".join(f"SUM(CASE WHEN e.kind = '{k}' THEN 1 ELSE 0 END)" for k in BEHAVIOUR_KINDS)
    event_join = (f"{_table(BehaviourEvent)} e ON e.lead_id = c.lead_id AND e.occurred_at <= c.cutoff "
                  "AND e.received_at <= c.cutoff")  # fmt: skip
    for pk, *counts in _per_cutoff(pairs, kinds, event_join):
        out[pk].update({f"behaviour_{k}": int(n or 0) for k, n in zip(BEHAVIOUR_KINDS, counts, strict=True)})

    handoff_join = f"{_table(Handoff)} h ON h.lead_id = c.lead_id AND h.created_at < c.cutoff"
    for pk, n in _per_cutoff(pairs, "COUNT(h.id)", handoff_join):
        out[pk]["prior_handoffs"] = int(n)

    if criterion_framework:
        # Append-only answers: the latest (set_at, id) by the cutoff is the criterion's state then.
        answer_join = f"{_table(CriterionAnswer)} a ON a.lead_id = c.lead_id AND a.set_at <= c.cutoff"
        states: dict[tuple[int, int], str] = {}
        for pk, criterion_id, state in _per_cutoff(pairs, "a.criterion_id, a.state", answer_join, group=False,
                                                   order="c.lead_id, a.set_at, a.id"):  # fmt: skip
            states[(pk, criterion_id)] = state
        for (pk, criterion_id), state in states.items():
            key = criterion_framework.get(criterion_id)
            if key is not None and state == MET:
                out[pk][f"{key}_met"] += 1
    for row in out.values():
        del row["_created"]
    return out
