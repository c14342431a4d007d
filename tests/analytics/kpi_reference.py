"""A slow, obviously correct KPI report: plain ORM rows, Python loops, exact fractions.

It shares nothing with baton.analytics.selectors. From baton.core.kpis it takes only the catalogue's
key order and the output formatting of rates and money (safe_rate, money, money_per), which have
their own tests; percentiles and duration rounding are recomputed here from their definitions.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from math import floor
from zoneinfo import ZoneInfo

from baton.core import kpis as K
from baton.handoffs.models import Handoff
from baton.leads.models import Lead, Source, Touch
from baton.org.models import OrgSettings, RoleAssignment, User
from baton.pipeline.models import Opportunity, Stage, StageChange
from baton.sla.models import Clock, Penalty

MICRO = timedelta(microseconds=1)
REP_ROLES = {"sdr_inbound", "sdr_outbound", "bdr", "ae", "am"}


def micros(delta: timedelta) -> int:
    return delta // MICRO


def type7(values: list[int], p: Fraction) -> Fraction | None:
    """Hyndman & Fan type 7 (linear interpolation between closest ranks), in exact fractions."""
    if not values:
        return None
    xs = sorted(values)
    h = (len(xs) - 1) * p
    i = floor(h)
    if i + 1 >= len(xs):
        return Fraction(xs[i])
    return xs[i] + (h - i) * (xs[i + 1] - xs[i])


def round2(value: Fraction | None, unit: int) -> float | None:
    """value / unit rounded half up to two decimals (values are never negative here)."""
    if value is None:
        return None
    return floor(value / unit * 100 + Fraction(1, 2)) / 100


def cents(amount) -> int:
    return int(amount * 100)


class Reference:
    def __init__(self, start: date, end: date, as_of: datetime):
        settings = OrgSettings.get()
        zone = ZoneInfo(settings.timezone)
        self.lo = datetime(start.year, start.month, start.day, tzinfo=zone).astimezone(UTC)
        self.hi = datetime(end.year, end.month, end.day, tzinfo=zone).astimezone(UTC)
        self.as_of = as_of
        self.leads = list(Lead.objects.all())
        self.touches = list(Touch.objects.all())
        self.handoffs = list(Handoff.objects.all())
        self.opps = list(Opportunity.objects.all())
        self.changes = list(StageChange.objects.all())
        self.stages = {s.pk: s for s in Stage.objects.all()}
        self.clocks = list(Clock.objects.select_related("policy"))
        self.penalties = list(Penalty.objects.all())
        self.users = {u.pk: u for u in User.objects.all()}
        self.roles = defaultdict(list)
        for ra in RoleAssignment.objects.all():
            self.roles[ra.user_id].append(ra.role)

        self.lead_by_id = {lead.pk: lead for lead in self.leads}
        self.handoff_by_id = {h.pk: h for h in self.handoffs}
        self.first_out = {}
        for t in self.touches:
            if t.direction == "outbound":
                prev = self.first_out.get(t.lead_id)
                self.first_out[t.lead_id] = t.occurred_at if prev is None else min(prev, t.occurred_at)
        open_active = sorted(
            (s.position, s.pk) for s in self.stages.values() if s.kind == "open" and s.active
        )
        self.stage2 = None
        if len(open_active) >= 2:
            second = open_active[1]
            self.stage2 = {
                s.pk for s in self.stages.values()
                if s.kind == "won" or (s.kind == "open" and (s.position, s.pk) >= second)
            }  # fmt: skip

    # --- predicates ---

    def in_p(self, t) -> bool:
        return t is not None and self.lo <= t < self.hi and t <= self.as_of

    def known(self, t) -> bool:
        return t is not None and t <= self.as_of

    def kind(self, opp) -> str:
        return self.stages[opp.stage_id].kind

    def first_handoffs(self) -> list:
        firsts = {}
        for h in self.handoffs:
            key = (h.lead_id, h.cycle)
            if key not in firsts or (h.created_at, h.pk) < (firsts[key].created_at, firsts[key].pk):
                firsts[key] = h
        return list(firsts.values())

    def credited(self, opp) -> bool:
        h = self.handoff_by_id.get(opp.handoff_id)
        if h is None or h.status != "accepted" or not self.known(h.decided_at):
            return False
        if opp.created_at - h.decided_at > timedelta(days=45):
            return False
        withdrawn = (
            self.kind(opp) == "lost" and self.known(opp.closed_at)
            and opp.closed_at - opp.created_at <= timedelta(days=14)
        )  # fmt: skip
        return not withdrawn

    def sla_decision(self, c) -> tuple[str, datetime] | None:
        """(met or missed, when it was decided) as known at as_of; None: not decided, or cancelled."""
        stopped = c.stopped_at is not None and c.stopped_at <= self.as_of
        if stopped:
            if c.state == "met":
                return "met", c.stopped_at
            if c.state == "missed":
                return "missed", min(c.stopped_at, c.due_at)  # a miss is decided when the time runs out
            return None  # cancelled
        if c.started_at > self.as_of:
            return None  # did not exist yet
        # Open at as_of (perhaps stopped or cancelled later).
        if c.state == "paused" and c.paused_at is not None and c.paused_at <= self.as_of:
            if c.breached_at is not None and c.breached_at <= self.as_of:
                return "missed", c.breached_at
            return None  # a paused clock does not run out
        if c.due_at <= self.as_of:
            return "missed", c.due_at
        return None

    def sla_decided(self) -> list[tuple[object, str]]:
        out = []
        for c in self.clocks:
            decision = self.sla_decision(c)
            if decision is not None and self.in_p(decision[1]):
                out.append((c, decision[0]))
        return out

    def stopped_miss(self, c) -> bool:
        return c.state == "missed" and c.stopped_at is not None and c.stopped_at <= self.as_of

    # --- populations, each with its rep ---

    def populations(self) -> dict[str, list[tuple[object, int | None]]]:
        return {
            "lead_cohort": [(lead, lead.owner_id) for lead in self.leads if self.in_p(lead.created_at)],
            "mqls": [(h, h.sdr_id) for h in self.first_handoffs() if self.in_p(h.created_at)],
            "handoffs": [(h, h.ae_id) for h in self.handoffs if self.in_p(h.created_at)],
            "sqls": [
                (h, h.sdr_id) for h in self.handoffs if h.status == "accepted" and self.in_p(h.decided_at)
            ],
            "touches": [(t, t.user_id) for t in self.touches if self.in_p(t.occurred_at)],
            "created_owner": [(o, o.owner_id) for o in self.opps if self.in_p(o.created_at)],
            "created_sdr": [(o, o.sdr_id) for o in self.opps if self.in_p(o.created_at)],
            "closed_owner": [
                (o, o.owner_id)
                for o in self.opps
                if self.in_p(o.closed_at) and self.kind(o) in ("won", "lost")
            ],
            "closed_sdr": [
                (o, o.sdr_id) for o in self.opps if self.in_p(o.closed_at) and self.kind(o) in ("won", "lost")
            ],
            "sla_decided": [((c, verdict), c.user_id) for c, verdict in self.sla_decided()],
            "penalties": [(p, p.user_id) for p in self.penalties if self.in_p(p.started_at)],
        }

    def kpis(self, keep) -> dict:
        pops = {name: [item for item, rep in rows if keep(rep)] for name, rows in self.populations().items()}
        rate = K.safe_rate

        cohort = pops["lead_cohort"]
        mql_leads = {h.lead_id for h in self.handoffs if self.known(h.created_at)}
        touched = [lead for lead in cohort if self.known(self.first_out.get(lead.pk))]
        speed = [
            micros(self.first_out[lead.pk] - lead.created_at)
            for lead in touched
            if lead.direction == "inbound"
        ]

        mqls = pops["mqls"]
        accepted_cycles = {
            (h.lead_id, h.cycle) for h in self.handoffs if h.status == "accepted" and self.known(h.decided_at)
        }
        handoffs = pops["handoffs"]
        in_sla = [
            h for h in handoffs
            if h.status in ("accepted", "rejected") and self.known(h.decided_at) and h.decided_at <= h.due_at
        ]  # fmt: skip
        sqls = pops["sqls"]
        opp_by_handoff = {o.handoff_id: o for o in self.opps if o.handoff_id}

        def sql_has_opp(h) -> bool:
            o = opp_by_handoff.get(h.pk)
            return (
                o is not None
                and self.known(o.created_at)
                and o.created_at - h.decided_at <= timedelta(days=45)
            )

        t = pops["touches"]
        out = [x for x in t if x.direction == "outbound"]
        sends = [x for x in out if x.channel in ("email", "message")]
        attempts = [x for x in out if x.channel in ("call", "email", "message")]

        created = pops["created_owner"]
        pipeline = sum(cents(o.amount) for o in created)
        reached = 0
        for o in created:
            if any(
                c.opportunity_id == o.pk and self.known(c.changed_at) and c.to_stage_id in (self.stage2 or ())
                for c in self.changes
            ):
                reached += 1
        closed = pops["closed_owner"]
        won = [o for o in closed if self.kind(o) == "won"]
        lost = [o for o in closed if self.kind(o) == "lost"]
        bookings = sum(cents(o.amount) for o in won)
        credited_bookings = sum(cents(o.amount) for o in won if self.credited(o))
        sdr_won = [o for o in pops["closed_sdr"] if self.kind(o) == "won" and self.credited(o)]
        cycle = [micros(o.closed_at - o.created_at) for o in won]

        values = {
            "leads": len(cohort),
            "mqls": len(mqls),
            "mql_rate": rate(sum(1 for lead in cohort if lead.pk in mql_leads), len(cohort)),
            "follow_up_rate": rate(len(touched), len(cohort)),
            "speed_to_lead_median_min": round2(type7(speed, Fraction(1, 2)), 60_000_000),
            "speed_to_lead_p90_min": round2(type7(speed, Fraction(9, 10)), 60_000_000),
            "speed_to_lead_within_5min": rate(sum(1 for s in speed if s <= 300_000_000), len(speed)),
            "touches": len(out),
            "calls": sum(1 for x in out if x.channel == "call"),
            "emails": sum(1 for x in out if x.channel == "email"),
            "messages": sum(1 for x in out if x.channel == "message"),
            "meetings_booked": sum(1 for x in t if x.channel == "meeting" and x.outcome == "booked"),
            "meetings_held": sum(1 for x in t if x.channel == "meeting" and x.outcome == "held"),
            "reply_rate": rate(
                sum(1 for x in t if x.channel in ("email", "message") and x.outcome == "replied"), len(sends)
            ),
            "meaningful_conversation_rate": rate(
                sum(1 for x in t if x.channel in ("call", "email", "message") and x.meaningful), len(attempts)
            ),
            "sqls": len(sqls),
            "mql_to_sql_rate": rate(
                sum(1 for h in mqls if (h.lead_id, h.cycle) in accepted_cycles), len(mqls)
            ),
            "acceptance_within_sla_rate": rate(len(in_sla), len(handoffs)),
            "sql_to_opp_rate": rate(sum(1 for h in sqls if sql_has_opp(h)), len(sqls)),
            "opps_created": len(created),
            "opps_per_mql": rate(len(pops["created_sdr"]), len(mqls)),
            "pipeline_created": K.money(pipeline),
            "pipeline_per_opp": K.money_per(pipeline, len(created)),
            "won": len(won),
            "bookings": K.money(bookings),
            "asp": K.money_per(bookings, len(won)),
            "win_rate": rate(len(won), len(won) + len(lost)),
            "sales_cycle_median_days": round2(type7(cycle, Fraction(1, 2)), 86_400_000_000),
            "stage2_reach_rate": rate(reached, len(created)) if self.stage2 is not None else None,
            "sdr_sourced_opps": sum(1 for o in pops["created_sdr"] if self.credited(o)),
            "sdr_sourced_bookings": K.money(sum(cents(o.amount) for o in sdr_won)),
            "sdr_sourced_bookings_share": rate(credited_bookings, bookings),
        }
        decided = pops["sla_decided"]
        met = [c for c, verdict in decided if verdict == "met"]
        values["sla_compliance"] = rate(len(met), len(decided))
        for key in ("speed_to_lead", "acceptance", "director_dispatch", "manager_feedback"):
            values[f"sla_compliance_{key}"] = rate(
                sum(1 for c in met if c.policy.key == key), sum(1 for c, _ in decided if c.policy.key == key)
            )
        stopped_misses = [c for c, verdict in decided if verdict == "missed" and self.stopped_miss(c)]
        against = [c for c in stopped_misses if c.outcome.get("counts_against") is True]
        struck_open = [  # open at as_of, breached by then: the sweep struck it
            c for c, verdict in decided
            if verdict == "missed" and not (c.stopped_at is not None and c.stopped_at <= self.as_of)
            and c.breached_at is not None and c.breached_at <= self.as_of
        ]  # fmt: skip
        values["sla_strikes"] = sum(1 for c in against + struck_open if c.policy.key == "acceptance")
        values["sla_system_delay_share"] = rate(len(stopped_misses) - len(against), len(stopped_misses))
        values["suspensions"] = len(pops["penalties"])
        assert set(values) == set(K.KEYS)
        return values

    def by_source(self, keep) -> dict:
        labels = dict(Source.choices)
        cohort = [lead for lead in self.leads if self.in_p(lead.created_at) and keep(lead.owner_id)]
        mqls = [h for h in self.first_handoffs() if self.in_p(h.created_at) and keep(h.sdr_id)]
        won = [
            o for o in self.opps
            if self.in_p(o.closed_at) and self.kind(o) == "won" and keep(o.owner_id)
        ]  # fmt: skip
        clocks = [(c, verdict) for c, verdict in self.sla_decided() if keep(c.user_id)]
        mql_leads = {h.lead_id for h in self.handoffs if self.known(h.created_at)}
        opp_leads = {o.lead_id for o in self.opps if self.known(o.created_at)}
        accepted = {
            (h.lead_id, h.cycle) for h in self.handoffs if h.status == "accepted" and self.known(h.decided_at)
        }
        sources = (
            {lead.source for lead in cohort}
            | {self.lead_by_id[h.lead_id].source for h in mqls}
            | {self.lead_by_id[o.lead_id].source for o in won}
            | {self.lead_by_id[c.lead_id].source for c, _ in clocks}
        )
        out = {}
        for s in [s for s in Source.values if s in sources]:
            ls = [lead for lead in cohort if lead.source == s]
            ms = [h for h in mqls if self.lead_by_id[h.lead_id].source == s]
            ws = [o for o in won if self.lead_by_id[o.lead_id].source == s]
            cs = [verdict for c, verdict in clocks if self.lead_by_id[c.lead_id].source == s]
            out[s] = {
                "label": str(labels[s]),
                "leads": len(ls),
                "mqls": len(ms),
                "mql_rate": K.safe_rate(sum(1 for lead in ls if lead.pk in mql_leads), len(ls)),
                "acceptance_rate": K.safe_rate(
                    sum(1 for h in ms if (h.lead_id, h.cycle) in accepted), len(ms)
                ),
                "opportunity_rate": K.safe_rate(sum(1 for lead in ls if lead.pk in opp_leads), len(ls)),
                "won": len(ws),
                "won_revenue": K.money(sum(cents(o.amount) for o in ws)),
                "sla_compliance": K.safe_rate(cs.count("met"), len(cs)),
            }
        return out

    def report(self, *, rep_ids: set[int] | None = None, by_rep: bool = False) -> dict:
        def keep(rep) -> bool:
            return rep_ids is None or rep in rep_ids

        result = {"kpis": self.kpis(keep), "by_source": self.by_source(keep)}
        if by_rep:
            reps = {
                uid
                for uid, roles in self.roles.items()
                if REP_ROLES & set(roles) and self.users[uid].is_active
            }
            for rows in self.populations().values():
                reps |= {rep for _, rep in rows if rep is not None}
            if rep_ids is not None:
                reps &= rep_ids
            rows = []
            for uid in sorted(reps, key=lambda u: (self.users[u].username, u)):
                user = self.users[uid]
                rows.append({
                    "user_id": uid, "username": user.username, "name": user.display_name or user.username,
                    "roles": sorted(self.roles.get(uid, [])),
                    "kpis": self.kpis(lambda rep, uid=uid: rep == uid),
                })  # fmt: skip
            result["by_rep"] = rows
        return result


def period_utc(start: date, tz: str) -> datetime:
    return datetime.combine(start, time(0), tzinfo=ZoneInfo(tz)).astimezone(UTC)
