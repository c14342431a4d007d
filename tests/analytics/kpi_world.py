"""Random but reproducible sales history, written straight into the tables (bulk_create).

Timestamps are drawn around a period, with a share of them exactly on the edges that matter: the
period bounds, the as-of instant, 5 minutes, 45 days, 14 days, the acceptance due time. SLA clocks
(every state, due and stopped on the edges, a policy of our own besides the built-in ones) and
penalties come last, so the rest of the history is the same as before they existed.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from baton.handoffs.models import Handoff
from baton.leads.models import Lead, Source, Touch
from baton.org.models import OrgSettings, RoleAssignment, User
from baton.pipeline.models import Opportunity, Stage, StageChange
from baton.sla.models import Clock, Penalty, Policy

SOURCES = [Source.SEO, Source.TRIAL, Source.CHAT, Source.OUTBOUND_LIST, Source.PARTNER]
US = timedelta(microseconds=1)


@dataclass
class World:
    start: date
    end: date
    tz: str
    lo: datetime
    hi: datetime
    as_of: datetime
    users: dict[str, User] = field(default_factory=dict)
    stages: dict[str, Stage] = field(default_factory=dict)


def make_stages() -> dict[str, Stage]:
    """Our own stage set, replacing the default stages the migrations install."""
    Stage.objects.all().delete()
    specs = [
        ("Retired", 0, Stage.Kind.OPEN, False),  # inactive: does not count as the first or second stage
        ("Discovery", 1, Stage.Kind.OPEN, True),
        ("Demo", 2, Stage.Kind.OPEN, True),
        ("Proposal", 3, Stage.Kind.OPEN, True),
        ("Won", 10, Stage.Kind.WON, True),
        ("Lost", 11, Stage.Kind.LOST, True),
    ]
    return {
        name: Stage.objects.create(name=name, position=pos, kind=kind, active=active)
        for name, pos, kind, active in specs
    }


def make_users() -> dict[str, User]:
    specs = {
        "director": ["sales_director"],
        "sdr1": ["sdr_inbound"],
        "sdr2": ["sdr_outbound"],
        "bdr": ["bdr"],
        "ae1": ["ae"],
        "ae2": ["ae"],
        "ae3": ["ae", "sdr_inbound"],  # a vertical rep: does everything
        "gone": ["sdr_inbound"],  # inactive
        "helper": [],  # no role, logs a few touches
    }
    users = {}
    for name, roles in specs.items():
        users[name] = User.objects.create(username=name, display_name=name.title(), is_active=name != "gone")
        RoleAssignment.objects.bulk_create([RoleAssignment(user=users[name], role=r) for r in roles])
    director = users["director"]
    User.objects.filter(username__in=["sdr1", "ae1", "ae2"]).update(manager=director)
    User.objects.filter(username="ae2").update(manager=users["ae1"])  # two levels deep
    return users


def _set_tz(tz: str) -> None:
    settings = OrgSettings.get()
    settings.timezone = tz
    settings.save()


class _Clock:
    """Draws instants, often on the edges that matter."""

    def __init__(self, rnd: random.Random, lo: datetime, hi: datetime, as_of: datetime):
        self.rnd, self.lo, self.hi, self.as_of = rnd, lo, hi, as_of

    def jitter(self) -> timedelta:
        r = self.rnd.random()
        if r < 0.5:
            return timedelta(0)
        if r < 0.7:
            return self.rnd.choice([US, -US])
        return timedelta(microseconds=self.rnd.randrange(1_000_000))

    def instant(self) -> datetime:
        r = self.rnd.random()
        if r < 0.15:
            base = self.rnd.choice([self.lo, self.hi, self.as_of])
            return base + self.rnd.choice([timedelta(0), US, -US])
        if r < 0.3:  # long before: their handoffs' 45-day windows end inside the period
            return self.lo - timedelta(days=60) + timedelta(days=30) * self.rnd.random() + self.jitter()
        span = (self.hi - self.lo) + timedelta(days=30)
        return self.lo - timedelta(days=15) + span * self.rnd.random() + self.jitter()

    def after(self, t: datetime, *, edges: list[timedelta], max_days: float) -> datetime:
        if self.rnd.random() < 0.35:
            return t + self.rnd.choice(edges) + self.rnd.choice([timedelta(0), US, -US])
        return t + timedelta(days=max_days) * self.rnd.random() ** 2 + self.jitter()


def build_world(seed: int, *, tz: str = "UTC", n_leads: int = 240, start: date = date(2024, 3, 4),
                days: int = 14, as_of_offset: timedelta | None = None, base: World | None = None) -> World:  # fmt: skip
    """A world of ``n_leads`` leads; with ``base``, more history on top of that world's users and stages."""
    rnd = random.Random(seed)
    _set_tz(tz)
    zone = ZoneInfo(tz)
    end = start + timedelta(days=days)
    lo = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    hi = datetime.combine(end, time(0), tzinfo=zone).astimezone(UTC)
    if as_of_offset is None:
        as_of_offset = rnd.choice([timedelta(days=-days / 2), timedelta(days=3), timedelta(days=70)])
    as_of = hi + as_of_offset + timedelta(microseconds=rnd.randrange(1_000_000))
    if base is None:
        world = World(start, end, tz, lo, hi, as_of, users=make_users(), stages=make_stages())
    else:
        world = World(start, end, tz, lo, hi, as_of, users=base.users, stages=base.stages)
    clock = _Clock(rnd, lo, hi, as_of)
    users = world.users
    owners = [users[n] for n in ("sdr1", "sdr2", "bdr", "ae3", "gone")] + [None]
    sdrs = [users[n] for n in ("sdr1", "sdr2", "bdr", "ae3", "gone")]
    aes = [users[n] for n in ("ae1", "ae2", "ae3")]
    toucher = [*sdrs, users["helper"], users["ae1"]]

    leads = []
    for i in range(n_leads):
        created = clock.instant()
        leads.append(Lead(
            name=f"Lead {i}", email=f"l{i}@example.com", source=rnd.choice(SOURCES),
            direction=rnd.choice([Lead.Direction.INBOUND] * 3 + [Lead.Direction.OUTBOUND]),
            owner=rnd.choice(owners), created_at=created, status_changed_at=created,
        ))  # fmt: skip
    Lead.objects.bulk_create(leads)

    touches = []
    C, O = Touch.Channel, Touch.Outcome  # noqa: N806, E741
    outcomes = {
        C.CALL: [O.CONNECTED, O.NO_ANSWER, O.VOICEMAIL],
        C.EMAIL: [O.SENT, O.REPLIED, O.AUTO_REPLY, O.BOUNCED],
        C.MESSAGE: [O.SENT, O.REPLIED, O.AUTO_REPLY],
        C.MEETING: [O.BOOKED, O.HELD, O.NO_SHOW],
    }
    speed_edges = [timedelta(minutes=5), timedelta(minutes=1), timedelta(hours=2)]
    for lead in leads:
        first_out = None
        for _ in range(rnd.choice([0, 0, 1, 2, 3, 5])):
            at = clock.after(lead.created_at, edges=speed_edges, max_days=20)
            if rnd.random() < 0.1:
                at = rnd.choice([lo, hi, as_of]) + rnd.choice([timedelta(0), US, -US])
                at = max(at, lead.created_at)
            channel = rnd.choice(list(outcomes))
            direction = Touch.Direction.INBOUND if rnd.random() < 0.15 else Touch.Direction.OUTBOUND
            outcome = rnd.choice(outcomes[channel])
            duration = rnd.choice([0, 60, 119, 120, 600]) if channel == C.CALL else 0
            meaningful = (
                channel == C.CALL and outcome == O.CONNECTED and duration >= 120
            ) or outcome == O.REPLIED
            touches.append(Touch(
                lead=lead, user=rnd.choice(toucher), channel=channel, direction=direction, outcome=outcome,
                duration_seconds=duration, occurred_at=at, recorded_at=at, meaningful=meaningful,
            ))  # fmt: skip
            if direction == Touch.Direction.OUTBOUND and (first_out is None or at < first_out):
                first_out = at
        lead.first_touch_at = first_out
    Touch.objects.bulk_create(touches)
    Lead.objects.bulk_update([lead for lead in leads if lead.first_touch_at], ["first_touch_at"])

    handoffs = []
    for lead in leads:
        if rnd.random() < 0.45:
            continue
        t = clock.after(lead.created_at, edges=[timedelta(hours=1)], max_days=10)
        for cycle in range(1, rnd.choice([2, 2, 2, 3]) + 1):
            for _ in range(rnd.choice([1, 1, 2])):
                if rnd.random() < 0.2:  # handed off right on a period edge
                    t = max(t, rnd.choice([lo, hi, as_of]) + rnd.choice([timedelta(0), US, -US]))
                due = t + timedelta(hours=48)
                status = rnd.choice(
                    [Handoff.Status.ACCEPTED, Handoff.Status.REJECTED, Handoff.Status.PENDING]
                )
                decided = None
                if status != Handoff.Status.PENDING:
                    decided = clock.after(t, edges=[timedelta(hours=48), timedelta(hours=1)], max_days=5)
                handoffs.append(Handoff(
                    lead=lead, cycle=cycle, sdr=rnd.choice(sdrs), ae=rnd.choice(aes), status=status,
                    created_at=t, due_at=due, decided_at=decided,
                ))  # fmt: skip
                t = (decided or t) + timedelta(hours=rnd.choice([0, 1, 30])) + clock.jitter()
            t += timedelta(days=rnd.choice([1, 10, 20]))
        # Only the lead's last handoff may still be pending (one pending handoff per lead).
        mine = [h for h in handoffs if h.lead is lead]
        for h in mine[:-1]:
            if h.status == Handoff.Status.PENDING:
                h.status, h.decided_at = Handoff.Status.REJECTED, h.created_at + timedelta(hours=3)
        if rnd.random() < 0.1 and mine:  # a tie: two handoffs of one cycle at the same instant
            twin = mine[0]
            handoffs.append(Handoff(
                lead=lead, cycle=twin.cycle, sdr=rnd.choice(sdrs), ae=rnd.choice(aes),
                status=Handoff.Status.REJECTED, created_at=twin.created_at, due_at=twin.due_at,
                decided_at=twin.created_at + timedelta(hours=50),
            ))  # fmt: skip
    Handoff.objects.bulk_create(handoffs)

    stages = world.stages
    opps, changes = [], []
    amounts = [
        Decimal("0.00"),
        Decimal("0.01"),
        Decimal("1999.99"),
        Decimal("12345.67"),
        Decimal("250000.50"),
    ]
    accepted = [h for h in handoffs if h.status == Handoff.Status.ACCEPTED]
    credit_edges = [timedelta(days=45), timedelta(days=1), timedelta(days=44)]
    sources = [(h, h.lead) for h in accepted if rnd.random() < 0.75]
    sources += [(None, rnd.choice(leads)) for _ in range(n_leads // 10)]  # opportunities without a handoff
    for handoff, lead in sources:
        base = handoff.decided_at if handoff else lead.created_at
        created = clock.after(base, edges=credit_edges, max_days=60)
        if rnd.random() < 0.1:
            created = max(base, rnd.choice([lo, hi, as_of]) + rnd.choice([timedelta(0), US, -US]))
        owner = handoff.ae if handoff and rnd.random() < 0.85 else rnd.choice(aes)
        sdr = (handoff.sdr if handoff else rnd.choice(sdrs)) if rnd.random() < 0.9 else None
        final = rnd.choice(["Discovery", "Demo", "Proposal", "Won", "Won", "Lost", "Lost"])
        closed = None
        if final in ("Won", "Lost"):
            closed = clock.after(created, edges=[timedelta(days=14)] * 2 + [timedelta(days=3)], max_days=50)
            if rnd.random() < 0.15:
                closed = max(created, rnd.choice([lo, hi, as_of]) + rnd.choice([timedelta(0), US, -US]))
        opp = Opportunity(
            lead=lead, handoff=handoff, owner=owner, sdr=sdr, name=f"Opp {len(opps)}", amount=rnd.choice(amounts),
            stage=stages[final], created_at=created, closed_at=closed,
        )  # fmt: skip
        opps.append(opp)
        path = ["Discovery"]
        for name in ("Retired", "Demo", "Proposal"):
            if rnd.random() < 0.4:
                path.append(name)
        if final != path[-1]:
            path.append(final)
        stamps = sorted(
            created + (((closed or created + timedelta(days=30)) - created) * rnd.random()) for _ in path
        )
        stamps[0] = created
        if closed:
            stamps[-1] = closed
        changes.append((opp, path, stamps))
    Opportunity.objects.bulk_create(opps)
    rows = []
    for opp, path, stamps in changes:
        prev = None
        for name, at in zip(path, stamps, strict=True):
            rows.append(StageChange(opportunity=opp, from_stage=prev, to_stage=stages[name], changed_at=at))
            prev = stages[name]
    StageChange.objects.bulk_create(rows)
    add_sla(rnd, clock, world, leads)
    return world


TARGETS = [
    timedelta(minutes=5),
    timedelta(hours=4),
    timedelta(hours=8),
    timedelta(hours=48),
    timedelta(days=5),
]


def sla_policies() -> list[Policy]:
    """The built-in policies (installed by a migration) and one of our own."""
    Policy.objects.get_or_create(key="custom_callback", defaults={
        "name": "Call back within a day", "start_event": "callback_requested", "stop_events": ["first_touch"],
        "target_seconds": 86400, "business_time": False,
    })  # fmt: skip
    return list(Policy.objects.order_by("key"))


def add_sla(rnd: random.Random, clock: _Clock, world: World, leads: list[Lead]) -> None:
    """Clocks in every state, written directly (not through the engine), keeping the engine's invariants:
    due after start, a stop at or after the start, a breach recorded at the due instant."""
    policies = sla_policies()
    policies += [p for p in policies if p.key == "acceptance"]  # the one with strikes, twice as often
    people = [*world.users.values(), None]
    C = Clock.State  # noqa: N806
    clocks = []
    for lead in leads:
        for _ in range(rnd.choice([0, 1, 1, 2, 3])):
            due = clock.instant()
            started = due - rnd.choice(TARGETS)
            state = rnd.choice([C.RUNNING, C.RUNNING, C.PAUSED, C.MET, C.MET, C.MET, C.MISSED, C.MISSED,
                                C.CANCELLED])  # fmt: skip
            c = Clock(policy=rnd.choice(policies), lead=lead, user=rnd.choice(people), state=state,
                      started_at=started, due_at=due)  # fmt: skip
            if state == C.MET:
                stop = rnd.choice([clock.instant(), due, due - US, started + (due - started) * rnd.random()])
                if not started <= stop <= due and rnd.random() < 0.9:  # now and then met a little late
                    stop = started + (due - started) * rnd.random()
                c.stopped_at = max(started, stop)
                c.outcome = {"met": True, "counts_against": False}
            elif state == C.MISSED:
                stop = rnd.choice([clock.instant(), due + US, due + timedelta(days=3) * rnd.random()])
                if stop < due and rnd.random() < 0.8:  # now and then stopped "missed" before its due time
                    stop = due + (due - stop)
                c.stopped_at = max(started, stop)
                against = rnd.choice([True, True, False, None])
                c.outcome = {"met": False} if against is None else {"met": False, "counts_against": against}
            elif state == C.CANCELLED:
                c.stopped_at = max(started, clock.instant())
            elif state == C.PAUSED:
                c.paused_at = max(started, clock.instant())
            ended = c.stopped_at or c.paused_at
            if (ended is None or ended >= due) and rnd.random() < 0.6:
                c.breached_at = due
            clocks.append(c)
    Clock.objects.bulk_create(clocks)
    penalties = []
    for user in world.users.values():
        for _ in range(rnd.choice([0, 1, 2])):
            started = clock.instant()
            lifted = started + timedelta(days=30) if rnd.random() < 0.5 else None
            penalties.append(Penalty(user=user, started_at=started, until=started + timedelta(days=30),
                                     reason="2 acceptance SLA misses in a row", lifted_at=lifted))  # fmt: skip
    Penalty.objects.bulk_create(penalties)
