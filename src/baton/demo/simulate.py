"""Replay one quarter of a sales-development team through the product's own services.

Every lead, touch, qualification, handoff, decision and opportunity move is a call to the same service
function the web UI and the API use. Each lead's events sit in a queue ordered by (time, sequence) and
run in that order, with the clock frozen at the moment they happen, so the services see a consistent
present: a touch is never in the future, never before its lead existed.

Speed: a day is cut at the SLA sweeps (which see every lead) and run in waves; a wave takes the next
event of every lead, runs them in time order, and hands the wave's captures, touches and status changes
to the bulk services (``leads_capture``, ``touches_log``, ``leads_transition``) in one call each. Leads
do not depend on each other, so one lead's 15:00 event may be written before another's 10:00 event of
the same day; each lead's own story stays in order. People read their notifications after the day's
work, each as of their own moment.

Determinism: the arrivals come from one generator seeded with ``seed``; each lead's own story comes
from a generator seeded with (seed, lead number). The same seed and end time give the same data.
"""

import gc
import hashlib
import heapq
import json
import math
import random
import time as walltime
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum

from baton import clock
from baton.core.errors import DomainError
from baton.core.lifecycle import LeadStatus
from baton.demo import names
from baton.demo.names import Company
from baton.demo.org import Org
from baton.demo.workdays import (
    LOCAL,
    add_office_hours,
    at_work,
    in_office_hours,
    is_workday,
    local,
    next_office_time,
    working_days,
)
from baton.handoffs.models import Handoff
from baton.handoffs.services import handoff_accept, handoff_create, handoff_reject, qualification_update
from baton.leads.models import Lead, Source, Touch
from baton.leads.services import (
    CaptureRequest,
    TouchRequest,
    TransitionRequest,
    leads_capture,
    leads_disqualify,
    leads_transition,
    touches_log,
)
from baton.notifications.models import Notification
from baton.notifications.services import notifications_mark_read
from baton.org.models import OrgSettings, User
from baton.pipeline.models import Opportunity, Stage
from baton.pipeline.services import opportunity_create, opportunity_move
from baton.worker import sweep

QUARTER = timedelta(weeks=13)
GLOBAL_EVENTS = ("sweep",)
SWEEP_AT = time(
    8, 30
)  # local: the daily SLA sweep (the real worker sweeps every 30 s; once a day is enough here)

S = Source
# Channel mix (relative weights). Inbound background traffic, campaign traffic, outbound.
BACKGROUND = {S.SEO: 11, S.SEM: 13, S.HOTLINE: 4, S.CHAT: 8, S.TRIAL: 12, S.SOCIAL_ADS: 8, S.WHITEPAPER: 6,
              S.CASE_STUDY: 3, S.SURVEY: 2, S.VIDEO: 3}  # fmt: skip
CAMPAIGNS = {S.WEBINAR_LEARNING: 7, S.WEBINAR_ACCELERATION: 4, S.EVENT_SUMMIT: 3, S.EVENT_SALON: 2.5,
             S.EVENT_COHOSTED: 1.5, S.EVENT_SPONSORED: 2}  # fmt: skip
OUTBOUND = {S.OUTBOUND_LIST: 12, S.PARTNER: 3}

# Base chance that a lead from this channel is qualified and handed off (before person/company effects).
MQL_BASE = {
    S.TRIAL: 0.27, S.HOTLINE: 0.34, S.CHAT: 0.22, S.WEBINAR_ACCELERATION: 0.22, S.EVENT_SUMMIT: 0.16,
    S.EVENT_SALON: 0.18, S.CASE_STUDY: 0.15, S.SEM: 0.12, S.SEO: 0.11, S.SOCIAL_ADS: 0.06,
    S.WEBINAR_LEARNING: 0.08, S.EVENT_COHOSTED: 0.10, S.EVENT_SPONSORED: 0.07, S.WHITEPAPER: 0.07,
    S.SURVEY: 0.05, S.VIDEO: 0.04, S.OUTBOUND_LIST: 0.09, S.PARTNER: 0.30,
}  # fmt: skip
FAST_CHANNELS = {S.HOTLINE, S.CHAT, S.TRIAL}

# Local-time hour weights for inbound arrivals (web traffic peaks in office hours, a second wave at night).
HOUR_WEIGHTS = [0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 1.2, 2.2, 2.8, 2.6, 1.5, 2.0, 2.7, 2.7, 2.4, 1.8,
                1.1, 0.9, 1.0, 0.9, 0.6, 0.4]  # fmt: skip
WEEKDAY_WEIGHTS = [1.1, 1.15, 1.1, 1.05, 0.9, 0.32, 0.25]

SEARCH_TERMS = ["线索管理系统", "SDR 工具", "销售线索分配", "sales engagement platform", "lead routing software",
                "CRM 线索评分", "销售开发 SaaS"]  # fmt: skip
SEM_DETAILS = [
    "百度推广 · 线索管理",
    "百度推广 · CRM",
    "Google Ads · lead routing",
    "360 搜索推广",
    "必应广告",
]
SOCIAL_DETAILS = ["微信朋友圈广告", "LinkedIn Ads", "抖音信息流", "知乎专栏推广", "微信公众号文章"]
PARTNERS = [
    "渠道伙伴：云桥咨询",
    "渠道伙伴：数智科技服务",
    "Partner: Nimbus Consulting",
    "Partner: Meridian SI",
]
PRODUCTS = ["SDR Cloud 年度订阅", "Lead Routing + SLA", "Enterprise Suite 企业版", "Predictive Scoring 预测评分",
            "全渠道线索管理平台"]  # fmt: skip
INBOUND_NOTES = ["希望了解价格和部署方式", "Interested in a demo for our SDR team", "想看看同行业案例",
                 "我们有 10 个销售，线索分配很混乱", "Do you integrate with our CRM?", "需要私有化部署吗？",
                 "请尽快联系我"]  # fmt: skip


@dataclass
class Summary:
    seed: int
    start: str
    end: str
    leads: int = 0
    inbound: int = 0
    outbound: int = 0
    touches: int = 0
    mqls: int = 0
    sqls: int = 0
    rejected: int = 0
    handoffs_overdue: int = 0
    pending_handoffs: int = 0
    opportunities: int = 0
    won: int = 0
    lost: int = 0
    open_opportunities: int = 0
    bookings: str = "0.00"
    open_pipeline: str = "0.00"
    unread_notifications: int = 0
    status: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed_seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)

    def digest(self) -> str:
        """A fingerprint of the simulated data (everything but the wall time)."""
        data = self.as_dict()
        data.pop("elapsed_seconds")
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(slots=True)
class Arrival:
    at: datetime
    source: str
    detail: str
    creator: User | None  # outbound: the SDR or BDR who created the lead
    segment: tuple[str, str] = ("", "")  # outbound list: (industry, region) of the target accounts
    company: Company | None = None


@dataclass(slots=True)
class LeadSim:
    """A lead's story: the model row plus the simulation's private plans for it."""

    idx: int
    rng: random.Random
    arrival: Arrival
    p_mql: float = 0.0
    lead: Lead | None = None
    sdr: User | None = None
    handoff: Handoff | None = None
    cycles: int = 0


def end_of_demo(now: datetime | None = None) -> datetime:
    """The start of the current hour (UTC): the simulated quarter ends there."""
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _allocate(total: int, weights: dict) -> dict:
    """Split ``total`` by weights (largest remainder), deterministically."""
    wsum = sum(weights.values())
    raw = {k: total * w / wsum for k, w in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: (raw[k] - out[k], str(k)), reverse=True)[: total - sum(out.values())]:
        out[k] += 1
    return out


class Simulation:
    def __init__(self, org: Org, *, seed: int, leads: int, end: datetime, span: timedelta = QUARTER,
                 progress: Callable[[float, datetime, dict], None] | None = None):  # fmt: skip
        if end.tzinfo is None:
            raise ValueError("end must be an aware datetime")
        self.org = org
        self.seed = seed
        self.n = leads
        self.end = end.astimezone(UTC)
        self.start = self.end - span
        self.rng = random.Random(seed)
        self.progress = progress
        self.heap: list = []  # one lead's events (the first argument is its LeadSim)
        self.globals: list = []  # events that see every lead: the SLA sweeps
        self.reads: list = []  # (time, seq, user): someone reads their notifications
        self.seq = 0
        # A wave's batched actions: (request, (time, lead, what to do with the result)).
        self.pending_captures: list = []
        self.pending_touches: list = []
        self.pending_transitions: list = []
        self.pending_disqualifications: list = []
        self.users = {u.pk: u for u in org.users}
        for u in self.users.values():
            u.role_set()  # fill the role cache once: services ask has_role() per call
        open_stages = list(Stage.objects.filter(kind=Stage.Kind.OPEN, active=True).order_by("position"))
        self.open_stages = [s.pk for s in open_stages]
        self.won_stage = (
            Stage.objects.filter(kind=Stage.Kind.WON, active=True).order_by("position").first().pk
        )
        self.lost_stage = (
            Stage.objects.filter(kind=Stage.Kind.LOST, active=True).order_by("position").first().pk
        )
        self.errors: Counter = Counter()
        self.stats = Counter()
        self.companies: list[Company] = []
        self.used_domains: set[str] = set()

    # --- the event queue ----------------------------------------------------------------------

    def push(self, at: datetime, fn: Callable, *args) -> None:
        if at >= self.end:
            return  # the future: left for the live product
        self.seq += 1
        queue = self.globals if fn.__name__ in GLOBAL_EVENTS else self.heap
        heapq.heappush(queue, (at, self.seq, fn, args))

    def run(self) -> None:
        total = (self.end - self.start).total_seconds()
        previous = getattr(clock._state, "frozen", None)
        try:
            while self.heap or self.globals or self.reads:
                first = min(q[0][0] for q in (self.heap, self.globals, self.reads) if q)
                day_end = datetime.combine(local(first).date() + timedelta(days=1), time(0, 0), LOCAL)
                with transaction.atomic():
                    while True:
                        boundary = day_end
                        if self.globals and self.globals[0][0] < day_end:
                            boundary = self.globals[0][0]
                        self._run_until(boundary)
                        if boundary == day_end:
                            break
                        at, _, fn, args = heapq.heappop(self.globals)
                        self._call(at, fn, args)
                    self.read_notifications(day_end)
                if self.progress:
                    done = min(1.0, (min(day_end, self.end) - self.start).total_seconds() / total)
                    self.progress(done, min(day_end, self.end), self.stats)
            clock.set_frozen(self.end)
            with transaction.atomic():
                sweep(self.end)
        finally:
            clock.set_frozen(previous)

    def _run_until(self, boundary: datetime) -> None:
        """Run every lead's events before ``boundary`` in waves: each wave takes the earliest pending
        event of every lead, runs them in time order, then writes the wave's captures, touches and
        status changes with the bulk services. A lead's own events stay in order; leads do not
        depend on each other, so a lead's event may run after a later event of another lead."""
        while self.heap and self.heap[0][0] < boundary:
            wave, seen, later = [], set(), []
            while self.heap and self.heap[0][0] < boundary:
                item = heapq.heappop(self.heap)
                lead_sim = item[3][0]
                if lead_sim.idx in seen:
                    later.append(item)
                else:
                    seen.add(lead_sim.idx)
                    wave.append(item)
            for item in later:
                heapq.heappush(self.heap, item)
            for at, _, fn, args in wave:
                self._call(at, fn, args)
            self._flush()

    def _call(self, at: datetime, fn: Callable, args: tuple) -> None:
        clock.set_frozen(at)
        try:
            fn(at, *args)
        except DomainError as exc:
            self.errors[f"{fn.__name__}: {exc.code}"] += 1

    def _flush(self) -> None:
        """Write the wave's batched actions; a refused batch is retried item by item to isolate the error."""
        batches = (
            ("capture", self.pending_captures, leads_capture),
            ("touch", self.pending_touches, touches_log),
            ("transition", self.pending_transitions, leads_transition),
            ("disqualify", self.pending_disqualifications, leads_disqualify),
        )
        for name, pending, service in batches:
            if not pending:
                continue
            items = list(pending)
            pending.clear()
            requests = [req for req, _ in items]
            clock.set_frozen(max(at for _, (at, _, _) in items))
            try:
                results = service(requests)
            except DomainError:
                results = []
                for req, _ in items:
                    try:
                        results.append(service([req])[0])
                    except DomainError as exc:
                        self.errors[f"{name}: {exc.code}"] += 1
                        results.append(None)
            for (_, (at, ls, then)), result in zip(items, results, strict=True):
                if then is not None and result is not None:
                    clock.set_frozen(at)
                    then(at, ls, result)

    # --- arrivals ------------------------------------------------------------------------------

    def _day_weights(self) -> list[tuple[date, float]]:
        first, last = local(self.start).date(), local(self.end).date()
        days, d = [], first
        span = (last - first).days or 1
        while d <= last:
            w = WEEKDAY_WEIGHTS[d.weekday()] * (0.9 + 0.25 * (d - first).days / span)
            if d.weekday() < 5 and not is_workday(d):
                w *= 0.3  # public holiday
            days.append((d, w * self.rng.uniform(0.85, 1.15)))
            d += timedelta(days=1)
        return days

    def _moment(self, d: date, hours: list[float]) -> datetime | None:
        hour = self.rng.choices(range(24), weights=hours)[0]
        at = datetime.combine(
            d, time(hour, self.rng.randrange(60), self.rng.randrange(60)), LOCAL
        ).astimezone(UTC)
        return at if self.start <= at < self.end else None

    def _background(self, source: str, count: int, days) -> list[Arrival]:
        out = []
        dates = [d for d, _ in days]
        cum, acc = [], 0.0
        office_hours = [w if 9 <= h < 18 else 0 for h, w in enumerate(HOUR_WEIGHTS)]
        for d, w in days:
            acc += 0 if (source == S.HOTLINE and not is_workday(d)) else w
            cum.append(acc)
        hours = office_hours if source == S.HOTLINE else HOUR_WEIGHTS
        while len(out) < count:
            d = self.rng.choices(dates, cum_weights=cum)[0]
            at = self._moment(d, hours)
            if at is not None:
                out.append(Arrival(at, source, self._detail(source), None))
        return out

    def _detail(self, source: str) -> str:
        r = self.rng
        if source == S.SEO:
            return f"搜索：{r.choice(SEARCH_TERMS)}"
        if source == S.SEM:
            return r.choice(SEM_DETAILS)
        if source == S.SOCIAL_ADS:
            return r.choice(SOCIAL_DETAILS)
        if source == S.CHAT:
            return "官网在线客服"
        if source == S.TRIAL:
            return r.choice(["官网免费试用", "产品注册页", "Free trial (en)"])
        if source == S.HOTLINE:
            return "400 热线"
        if source in names.CONTENT:
            return r.choice(names.CONTENT[source])
        return ""

    def _campaign_days(self, count: int, weekdays: tuple[int, ...]) -> list[date]:
        """``count`` dates spread over the quarter, moved to the wanted weekdays, before the end."""
        first = local(self.start).date() + timedelta(days=7)
        last = local(self.end).date() - timedelta(days=1)
        out = []
        for i in range(count):
            d = first + timedelta(days=int((last - first).days * (i + 0.5) / count) + self.rng.randint(-2, 2))
            while d.weekday() not in weekdays or not is_workday(d):
                d += timedelta(days=1)
            out.append(min(d, last))
        return out

    def _campaigns(self, counts: dict) -> list[Arrival]:
        out: list[Arrival] = []
        r = self.rng
        # Webinars: registrations over the week before the live session (most in the last two days).
        webinar_days = self._campaign_days(7, (1, 3))
        kinds = [S.WEBINAR_LEARNING, S.WEBINAR_ACCELERATION] * 4
        shares = {}
        for source in (S.WEBINAR_LEARNING, S.WEBINAR_ACCELERATION):
            mine = [i for i in range(len(webinar_days)) if kinds[i] == source]
            shares |= _allocate(counts[source], {i: 1 + r.random() for i in mine})
        for i, d in enumerate(webinar_days):
            source, share = kinds[i], shares[i]
            title = names.WEBINARS[i % len(names.WEBINARS)]
            detail = f"{title} · {d:%m-%d}"
            live = datetime.combine(d, time(19, 30), LOCAL).astimezone(UTC)
            made = 0
            while made < share:
                back = r.choices(range(7), weights=[5, 4, 2, 1.5, 1, 0.8, 0.6])[0]
                at = self._moment(d - timedelta(days=back), HOUR_WEIGHTS)
                if at is None or at >= live:
                    at = live - timedelta(minutes=r.uniform(5, 600))
                    if at < self.start or at >= self.end:
                        continue
                out.append(Arrival(at, source, detail, None))
                made += 1
        # Events: badge scans imported the evening of the event, a few seconds apart.
        plan = {S.EVENT_SUMMIT: 1, S.EVENT_SALON: 4, S.EVENT_COHOSTED: 2, S.EVENT_SPONSORED: 2}
        for source, n_events in plan.items():
            days = self._campaign_days(n_events, (1, 2, 3, 4) if source != S.EVENT_SUMMIT else (3, 4))
            split = _allocate(counts[source], {i: 1 + r.random() for i in range(n_events)})
            for i, d in enumerate(days):
                detail = names.EVENTS[source][i % len(names.EVENTS[source])]
                at = datetime.combine(d, time(18, 0), LOCAL).astimezone(UTC) + timedelta(
                    minutes=r.uniform(0, 150)
                )
                for _ in range(split[i]):
                    at += timedelta(seconds=r.uniform(3, 40))
                    if at < self.end:
                        out.append(Arrival(at, source, detail, None))
        return out

    def _outbound(self, counts: dict) -> list[Arrival]:
        out: list[Arrival] = []
        r = self.rng
        workdays = []
        d = local(self.start).date()
        while d <= local(self.end).date():
            if is_workday(d) and self.start <= datetime.combine(d, time(9, 30), LOCAL) < self.end:
                workdays.append(d)
            d += timedelta(days=1)
        if not workdays:
            return out
        for source, creators in ((S.OUTBOUND_LIST, self.org.sdr_outbound), (S.PARTNER, self.org.bdrs)):
            made = 0
            while made < counts[source]:
                d = r.choice(workdays)
                creator = r.choice(creators)
                if source == S.OUTBOUND_LIST:
                    industry = r.choices(names.INDUSTRIES, weights=[w for _, w, _ in names.INDUSTRIES])[0][0]
                    region = r.choice(names.REGIONS)
                    detail = f"目标客户名单 · {industry} · {names.REGION_ZH[region]}"
                    segment = (industry, region)
                    batch = min(counts[source] - made, r.randint(4, 12))
                    at = datetime.combine(d, time(9, 30), LOCAL) + timedelta(minutes=r.uniform(0, 120))
                else:
                    detail, batch, segment = r.choice(PARTNERS), 1, ("", "")
                    at = datetime.combine(d, time(10, 0), LOCAL) + timedelta(minutes=r.uniform(0, 420))
                at = at.astimezone(UTC)
                for _ in range(batch):
                    at += timedelta(minutes=r.uniform(1, 6))
                    if self.start <= at < self.end:
                        out.append(Arrival(at, source, detail, creator, segment))
                        made += 1
        return out

    def _company(self, arrival: Arrival) -> Company:
        r = self.rng
        reuse = 0.0 if arrival.segment[0] else 0.08 if arrival.creator else 0.3
        if self.companies and r.random() < reuse:
            return r.choice(self.companies)
        industry, region = arrival.segment
        while True:
            company = names.make_company(r, self.used_domains, industry=industry, region=region)
            if not arrival.creator or company.size >= 50:  # outbound targets are not micro companies
                break
        self.companies.append(company)
        return company

    def arrivals(self) -> list[Arrival]:
        n_out = round(
            self.n * sum(OUTBOUND.values()) / (sum(BACKGROUND.values()) + sum(CAMPAIGNS.values()) + 15)
        )
        counts = _allocate(self.n - n_out, {**BACKGROUND, **CAMPAIGNS}) | _allocate(n_out, OUTBOUND)
        days = self._day_weights()
        out: list[Arrival] = []
        for source in BACKGROUND:
            out += self._background(source, counts[source], days)
        out += self._campaigns(counts)
        out += self._outbound(counts)
        if len(out) < self.n:  # a campaign fell outside the window (a short quarter): top up with web traffic
            for source, count in _allocate(self.n - len(out), BACKGROUND).items():
                out += self._background(source, count, days)
        if len(out) > self.n:
            out = self.rng.sample(out, self.n)
        out.sort(key=lambda a: (a.at, a.source, a.detail))
        for a in out:
            a.company = self._company(a)
        return out

    # --- leads ------------------------------------------------------------------------------

    def schedule(self) -> None:
        for idx, arrival in enumerate(self.arrivals()):
            ls = LeadSim(idx, random.Random(self.seed * 1_000_003 + idx), arrival)
            self.push(arrival.at, self.capture, ls)
        d = local(self.start).date()
        while d <= local(self.end).date():
            t = datetime.combine(d, SWEEP_AT, LOCAL).astimezone(UTC)
            if t >= self.start:
                self.push(t, self.sweep)
            d += timedelta(days=1)
        readers = [*self.org.sdr_inbound, *self.org.sdr_outbound, *self.org.bdrs, *self.org.all_aes,
                   *self.org.sales_directors.values(), self.org.sdr_director, self.org.vp]  # fmt: skip
        d = local(self.start).date()
        while d <= local(self.end).date():
            for user in readers:
                if self.rng.random() < (0.85 if is_workday(d) else 0.25):
                    at = datetime.combine(d, time(19, 0), LOCAL) + timedelta(minutes=self.rng.uniform(0, 150))
                    at = at.astimezone(UTC)
                    if at < self.end:
                        self.seq += 1
                        heapq.heappush(self.reads, (at, self.seq, user))
            d += timedelta(days=1)

    def sweep(self, at: datetime) -> None:
        result = sweep(at)
        self.stats["overdue"] += result.get("handoffs_overdue", 0)

    def read_notifications(self, day_end: datetime) -> None:
        """People read their notifications in the evening. Reading only touches one's own notifications
        created before that moment, so the reads run after the day's work, each as of its own time."""
        while self.reads and self.reads[0][0] < day_end:
            at, _, user = heapq.heappop(self.reads)
            clock.set_frozen(at)
            notifications_mark_read(user, seen_up_to=at)

    def _capture_data(self, ls: LeadSim) -> dict:
        r, a = ls.rng, ls.arrival
        company = a.company
        english = company.english and r.random() < 0.7
        person = names.english_person(r) if english else names.chinese_person(r)
        outbound = a.creator is not None
        if outbound and r.random() < 0.6:
            title_ = r.choice(
                ["总经理", "CEO", "销售总监", "IT总监", "市场总监", "副总裁", "CIO", "VP of Sales"]
            )
        else:
            title_ = names.title(r, company.english)
        free = not outbound and r.random() < 0.3
        email = f"{person.local_part}{r.randint(1, 999) if free else ''}@{r.choice(names.FREE_MAIL) if free else company.domain}"
        data = {
            "name": person.name, "company": company.name, "title": title_, "industry": company.industry,
            "company_size": company.size, "city": company.city, "region": company.region,
            "source": a.source, "source_detail": a.detail,
            "direction": Lead.Direction.OUTBOUND if outbound else Lead.Direction.INBOUND,
        }  # fmt: skip
        if r.random() < 0.92 or outbound:
            data["email"] = email
        if r.random() < (0.9 if outbound else 0.8) or "email" not in data:
            data["phone"] = names.mobile(r)
        if r.random() < 0.45:
            data["website"] = f"https://www.{company.domain}"
        if not outbound and r.random() < 0.15:
            data["notes"] = r.choice(INBOUND_NOTES)
        # The lead's chance of qualifying: channel, seniority, company size, a work address.
        p = MQL_BASE.get(a.source, 0.08)
        t = title_.lower()
        if any(k in t for k in ("ceo", "cto", "cio", "vp", "总", "创始人", "head", "director", "负责人")):
            p *= 1.45
        elif "学生" in t or "助理" in t or "assistant" in t:
            p *= 0.2
        elif any(k in t for k in ("经理", "manager", "主管")):
            p *= 1.1
        else:
            p *= 0.7
        p *= 0.45 if company.size < 20 else (1.2 if company.size >= 200 else 1.0)
        p *= 0.75 if free else 1.0
        ls.p_mql = min(p, 0.8)
        return data

    def capture(self, at: datetime, ls: LeadSim) -> None:
        request = CaptureRequest(self._capture_data(ls), ls.arrival.creator, at)
        self.pending_captures.append((request, (at, ls, self.captured)))

    def captured(self, at: datetime, ls: LeadSim, lead: Lead) -> None:
        ls.lead = lead
        self.stats["leads"] += 1
        if lead.owner_id is None:
            return  # routing found nobody: the lead waits in the pool
        ls.sdr = self.users[lead.owner_id]
        r = ls.rng
        if ls.arrival.creator is not None:
            self.push(at + timedelta(minutes=r.uniform(2, 40)), self.outbound_start, ls)
            return
        if r.random() < 0.03:
            return  # never worked: it stays "new" in the queue
        if in_office_hours(at):
            fast = ls.arrival.source in FAST_CHANNELS
            x = r.random() - (0.12 if fast else 0)
            if x < 0.3:
                delay = r.uniform(0.5, 5)
            elif x < 0.6:
                delay = r.uniform(5, 30)
            elif x < 0.82:
                delay = r.uniform(30, 120)
            elif x < 0.95:
                delay = r.uniform(120, 420)
            else:
                delay = r.uniform(900, 2000)
            when = at_work(at + timedelta(minutes=delay), r, 30)
        else:
            when = next_office_time(at) + timedelta(minutes=r.expovariate(1 / 35))
        self.push(when, self.inbound_first_touch, ls)

    # --- SDR work ------------------------------------------------------------------------------

    def touch(self, at: datetime, ls: LeadSim, channel: str, outcome: str, *, user: User | None = None,
              duration: int = 0, direction: str = Touch.Direction.OUTBOUND, notes: str = "") -> None:  # fmt: skip
        request = TouchRequest(ls.lead, user or ls.sdr, channel, outcome, at, duration, notes, direction)
        self.pending_touches.append((request, (at, ls, self.touched)))

    def touched(self, at: datetime, ls: LeadSim, touch: Touch) -> None:
        self.stats["touches"] += 1

    def _call_outcome(self, r: random.Random, reach: float) -> tuple[str, int]:
        x = r.random()
        if x < reach:
            return Touch.Outcome.CONNECTED, int(r.uniform(40, 200))
        if x < reach + (1 - reach) * 0.7:
            return Touch.Outcome.NO_ANSWER, 0
        if x < reach + (1 - reach) * 0.95:
            return Touch.Outcome.VOICEMAIL, int(r.uniform(15, 40))
        return Touch.Outcome.WRONG_NUMBER, 0

    def inbound_first_touch(self, at: datetime, ls: LeadSim) -> None:
        r = ls.rng
        will_mql = r.random() < ls.p_mql
        if ls.arrival.source in (S.CHAT, S.TRIAL) and r.random() < 0.3 or not ls.lead.phone:
            channel = Touch.Channel.MESSAGE if ls.lead.phone else Touch.Channel.EMAIL
            self.touch(at, ls, channel, Touch.Outcome.SENT, notes=r.choice(names.CALL_NOTES))
            connected = False
        else:
            outcome, duration = self._call_outcome(r, 0.62 if will_mql else 0.4)
            connected = outcome == Touch.Outcome.CONNECTED
            if connected and will_mql:
                duration = int(r.uniform(240, 1200))
            self.touch(
                at, ls, Touch.Channel.CALL, outcome, duration=duration, notes=r.choice(names.CALL_NOTES)
            )
            if outcome == Touch.Outcome.WRONG_NUMBER and r.random() < 0.7:
                self.push(at + timedelta(minutes=r.uniform(2, 20)), self.disqualify, ls,
                          "Fake or spam data / 虚假信息")  # fmt: skip
                return
        self.push(at + timedelta(minutes=1), self.plan_followups, ls, will_mql, connected)

    def plan_followups(self, at: datetime, ls: LeadSim, will_mql: bool, connected: bool) -> None:
        """Lay out the rest of this cycle's SDR work as a chain of steps."""
        r = ls.rng
        steps: list[tuple] = []  # (delay kind, a, b, action, *args)
        if will_mql:
            if not connected:
                steps.append(("hours", 0.5, 4, "email", Touch.Outcome.SENT))
                steps.append(("days", 0.3, 1.5, "call", Touch.Outcome.CONNECTED, int(r.uniform(300, 1500))))
            if r.random() < 0.55:
                steps.append(("min", 1, 3, "meeting", Touch.Outcome.BOOKED))
                if r.random() < 0.15:
                    steps.append(("days", 1, 4, "meeting", Touch.Outcome.NO_SHOW))
                    steps.append(("hours", 0.2, 3, "email", Touch.Outcome.SENT))
                steps.append(("days", 1, 4, "meeting", Touch.Outcome.HELD, int(r.uniform(1800, 3600))))
            else:
                steps.append(("hours", 0.3, 3, "email", Touch.Outcome.SENT))
                if r.random() < 0.6:
                    steps.append(("hours", 2, 30, "reply", Touch.Channel.EMAIL))
                steps.append(("days", 0.5, 3, "call", Touch.Outcome.CONNECTED, int(r.uniform(300, 1500))))
            steps.append(("min", 5, 40, "qualify"))
            steps.append(("min", 2, 30, "handoff"))
        else:
            attempts = 0 if connected else r.choice((0, 1, 1, 1, 2, 2))
            for i in range(attempts):
                if i % 2 == 0 and ls.lead.phone:
                    outcome, duration = self._call_outcome(r, 0.3)
                    if outcome == Touch.Outcome.WRONG_NUMBER:
                        outcome = Touch.Outcome.NO_ANSWER
                    steps.append(("days", 0.2, 2, "call", outcome, duration))
                    connected = connected or outcome == Touch.Outcome.CONNECTED
                else:
                    channel = (
                        Touch.Channel.MESSAGE if ls.lead.phone and r.random() < 0.5 else Touch.Channel.EMAIL
                    )
                    steps.append(("hours", 1, 20, "send", channel))
                    if r.random() < 0.12:
                        steps.append(("hours", 1, 24, "reply", channel))
            if connected and r.random() < 0.35:
                steps.append(("hours", 0.2, 2, "email", Touch.Outcome.SENT))
            x = r.random()
            if x < 0.04:
                pass  # the SDR never closes the loop: the lead stays "working"
            elif x < (0.42 if connected else 0.35):
                reason = (
                    "Unreachable after several attempts / 多次无法联系"
                    if not connected and r.random() < 0.6
                    else r.choices(*zip(*names.DISQUALIFY_REASONS, strict=True))[0]
                )
                steps.append(("days", 0.5, 4, "disqualify", reason))
            else:
                reason = r.choices(*zip(*names.NURTURE_REASONS, strict=True))[0]
                if not connected:
                    reason = "No contact yet, moved to nurture flow / 暂未联系上，转入培育流程"
                steps.append(("days", 0.5, 4, "nurture", reason))
        self.start_steps(at, ls, steps)

    def start_steps(self, at: datetime, ls: LeadSim, steps: list[tuple]) -> None:
        if steps:
            kind, a, b = steps[0][:3]
            self.push(self._delay(at, ls.rng, kind, a, b), self.step, ls, steps, 0)

    def _delay(self, at: datetime, r: random.Random, kind: str, a: float, b: float) -> datetime:
        if kind == "min":
            return at + timedelta(minutes=r.uniform(a, b))
        if kind == "hours":
            return at_work(at + timedelta(hours=r.uniform(a, b)), r, 45)
        return working_days(at, r.uniform(a, b), r)

    def step(self, at: datetime, ls: LeadSim, steps: list[tuple], i: int) -> None:
        r = ls.rng
        action, *args = steps[i][3:]
        if action in ("call", "meeting"):
            outcome, duration = args[0], args[1] if len(args) > 1 else 0
            channel = Touch.Channel.CALL if action == "call" else Touch.Channel.MEETING
            self.touch(at, ls, channel, outcome, duration=duration, notes=r.choice(names.CALL_NOTES))
        elif action == "email":
            self.touch(at, ls, Touch.Channel.EMAIL, args[0])
        elif action == "send":
            self.touch(at, ls, args[0], Touch.Outcome.SENT)
        elif action == "reply":
            outcome = Touch.Outcome.AUTO_REPLY if r.random() < 0.1 else Touch.Outcome.REPLIED
            self.touch(at, ls, args[0], outcome, direction=Touch.Direction.INBOUND)
        elif action == "qualify":
            self.qualify(at, ls)
        elif action == "handoff":
            self.handoff(at, ls)
        elif action == "disqualify":
            self.disqualify(at, ls, args[0])
        elif action == "nurture":
            self.nurture(at, ls, args[0])
        if i + 1 < len(steps):
            kind, a, b = steps[i + 1][:3]
            self.push(self._delay(at, r, kind, a, b), self.step, ls, steps, i + 1)

    def qualify(self, at: datetime, ls: LeadSim) -> None:
        r = ls.rng
        states = {c: "met" for c in ("budget", "authority", "need", "timing")}
        if r.random() < 0.6:
            states[r.choice(list(states))] = r.choice(("unknown", "unknown", "not_met"))
        notes = {
            c: r.choice(names.BANT_NOTES[c]) for c, s in states.items() if s == "met" and r.random() < 0.7
        }
        qualification_update(ls.lead, ls.sdr, states, notes, at=at)

    def handoff(self, at: datetime, ls: LeadSim) -> None:
        r = ls.rng
        handoff = handoff_create(ls.lead, ls.sdr, note=r.choice(names.HANDOFF_NOTES), at=at)
        ls.handoff = handoff
        ls.cycles += 1
        ls.lead.status, ls.lead.mql_in_cycle = LeadStatus.MQL, True
        self.stats["mqls"] += 1
        # The AE decides within office hours; most well inside the 48-hour SLA, a few late.
        x = r.random()
        if x < 0.45:
            when = add_office_hours(at, r.uniform(0.05, 2))
        elif x < 0.76:
            when = add_office_hours(at, r.uniform(2, 8))
        elif x < 0.92:
            when = add_office_hours(at, r.uniform(8, 14))
        elif x < 0.985:
            when = at_work(at + timedelta(hours=r.uniform(50, 100)), r, 50)
        else:
            when = at_work(at + timedelta(hours=r.uniform(120, 320)), r, 50)
        if x < 0.92 and when > handoff.due_at and r.random() < 0.75:
            # Before a weekend or a holiday most AEs decide quickly rather than miss the 48-hour SLA.
            when = add_office_hours(at, r.uniform(0.05, 1.5))
        self.push(when, self.decide, ls)
        if when > handoff.due_at:
            # The real worker sweeps every 30 s: the miss is noticed (and escalated) right after the deadline.
            self.push(handoff.due_at + timedelta(seconds=30), self.sweep)

    def disqualify(self, at: datetime, ls: LeadSim, reason: str) -> None:
        request = TransitionRequest(ls.lead, LeadStatus.DISQUALIFIED, ls.sdr, reason, at)
        self.pending_disqualifications.append((request, (at, ls, None)))

    def nurture(self, at: datetime, ls: LeadSim, reason: str, rework: float = 0.1) -> None:
        request = TransitionRequest(ls.lead, LeadStatus.NURTURING, ls.sdr, reason, at)
        self.pending_transitions.append((request, (at, ls, None)))
        r = ls.rng
        if r.random() < rework:
            self.push(working_days(at, r.uniform(10, 35), r), self.rework, ls)

    def rework(self, at: datetime, ls: LeadSim, p_handoff: float = 0.3) -> None:
        """A nurtured lead shows interest again (a download, a reply): the SDR calls it back."""
        r = ls.rng
        outcome, duration = self._call_outcome(r, 0.65)
        if outcome == Touch.Outcome.WRONG_NUMBER:
            outcome = Touch.Outcome.NO_ANSWER
        self.touch(
            at,
            ls,
            Touch.Channel.CALL,
            outcome,
            duration=duration,
            notes="Re-engaged from nurture / 培育后重新跟进",
        )
        if outcome == Touch.Outcome.CONNECTED and r.random() < p_handoff:
            steps = [("days", 0.5, 3, "call", Touch.Outcome.CONNECTED, int(r.uniform(300, 1200))),
                     ("min", 5, 40, "qualify"), ("min", 2, 30, "handoff")]  # fmt: skip
        else:
            steps = [("days", 1, 5, "nurture", "Still not ready / 仍未到采购时机")]
        self.start_steps(at, ls, steps)

    def outbound_start(self, at: datetime, ls: LeadSim) -> None:
        """Outbound sequence: e-mail, call, e-mail, message, call; a reply or a connect may turn into a meeting."""
        r = ls.rng
        will_mql = r.random() < ls.p_mql
        self.touch(at, ls, Touch.Channel.EMAIL, Touch.Outcome.SENT, notes="Sequence step 1 / 序列第 1 步")
        partner = ls.arrival.source == S.PARTNER
        steps: list[tuple] = []
        if will_mql:
            if partner:
                steps.append(("hours", 1, 24, "call", Touch.Outcome.CONNECTED, int(r.uniform(300, 1500))))
            else:
                steps.append(("days", 1, 2, "call", Touch.Outcome.NO_ANSWER, 0))
                steps.append(("days", 1, 3, "reply", Touch.Channel.EMAIL))
                steps.append(("hours", 0.5, 6, "call", Touch.Outcome.CONNECTED, int(r.uniform(300, 1500))))
            steps.append(("min", 1, 3, "meeting", Touch.Outcome.BOOKED))
            steps.append(("days", 2, 6, "meeting", Touch.Outcome.HELD, int(r.uniform(1800, 3600))))
            steps.append(("min", 5, 40, "qualify"))
            steps.append(("min", 2, 30, "handoff"))
        else:
            n = r.choice((1, 2, 2, 3, 3)) if not partner else r.choice((1, 2))
            connected = False
            for i in range(n):
                if i % 2 == 0:
                    outcome, duration = self._call_outcome(r, 0.5 if partner else 0.22)
                    if outcome == Touch.Outcome.WRONG_NUMBER:
                        outcome = Touch.Outcome.NO_ANSWER
                    connected = connected or outcome == Touch.Outcome.CONNECTED
                    steps.append(("days", 1, 3, "call", outcome, duration))
                else:
                    channel = Touch.Channel.MESSAGE if i == 3 else Touch.Channel.EMAIL
                    steps.append(("days", 1, 3, "send", channel))
                    if r.random() < 0.08:
                        steps.append(("hours", 1, 30, "reply", channel))
            if r.random() < 0.5:
                reason = (
                    "No project, just researching / 仅做调研，无项目"
                    if connected
                    else "Unreachable after several attempts / 多次无法联系"
                )
                steps.append(("days", 1, 3, "disqualify", reason))
            else:
                steps.append(("days", 1, 3, "nurture", "Sequence finished without reply / 序列结束未回复"))
        self.start_steps(at, ls, steps)

    # --- AE work -------------------------------------------------------------------------------

    def decide(self, at: datetime, ls: LeadSim) -> None:
        r = ls.rng
        handoff = ls.handoff
        ae = self.users[handoff.ae_id]
        outbound = ls.lead.direction == Lead.Direction.OUTBOUND
        p = 0.75 if outbound else 0.65
        met = sum(1 for s in handoff.packet["qualification"]["bant"].values() if s == "met")
        p += 0.08 if met == 4 else -0.05
        p += 0.08 if ls.cycles > 1 else 0
        p -= 0.06 if at > handoff.due_at else 0
        if r.random() < p:
            handoff_accept(handoff, ae, at=at)
            ls.lead.status = LeadStatus.SQL
            self.stats["sqls"] += 1
            call_at = at_work(at + timedelta(minutes=r.uniform(5, 120)), r, 40)
            self.push(call_at, self.ae_intro, ls, ae)
            return
        codes = [c for c, _, _ in names.REJECT_REASONS]
        code, _, p_nurture = names.REJECT_REASONS[
            r.choices(range(len(codes)), weights=[w for _, w, _ in names.REJECT_REASONS])[0]
        ]
        until = None
        if r.random() < p_nurture:
            until = local(at).date() + timedelta(days=r.choice((14, 21, 30, 45, 60, 90)))
        handoff_reject(
            handoff, ae, reason=code, note=r.choice(names.REJECT_NOTES[code]), nurture_until=until, at=at
        )
        ls.lead.status = LeadStatus.NURTURING
        # Rejected leads come back: at their nurture-until date, or when the SDR finds the decision maker.
        if until is not None:
            if r.random() < 0.75:
                back = datetime.combine(until, time(9, 30), LOCAL) + timedelta(minutes=r.uniform(0, 240))
                self.push(at_work(back.astimezone(UTC), r, 60), self.rework, ls, 0.55)
        elif code == "not_decision_maker" and r.random() < 0.5:
            self.push(working_days(at, r.uniform(3, 10), r), self.rework, ls, 0.5)
        elif code not in ("bad_data", "competitor", "existing_customer") and r.random() < 0.15:
            self.push(working_days(at, r.uniform(15, 35), r), self.rework, ls, 0.35)

    def ae_intro(self, at: datetime, ls: LeadSim, ae: User) -> None:
        r = ls.rng
        self.touch(at, ls, Touch.Channel.CALL, Touch.Outcome.CONNECTED, user=ae, duration=int(r.uniform(600, 2400)),
                   notes="AE 首次沟通 / AE intro call")  # fmt: skip
        self.push(at + timedelta(seconds=r.uniform(60, 300)), self.ae_book, ls, ae)

    def ae_book(self, at: datetime, ls: LeadSim, ae: User) -> None:
        r = ls.rng
        self.touch(
            at, ls, Touch.Channel.MEETING, Touch.Outcome.BOOKED, user=ae, notes="产品演示 / Product demo"
        )
        self.push(working_days(at, r.uniform(1, 7), r), self.ae_meeting, ls, ae)

    def ae_meeting(self, at: datetime, ls: LeadSim, ae: User) -> None:
        r = ls.rng
        if r.random() < 0.1:
            self.touch(at, ls, Touch.Channel.MEETING, Touch.Outcome.NO_SHOW, user=ae)
            self.push(working_days(at, r.uniform(1, 4), r), self.ae_meeting, ls, ae)
            return
        self.touch(
            at, ls, Touch.Channel.MEETING, Touch.Outcome.HELD, user=ae, duration=int(r.uniform(1800, 5400))
        )
        x = r.random()
        if x < 0.9:
            self.push(at_work(at + timedelta(hours=r.uniform(0.5, 30)), r, 60), self.open_opportunity, ls, ae)
        elif x < 0.95:
            self.push(at + timedelta(minutes=r.uniform(10, 120)), self.hand_back, ls, ae)
        # else: the SQL sits without an opportunity

    def hand_back(self, at: datetime, ls: LeadSim, ae: User) -> None:
        request = TransitionRequest(ls.lead, LeadStatus.NURTURING, ae,
                                    "No active project after discovery / 需求不成立，退回培育", at)  # fmt: skip
        self.pending_transitions.append((request, (at, ls, None)))

    def open_opportunity(self, at: datetime, ls: LeadSim, ae: User) -> None:
        r = ls.rng
        company = ls.arrival.company
        size = company.size
        size_factor = 0.5 if size < 50 else 0.8 if size < 200 else 1.2 if size < 1000 else 2.0
        amount = r.lognormvariate(math.log(170_000), 0.6) * company.deal_factor * size_factor
        amount = Decimal(int(max(50_000, min(2_000_000, round(amount, -3)))))
        won = r.random() < 0.3
        days = r.uniform(14, 60) if won else r.uniform(6, 50)
        expected = (local(at) + timedelta(days=r.uniform(30, 90))).date()
        opp, _ = opportunity_create(ls.lead, ae, amount=amount, name=f"{ls.lead.company} · {r.choice(PRODUCTS)}",
                                    expected_close=expected, at=at)  # fmt: skip
        ls.lead.status = LeadStatus.CONVERTED
        self.stats["opportunities"] += 1
        # The path through the stages: won goes all the way; lost drops out at some stage.
        last_open = (
            len(self.open_stages) - 1
            if won
            else r.choices(range(len(self.open_stages)), weights=[35, 30, 20, 15])[0]
        )
        moves = []
        for k in range(1, last_open + 1):
            moves.append((days * k / (last_open + 1.5), self.open_stages[k]))
        moves.append((days, self.won_stage if won else self.lost_stage))
        last = at
        for offset_days, stage in moves:
            last = max(last + timedelta(minutes=1), at_work(at + timedelta(days=offset_days), r, 90))
            self.push(last, self.move, ls, ae, opp, stage)

    def move(self, at: datetime, ls: LeadSim, ae: User, opp: Opportunity, stage_id: int) -> None:
        r = ls.rng
        amount = None
        lost_reason = ""
        if stage_id == self.open_stages[min(2, len(self.open_stages) - 1)]:
            amount = Decimal(int(max(50_000, round(float(opp.amount) * r.uniform(0.8, 1.15), -3))))
        if stage_id == self.lost_stage:
            lost_reason = r.choices(*zip(*names.LOST_REASONS, strict=True))[0]
        opp = opportunity_move(opp, ae, stage_id=stage_id, amount=amount, lost_reason=lost_reason, at=at)
        if stage_id == self.won_stage:
            self.stats["won"] += 1


def collect_summary(seed: int, start: datetime, end: datetime, errors: Counter) -> Summary:
    s = Summary(seed=seed, start=start.isoformat(), end=end.isoformat())
    s.leads = Lead.objects.count()
    s.outbound = Lead.objects.filter(direction=Lead.Direction.OUTBOUND).count()
    s.inbound = s.leads - s.outbound
    s.touches = Touch.objects.count()
    h = Handoff.objects.aggregate(
        total=Count("pk"),
        accepted=Count("pk", filter=Q(status=Handoff.Status.ACCEPTED)),
        rejected=Count("pk", filter=Q(status=Handoff.Status.REJECTED)),
        pending=Count("pk", filter=Q(status=Handoff.Status.PENDING)),
        overdue=Count("pk", filter=Q(overdue_at__isnull=False)),
    )
    s.mqls, s.sqls, s.rejected = h["total"], h["accepted"], h["rejected"]
    s.pending_handoffs, s.handoffs_overdue = h["pending"], h["overdue"]
    o = Opportunity.objects.aggregate(
        total=Count("pk"),
        won=Count("pk", filter=Q(stage__kind=Stage.Kind.WON)),
        lost=Count("pk", filter=Q(stage__kind=Stage.Kind.LOST)),
        bookings=Sum("amount", filter=Q(stage__kind=Stage.Kind.WON)),
        open_pipeline=Sum("amount", filter=Q(stage__kind=Stage.Kind.OPEN)),
    )
    s.opportunities, s.won, s.lost = o["total"], o["won"], o["lost"]
    s.open_opportunities = s.opportunities - s.won - s.lost
    s.bookings = f"{o['bookings'] or Decimal(0):.2f}"
    s.open_pipeline = f"{o['open_pipeline'] or Decimal(0):.2f}"
    s.unread_notifications = Notification.objects.filter(read_at=None).count()
    s.status = dict(sorted(Counter(Lead.objects.values_list("status", flat=True)).items()))
    s.by_source = dict(sorted(Counter(Lead.objects.values_list("source", flat=True)).items()))
    s.errors = dict(sorted(errors.items()))
    return s


@contextmanager
def constant_configuration() -> Iterator[None]:
    """Memoise two configuration look-ups that the services repeat on every call.

    While the simulation runs nobody edits the organisation settings or the scoring rules, so the
    organisation-settings row and the active scoring rules are read once instead of once per
    capture, touch and handoff. Nothing else changes: the services run their own code.
    """
    from baton.scoring import services as scoring_services

    settings = OrgSettings.get()
    rules = scoring_services.rules_load()
    original_get, original_rules = OrgSettings.__dict__["get"], scoring_services.rules_load
    OrgSettings.get = classmethod(lambda cls: settings)
    # The same RuleSet object each time: its version, thresholds and compiled scorer come with it.
    scoring_services.rules_load = lambda: rules
    try:
        yield
    finally:
        OrgSettings.get = original_get
        scoring_services.rules_load = original_rules


@contextmanager
def fewer_gc_passes() -> Iterator[None]:
    """The simulation allocates millions of short-lived ORM objects and few reference cycles; with
    the default threshold the cyclic collector runs every 700 allocations, about 7% of the run."""
    gc.collect()
    gc.freeze()
    threshold = gc.get_threshold()
    gc.set_threshold(50_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def simulate(org: Org, *, seed: int, leads: int, end: datetime, span: timedelta = QUARTER,
             progress: Callable[[float, datetime, dict], None] | None = None) -> Summary:  # fmt: skip
    """Simulate the quarter (or ``span``) that ends at ``end`` on the configured database (org already built)."""
    started = walltime.perf_counter()
    sim = Simulation(org, seed=seed, leads=leads, end=end, span=span, progress=progress)
    sim.schedule()
    with constant_configuration(), fewer_gc_passes():
        sim.run()
    summary = collect_summary(seed, sim.start, sim.end, sim.errors)
    summary.elapsed_seconds = round(walltime.perf_counter() - started, 2)
    return summary
