"""KPI reads (spec §5): every number is computed in the database, in a constant number of queries.

The definitions, units and the percentile rule live in ``baton.core.kpis`` (the catalogue); this module
turns them into SQL that gives the same results on SQLite and PostgreSQL:

- elapsed times are whole microseconds (``ElapsedMicros``), money is integer cents (``Cents``), so
  nothing depends on floating point;
- percentiles (linear interpolation, see ``baton.core.kpis``) use ROW_NUMBER()/COUNT() windows and
  integer arithmetic; all percentile series of a report come back in one query;
- each block of metrics (lead cohort, MQL cohort, handoffs, SQLs, touches, opportunities created, closed,
  the SDR-credited ones, SLA clocks, penalties) is one aggregate query (grouped by rep with ``by_rep``,
  the totals being the sums of the groups); ``by_source`` adds four grouped queries and the percentiles
  one (two with ``by_rep``). 18 queries whatever the data, 22 with ``by_rep`` (the rep list takes three).

Per-rep attribution (``by_rep`` and ``rep_ids``): each KPI belongs to one rep column, named in the
catalogue — the lead owner (lead cohort metrics), the touch user (activity), the SDR of the handoff
(MQLs, SQLs, MQL→SQL, SQL→opportunity), the AE of the handoff (decided within SLA), the opportunity
owner (pipeline, bookings, win rate, cycle, stage 2), the opportunity's SDR (SDR-sourced, and the
numerator of opportunities per MQL), the clock's user (SLA compliance, strikes) and the penalised person
(suspensions). ``rep_ids`` keeps, for every KPI, only the rows whose rep is in
the set, so ``kpi_report(..., rep_ids={u})["kpis"]`` equals the ``by_rep`` row of ``u``.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Least

from baton import clock
from baton.core import kpis as K
from baton.core.errors import InvalidInput
from baton.handoffs.models import Handoff
from baton.leads.models import Lead, Source, Touch
from baton.org.models import SDR_ROLES, OrgSettings, Role, RoleAssignment, User
from baton.pipeline.models import Opportunity, Stage, StageChange
from baton.sla.models import Clock, Penalty

# Users listed in by_rep even without activity in the period (if active).
REP_ROLES = (*SDR_ROLES, Role.AE, Role.AM)

ACCEPTED, REJECTED = Handoff.Status.ACCEPTED, Handoff.Status.REJECTED
OUT = Touch.Direction.OUTBOUND
WON, LOST, OPEN = Stage.Kind.WON, Stage.Kind.LOST, Stage.Kind.OPEN
MET, MISSED, PAUSED = Clock.State.MET, Clock.State.MISSED, Clock.State.PAUSED


class ElapsedMicros(Func):
    """``end - start`` in whole microseconds (an integer), identically on SQLite and PostgreSQL."""

    arity = 2
    output_field = BigIntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores datetimes as naive UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]" (six digits when
        # present): whole seconds from strftime on the first 19 characters, plus the microseconds.
        # Exact, and about ten times faster than Django's Python django_timestamp_diff function.
        (end, end_params), (start, start_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        sql = (
            f"((CAST(strftime(%s, substr({end}, 1, 19)) AS INTEGER)"
            f" - CAST(strftime(%s, substr({start}, 1, 19)) AS INTEGER)) * 1000000"
            f" + CAST(substr({end}, 21, 6) AS INTEGER) - CAST(substr({start}, 21, 6) AS INTEGER))"
        )
        return sql, ("%s", *end_params, "%s", *start_params, *end_params, *start_params)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, arg_joiner=" - ",
            template="CAST(EXTRACT(EPOCH FROM (%(expressions)s)) * 1000000 AS BIGINT)", **extra,
        )  # fmt: skip


class Cents(Func):
    """A decimal amount as integer cents (exact sums on SQLite, where decimals are stored as REAL)."""

    arity = 1
    output_field = BigIntegerField()
    template = "CAST(ROUND(%(expressions)s * 100) AS BIGINT)"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="CAST(ROUND(%(expressions)s * 100) AS INTEGER)", **extra
        )


def _count(q: Q | None = None) -> Count:
    return Count("pk", filter=q) if q is not None else Count("pk")


def _sum_cents(q: Q | None = None) -> Sum:
    return Sum(Cents(F("amount")), filter=q)


class _Ctx:
    """The period, the as-of instant and the restriction shared by every block."""

    def __init__(self, lo: datetime, hi: datetime, as_of: datetime, rep_ids: set[int] | None, by_rep: bool):
        self.lo, self.hi, self.as_of = lo, hi, as_of
        self.rep_ids = rep_ids
        self.by_rep = by_rep

    def in_period(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.lo, f"{field}__lt": self.hi, f"{field}__lte": self.as_of})

    def restrict(self, qs: QuerySet, rep_field: str) -> QuerySet:
        if self.rep_ids is None:
            return qs
        return qs.filter(**{f"{rep_field}__in": self.rep_ids})


def _run_block(ctx: _Ctx, qs: QuerySet, rep_field: str, aggregates: dict, total: dict, per_rep: dict) -> None:
    """One aggregate query: for the report, or with by_rep grouped by the block's rep column.

    Every block aggregate is a COUNT or a SUM, so the report's totals are the sums of the per-rep
    groups (the group of rows without a rep included): one scan instead of two.
    """
    qs = ctx.restrict(qs, rep_field).order_by()
    if not ctx.by_rep:
        total.update({k: v or 0 for k, v in qs.aggregate(**aggregates).items()})
        return
    sums = dict.fromkeys(aggregates, 0)
    for row in qs.values(rep_key=F(rep_field)).annotate(**aggregates):
        rep = row.pop("rep_key")
        values = {k: v or 0 for k, v in row.items()}
        for k, v in values.items():
            sums[k] += v
        if rep is not None:
            per_rep.setdefault(rep, {}).update(values)
    total.update(sums)


def _grouped(qs: QuerySet, group_field: str, aggregates: dict) -> dict:
    out: dict = {}
    for row in qs.order_by().values(group_key=F(group_field)).annotate(**aggregates):
        key = row.pop("group_key")
        out[key] = {k: v or 0 for k, v in row.items()}
    return out


# --- the querysets of each block --------------------------------------------------------------------


def _lead_cohort(ctx: _Ctx) -> QuerySet:
    return Lead.objects.filter(ctx.in_period("created_at"))


def _lead_aggregates(ctx: _Ctx) -> dict:
    has_handoff = Exists(Handoff.objects.filter(lead_id=OuterRef("pk"), created_at__lte=ctx.as_of))
    touched = Q(first_touch_at__isnull=False, first_touch_at__lte=ctx.as_of)
    speed_pop = touched & Q(direction=Lead.Direction.INBOUND)
    return {
        "leads": _count(),
        "leads_mql": _count(Q(has_handoff)),
        "leads_touched": _count(touched),
        "stl_n": _count(speed_pop),
        "stl_within": _count(
            speed_pop & Q(stl_micros__lte=K.SPEED_TO_LEAD_TARGET_MINUTES * K.MICROS_PER_MINUTE)
        ),
    }


def _with_speed(qs: QuerySet) -> QuerySet:
    return qs.annotate(stl_micros=ElapsedMicros(F("first_touch_at"), F("created_at")))


def _speed_population(ctx: _Ctx) -> QuerySet:
    return _with_speed(_lead_cohort(ctx)).filter(
        direction=Lead.Direction.INBOUND, first_touch_at__isnull=False, first_touch_at__lte=ctx.as_of
    )


def _first_handoffs(ctx: _Ctx) -> QuerySet:
    """Handoffs that open their lead cycle's MQL (no earlier handoff of the same lead and cycle)."""
    earlier = Handoff.objects.filter(lead_id=OuterRef("lead_id"), cycle=OuterRef("cycle")).filter(
        Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
    )
    return Handoff.objects.filter(ctx.in_period("created_at")).filter(~Exists(earlier))


def _mql_aggregates(ctx: _Ctx) -> dict:
    accepted = Exists(
        Handoff.objects.filter(
            lead_id=OuterRef("lead_id"), cycle=OuterRef("cycle"), status=ACCEPTED, decided_at__lte=ctx.as_of
        )
    )
    return {"mqls": _count(), "mql_accepted": _count(Q(accepted))}


def _handoff_aggregates(ctx: _Ctx) -> dict:
    in_sla = Q(status__in=(ACCEPTED, REJECTED), decided_at__lte=ctx.as_of) & Q(decided_at__lte=F("due_at"))
    return {"handoffs": _count(), "handoffs_in_sla": _count(in_sla)}


def _sqls(ctx: _Ctx) -> QuerySet:
    return Handoff.objects.filter(ctx.in_period("decided_at"), status=ACCEPTED)


def _sql_aggregates(ctx: _Ctx) -> dict:
    window = K.SQL_TO_OPP_WINDOW_DAYS * K.MICROS_PER_DAY
    opp = Opportunity.objects.filter(handoff_id=OuterRef("pk"), created_at__lte=ctx.as_of).annotate(
        since_accept=ElapsedMicros(F("created_at"), OuterRef("decided_at"))
    )
    return {"sqls": _count(), "sqls_with_opp": _count(Q(Exists(opp.filter(since_accept__lte=window))))}


def _touch_aggregates() -> dict:
    ch, oc = Touch.Channel, Touch.Outcome
    out = Q(direction=OUT)
    sends = out & Q(channel__in=(ch.EMAIL, ch.MESSAGE))
    attempts = out & Q(channel__in=(ch.CALL, ch.EMAIL, ch.MESSAGE))
    return {
        "touches": _count(out),
        "calls": _count(out & Q(channel=ch.CALL)),
        "emails": _count(out & Q(channel=ch.EMAIL)),
        "messages": _count(out & Q(channel=ch.MESSAGE)),
        "meetings_booked": _count(Q(channel=ch.MEETING, outcome=oc.BOOKED)),
        "meetings_held": _count(Q(channel=ch.MEETING, outcome=oc.HELD)),
        "sends": _count(sends),
        # A reply is usually logged as an inbound touch; an outbound one marked "replied" counts too.
        "replies": _count(Q(channel__in=(ch.EMAIL, ch.MESSAGE), outcome=oc.REPLIED)),
        "attempts": _count(attempts),
        "meaningful": _count(Q(channel__in=(ch.CALL, ch.EMAIL, ch.MESSAGE), meaningful=True)),
    }


def _credit_q(ctx: _Ctx) -> Q:
    """The SDR credit rule (spec §4.7), as known at as_of, on an Opportunity queryset annotated by _credit_annotate."""
    withdrawn = Q(stage__kind=LOST, closed_at__isnull=False, closed_at__lte=ctx.as_of) & Q(
        open_micros__lte=K.WITHDRAW_WINDOW_DAYS * K.MICROS_PER_DAY
    )
    return (
        Q(handoff__status=ACCEPTED, handoff__decided_at__lte=ctx.as_of)
        & Q(since_accept__lte=K.CREDIT_WINDOW_DAYS * K.MICROS_PER_DAY)
        & ~withdrawn
    )


def _credit_annotate(qs: QuerySet) -> QuerySet:
    return qs.annotate(
        since_accept=ElapsedMicros(F("created_at"), F("handoff__decided_at")),
        open_micros=ElapsedMicros(F("closed_at"), F("created_at")),
    )


def _opps_created(ctx: _Ctx) -> QuerySet:
    return Opportunity.objects.filter(ctx.in_period("created_at"))


def _stage2_ids() -> list[int] | None:
    """Stages that mean "reached stage 2": the second open stage by position, later open stages, won stages."""
    stages = list(Stage.objects.order_by("position", "id").values_list("id", "position", "kind", "active"))
    active_open = [(pos, sid) for sid, pos, kind, active in stages if kind == OPEN and active]
    if len(active_open) < 2:
        return None
    second = active_open[1]
    return [sid for sid, pos, kind, _ in stages if kind == WON or (kind == OPEN and (pos, sid) >= second)]


def _opp_created_aggregates(ctx: _Ctx, stage2: list[int] | None) -> dict:
    aggregates = {"opps": _count(), "pipeline_cents": _sum_cents()}
    if stage2 is not None:
        reached = StageChange.objects.filter(
            opportunity_id=OuterRef("pk"), to_stage_id__in=stage2, changed_at__lte=ctx.as_of
        )
        aggregates["stage2"] = _count(Q(Exists(reached)))
    return aggregates


def _opps_closed(ctx: _Ctx) -> QuerySet:
    return _credit_annotate(
        Opportunity.objects.filter(ctx.in_period("closed_at"), stage__kind__in=(WON, LOST))
    )


def _closed_aggregates(ctx: _Ctx) -> dict:
    won = Q(stage__kind=WON)
    return {
        "won": _count(won),
        "lost": _count(Q(stage__kind=LOST)),
        "bookings_cents": _sum_cents(won),
        "credited_bookings_cents": _sum_cents(won & _credit_q(ctx)),
    }


def _clocks_decided(ctx: _Ctx) -> QuerySet:
    """SLA clocks whose outcome was decided in the period, as known at as_of (``K.SLA_DECIDED``).

    ``decided_at`` is a CASE over the stored instants; the OR of plain ranges before it only narrows
    the rows (the decision instant is always one of stopped_at, due_at, breached_at).
    """
    at = ctx.as_of
    stopped = Q(stopped_at__isnull=False, stopped_at__lte=at)
    still_open = (Q(stopped_at__isnull=True) | Q(stopped_at__gt=at)) & Q(started_at__lte=at)
    paused = Q(state=PAUSED, paused_at__isnull=False, paused_at__lte=at)
    decided_at = Case(
        When(stopped & Q(state=MET), then=F("stopped_at")),
        When(stopped & Q(state=MISSED), then=Least(F("stopped_at"), F("due_at"))),
        When(still_open & paused & Q(breached_at__isnull=False, breached_at__lte=at), then=F("breached_at")),
        When(still_open & paused, then=Value(None, output_field=DateTimeField())),
        When(still_open & Q(due_at__lte=at), then=F("due_at")),
        default=Value(None, output_field=DateTimeField()),
        output_field=DateTimeField(),
    )
    near = Q()
    for field in ("stopped_at", "due_at", "breached_at"):
        near |= Q(**{f"{field}__gte": ctx.lo, f"{field}__lt": ctx.hi})
    return Clock.objects.filter(near).alias(decided_at=decided_at).filter(ctx.in_period("decided_at"))


def _sla_met(ctx: _Ctx) -> Q:
    """On _clocks_decided rows: met (every other row is a miss)."""
    return Q(state=MET, stopped_at__lte=ctx.as_of)


def _sla_aggregates(ctx: _Ctx) -> dict:
    at = ctx.as_of
    met = _sla_met(ctx)
    stopped_miss = Q(state=MISSED, stopped_at__lte=at)
    against = stopped_miss & Q(outcome__counts_against=True)
    # Open at as_of and already breached: the sweep struck it when it found the breach.
    breached_open = (Q(stopped_at__isnull=True) | Q(stopped_at__gt=at)) & Q(breached_at__lte=at)
    aggregates = {
        "sla_decided": _count(),
        "sla_met": _count(met),
        "sla_missed_stopped": _count(stopped_miss),
        "sla_missed_against": _count(against),
        "sla_strikes": _count((against | breached_open) & Q(policy__key=K.ACCEPTANCE_POLICY)),
    }
    for key in K.SLA_POLICY_KEYS:
        aggregates[f"sla_decided__{key}"] = _count(Q(policy__key=key))
        aggregates[f"sla_met__{key}"] = _count(met & Q(policy__key=key))
    return aggregates


def sla_compliance_counts(lo: datetime, hi: datetime, *, as_of: datetime,
                          rep_ids: set[int] | None = None) -> dict[str, dict[str, int]]:  # fmt: skip
    """``{policy key: {"met", "decided"}}``: the clocks of ``rep_ids`` (their user) decided in [lo, hi)
    as known at ``as_of`` — the sla_compliance definition of kpi_report over any two instants (the SLA
    panel's "last 30 days"). One query."""
    ctx = _Ctx(lo, hi, as_of, set(rep_ids) if rep_ids is not None else None, by_rep=False)
    qs = ctx.restrict(_clocks_decided(ctx), "user_id")
    return _grouped(qs, "policy__key", {"decided": _count(), "met": _count(_sla_met(ctx))})


# --- percentiles ------------------------------------------------------------------------------------

PERCENTILES = {"p50": K.MEDIAN, "p90": K.P90}


def _percentile_sql(branches: list[tuple[str, QuerySet]]) -> tuple[str, list] | None:
    """One query: for each (series, group) the den-scaled percentiles of ``val`` (see core.kpis).

    Each branch is a queryset with the columns ``grp`` and ``val`` (an integer). None when every
    branch is empty by construction (e.g. an empty rep_ids).
    """
    parts, params = [], []
    for name, qs in branches:
        try:
            sql, p = qs.query.sql_with_params()
        except EmptyResultSet:
            continue
        # The series names are constants of this module and the subquery is Django-compiled SQL.
        parts.append(f"SELECT '{name}' AS series, b.grp AS grp, b.val AS val FROM ({sql}) b")  # noqa: S608
        params.extend(p)
    if not parts:
        return None
    union = " UNION ALL ".join(parts)
    picks, finals = [], []
    for key, (num, den) in PERCENTILES.items():
        h = f"((n - 1) * {num})"
        picks.append(f"MAX(CASE WHEN rn = 1 + {h} / {den} THEN val END) AS {key}_lo")
        picks.append(f"MAX(CASE WHEN rn = 1 + ({h} + {den - 1}) / {den} THEN val END) AS {key}_hi")
        picks.append(f"{h} - ({h} / {den}) * {den} AS {key}_k")
        finals.append(f"{key}_lo * {den} + ({key}_hi - {key}_lo) * {key}_k AS {key}")
    # Only integers and identifiers of this module are interpolated.
    sql = (
        f"SELECT series, grp, n, {', '.join(finals)} FROM ("  # noqa: S608
        f" SELECT series, grp, n, {', '.join(picks)} FROM ("
        f"  SELECT series, grp, val,"
        f"   ROW_NUMBER() OVER (PARTITION BY series, grp ORDER BY val) AS rn,"
        f"   COUNT(*) OVER (PARTITION BY series, grp) AS n"
        f"  FROM ({union}) u"
        f" ) r GROUP BY series, grp, n"
        f") s"
    )
    return sql, params


def _percentiles(ctx: _Ctx, series: dict[str, tuple[QuerySet, str, str]], grouped: bool) -> dict:
    """{(series, group): {"p50": scaled, "p90": scaled}}; group is 0 for the whole report."""
    branches = []
    for name, (qs, rep_field, val_field) in series.items():
        qs = ctx.restrict(qs, rep_field).order_by()
        grp = F(rep_field) if grouped else Value(0, output_field=IntegerField())
        branches.append((name, qs.values(grp=grp, val=F(val_field))))
    compiled = _percentile_sql(branches)
    out: dict = {}
    if compiled is None:
        return out
    sql, params = compiled
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for name, grp, _n, *values in cursor.fetchall():
            out[(name, grp)] = {key: int(v) for key, v in zip(PERCENTILES, values, strict=True)}
    return out


# --- composing the numbers --------------------------------------------------------------------------


def _compose(raw: dict, stage2_defined: bool) -> dict:
    g = raw.get

    def n(key: str) -> int:
        return int(g(key) or 0)

    def pct(series: str, key: str) -> int | None:
        return (g("percentiles") or {}).get(series, {}).get(key)

    den50, den90 = K.MEDIAN[1], K.P90[1]
    values = {
        "leads": n("leads"),
        "mqls": n("mqls"),
        "mql_rate": K.safe_rate(n("leads_mql"), n("leads")),
        "follow_up_rate": K.safe_rate(n("leads_touched"), n("leads")),
        "speed_to_lead_median_min": K.scaled_micros_to(pct("stl", "p50"), den50, K.MICROS_PER_MINUTE),
        "speed_to_lead_p90_min": K.scaled_micros_to(pct("stl", "p90"), den90, K.MICROS_PER_MINUTE),
        "speed_to_lead_within_5min": K.safe_rate(n("stl_within"), n("stl_n")),
        "touches": n("touches"),
        "calls": n("calls"),
        "emails": n("emails"),
        "messages": n("messages"),
        "meetings_booked": n("meetings_booked"),
        "meetings_held": n("meetings_held"),
        "reply_rate": K.safe_rate(n("replies"), n("sends")),
        "meaningful_conversation_rate": K.safe_rate(n("meaningful"), n("attempts")),
        "sqls": n("sqls"),
        "mql_to_sql_rate": K.safe_rate(n("mql_accepted"), n("mqls")),
        "acceptance_within_sla_rate": K.safe_rate(n("handoffs_in_sla"), n("handoffs")),
        "sql_to_opp_rate": K.safe_rate(n("sqls_with_opp"), n("sqls")),
        "opps_created": n("opps"),
        "opps_per_mql": K.safe_rate(n("sdr_opps"), n("mqls")),
        "pipeline_created": K.money(n("pipeline_cents")),
        "pipeline_per_opp": K.money_per(n("pipeline_cents"), n("opps")),
        "won": n("won"),
        "bookings": K.money(n("bookings_cents")),
        "asp": K.money_per(n("bookings_cents"), n("won")),
        "win_rate": K.safe_rate(n("won"), n("won") + n("lost")),
        "sales_cycle_median_days": K.scaled_micros_to(pct("cycle", "p50"), den50, K.MICROS_PER_DAY),
        "stage2_reach_rate": K.safe_rate(n("stage2"), n("opps")) if stage2_defined else None,
        "sdr_sourced_opps": n("sdr_sourced_opps"),
        "sdr_sourced_bookings": K.money(n("sdr_sourced_cents")),
        "sdr_sourced_bookings_share": K.safe_rate(n("credited_bookings_cents"), n("bookings_cents")),
        "sla_compliance": K.safe_rate(n("sla_met"), n("sla_decided")),
        **{
            f"sla_compliance_{key}": K.safe_rate(n(f"sla_met__{key}"), n(f"sla_decided__{key}"))
            for key in K.SLA_POLICY_KEYS
        },
        "sla_strikes": n("sla_strikes"),
        "sla_system_delay_share": K.safe_rate(
            n("sla_missed_stopped") - n("sla_missed_against"), n("sla_missed_stopped")
        ),
        "suspensions": n("suspensions"),
    }
    return {key: values[key] for key in K.KEYS}


def _empty_source(label: str) -> dict:
    return {"label": label, "leads": 0, "mqls": 0, "leads_mql": 0, "leads_opp": 0, "mql_accepted": 0, "won": 0,
            "won_cents": 0, "sla_decided": 0, "sla_met": 0}  # fmt: skip


def _by_source(ctx: _Ctx) -> dict:
    labels = dict(Source.choices)
    has_handoff = Exists(Handoff.objects.filter(lead_id=OuterRef("pk"), created_at__lte=ctx.as_of))
    has_opp = Exists(Opportunity.objects.filter(lead_id=OuterRef("pk"), created_at__lte=ctx.as_of))
    leads = _grouped(
        ctx.restrict(_lead_cohort(ctx), "owner_id"), "source",
        {"leads": _count(), "leads_mql": _count(Q(has_handoff)), "leads_opp": _count(Q(has_opp))},
    )  # fmt: skip
    mqls = _grouped(ctx.restrict(_first_handoffs(ctx), "sdr_id"), "lead__source", _mql_aggregates(ctx))
    won = _grouped(
        ctx.restrict(Opportunity.objects.filter(ctx.in_period("closed_at"), stage__kind=WON), "owner_id"),
        "lead__source", {"won": _count(), "won_cents": _sum_cents()},
    )  # fmt: skip
    sla = _grouped(
        ctx.restrict(_clocks_decided(ctx), "user_id"), "lead__source",
        {"sla_decided": _count(), "sla_met": _count(_sla_met(ctx))},
    )  # fmt: skip
    raw: dict = {}
    for part in (leads, mqls, won, sla):
        for source, values in part.items():
            raw.setdefault(source, _empty_source(str(labels.get(source, source)))).update(values)
    order = {s: i for i, s in enumerate(Source.values)}
    out = {}
    for source in sorted(raw, key=lambda s: (order.get(s, len(order)), s)):
        r = raw[source]
        out[source] = {
            "label": r["label"],
            "leads": r["leads"],
            "mqls": r["mqls"],
            "mql_rate": K.safe_rate(r["leads_mql"], r["leads"]),
            "acceptance_rate": K.safe_rate(r["mql_accepted"], r["mqls"]),
            "opportunity_rate": K.safe_rate(r["leads_opp"], r["leads"]),
            "won": r["won"],
            "won_revenue": K.money(r["won_cents"]),
            "sla_compliance": K.safe_rate(r["sla_met"], r["sla_decided"]),
        }
    return out


def _rep_rows(rep_ids: set[int] | None, active_ids: set, stage2_defined: bool, per_rep: dict) -> list[dict]:
    ids = set(active_ids) | set(per_rep)
    if rep_ids is not None:
        ids &= rep_ids
    users = {u["id"]: u for u in User.objects.filter(pk__in=ids).values("id", "username", "display_name")}
    roles: dict[int, list[str]] = {}
    for user_id, role in (
        RoleAssignment.objects.filter(user_id__in=ids).order_by("role").values_list("user_id", "role")
    ):
        roles.setdefault(user_id, []).append(role)
    rows = []
    for uid in sorted(users, key=lambda i: (users[i]["username"], i)):
        u = users[uid]
        rows.append({
            "user_id": uid, "username": u["username"], "name": u["display_name"] or u["username"],
            "roles": roles.get(uid, []), "kpis": _compose(per_rep.get(uid, {}), stage2_defined),
        })  # fmt: skip
    return rows


def kpi_report(start: date, end: date, *, as_of: datetime | None = None, by_rep: bool = False,
               rep_ids: set[int] | None = None) -> dict:  # fmt: skip
    """The KPIs of the period [start, end) in the organisation's time zone, as known at ``as_of``.

    ``by_rep`` adds per-rep cuts; ``rep_ids`` restricts every KPI to the work of those reps (see the
    module docstring for who a KPI is attributed to). The by_rep rows are the active users holding a
    rep role (SDR, BDR, AE, AM), plus anyone with attributed work in the report, limited to ``rep_ids``;
    sorted by username. A naive ``as_of`` is read in the organisation's time zone. Output::

        {"period": {"from", "to", "as_of", "timezone", "start_utc", "end_utc", "complete", "cohort_age_days"},
         "currency": "CNY", "kpis": {key: value}, "by_source": {source: {...}},
         "by_rep": [{"user_id", "username", "name", "roles", "kpis": {key: value}}]   # only with by_rep}
    """
    if end <= start:
        raise InvalidInput(
            "the period end must be after its start", details={"fields": {"to": "must be after from"}}
        )
    settings = OrgSettings.get()
    tz = ZoneInfo(settings.timezone)
    lo, hi = K.period_bounds(start, end, tz)
    as_of = as_of or clock.now()
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=tz)
    as_of = as_of.astimezone(UTC)
    rep_ids = set(rep_ids) if rep_ids is not None else None
    ctx = _Ctx(lo, hi, as_of, rep_ids, by_rep)

    stage2 = _stage2_ids()
    total: dict = {}
    per_rep: dict = {}

    leads = _with_speed(_lead_cohort(ctx))
    _run_block(ctx, leads, "owner_id", _lead_aggregates(ctx), total, per_rep)
    _run_block(ctx, _first_handoffs(ctx), "sdr_id", _mql_aggregates(ctx), total, per_rep)
    handoffs = Handoff.objects.filter(ctx.in_period("created_at"))
    _run_block(ctx, handoffs, "ae_id", _handoff_aggregates(ctx), total, per_rep)
    _run_block(ctx, _sqls(ctx), "sdr_id", _sql_aggregates(ctx), total, per_rep)
    touches = Touch.objects.filter(ctx.in_period("occurred_at"))
    _run_block(ctx, touches, "user_id", _touch_aggregates(), total, per_rep)
    _run_block(ctx, _opps_created(ctx), "owner_id", _opp_created_aggregates(ctx, stage2), total, per_rep)
    sdr_created = {"sdr_opps": _count(), "sdr_sourced_opps": _count(_credit_q(ctx))}
    _run_block(ctx, _credit_annotate(_opps_created(ctx)), "sdr_id", sdr_created, total, per_rep)
    closed = _opps_closed(ctx)
    _run_block(ctx, closed, "owner_id", _closed_aggregates(ctx), total, per_rep)
    sdr_closed = {"sdr_sourced_cents": _sum_cents(Q(stage__kind=WON) & _credit_q(ctx))}
    _run_block(ctx, closed, "sdr_id", sdr_closed, total, per_rep)
    _run_block(ctx, _clocks_decided(ctx), "user_id", _sla_aggregates(ctx), total, per_rep)
    penalties = Penalty.objects.filter(ctx.in_period("started_at"))
    _run_block(ctx, penalties, "user_id", {"suspensions": _count()}, total, per_rep)

    series = {
        "stl": (_speed_population(ctx), "owner_id", "stl_micros"),
        "cycle": (
            Opportunity.objects.filter(ctx.in_period("closed_at"), stage__kind=WON).annotate(
                cycle_micros=ElapsedMicros(F("closed_at"), F("created_at"))
            ),
            "owner_id",
            "cycle_micros",
        ),
    }
    pct = _percentiles(ctx, series, grouped=False)
    total["percentiles"] = {name: pct.get((name, 0), {}) for name in series}
    if by_rep:
        for (name, grp), values in _percentiles(ctx, series, grouped=True).items():
            if grp is not None:
                per_rep.setdefault(grp, {}).setdefault("percentiles", {})[name] = values

    report = {
        "period": {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "as_of": as_of.isoformat(),
            "timezone": settings.timezone,
            "start_utc": lo.isoformat(),
            "end_utc": hi.isoformat(),
            "complete": as_of >= hi,
            "cohort_age_days": round(max(0.0, (as_of - hi).total_seconds() / 86400), 2),
        },
        "currency": settings.currency,
        "kpis": _compose(total, stage2 is not None),
        "by_source": _by_source(ctx),
    }
    if by_rep:
        active = set(
            RoleAssignment.objects.filter(role__in=REP_ROLES, user__is_active=True).values_list(
                "user_id", flat=True
            )
        )
        report["by_rep"] = _rep_rows(rep_ids, active, stage2 is not None, per_rep)
    return report
