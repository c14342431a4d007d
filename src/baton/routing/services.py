"""Routing inbound leads to SDRs and handoffs to AEs by the active routing policy, atomic under concurrency.

A policy's first matching rule names a destination (a pool of people) and a strategy. Each pool's row
is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions serialise writers) for
the read-decide-write of its assignments, so no two requests pick from the same tallies. Everything a
batch needs is read in a few set-based queries; the decisions are made in Python by ``core.routing``.
"""

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import Count, Q

from baton import clock, localcache
from baton.core import routing as core
from baton.core.calendar import is_working
from baton.core.errors import Conflict, InvalidInput, NotFound
from baton.dbutil import rows_insert, rows_read, rows_update
from baton.org.models import EligibleListEntry, Leave, OrgSettings, Role, RoleAssignment, Team, User
from baton.routing.models import RoutingDecision, RoutingPolicy, RoutingPool, RoutingTally, Territory

INBOUND_POOL = "inbound-sdr"
# The policies every installation starts with: what Baton did before policies were configurable.
DEFAULT_POLICIES = {
    RoutingPolicy.Kind.LEAD: {
        "rules": [],
        "fallback": {"key": "fallback", "name": "Inbound SDRs, round robin",
                     "destination": {"type": "role", "role": Role.SDR_INBOUND, "pool": INBOUND_POOL},
                     "strategy": core.ROUND_ROBIN},
    },
    RoutingPolicy.Kind.HANDOFF: {
        "rules": [],
        "fallback": {"key": "fallback", "name": "The AEs of the lead's region, round robin",
                     "destination": {"type": "region_team", "role": Role.AE}, "strategy": core.ROUND_ROBIN},
    },
}  # fmt: skip
RETRY_AFTER = timedelta(minutes=10)  # a lead nobody could take is tried again after this long


# --- Policies -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivePolicy:
    version: int | None
    policy: core.Policy


def _parse(definition) -> core.Policy:
    try:
        return core.policy_parse(definition)
    except core.PolicyError as exc:
        raise InvalidInput("the routing policy is not valid: " + "; ".join(exc.problems),
                           details={"problems": exc.problems})  # fmt: skip


def policy_active(kind: str) -> ActivePolicy:
    def load() -> ActivePolicy:
        row = RoutingPolicy.objects.filter(kind=kind, state=RoutingPolicy.State.ACTIVE).first()
        if row is None:
            return ActivePolicy(None, core.policy_parse(DEFAULT_POLICIES[kind]))
        return ActivePolicy(row.version, core.policy_parse(row.definition))

    return localcache.get(f"routing-policy:{kind}", load)


def _check_kind(kind: str) -> None:
    if kind not in RoutingPolicy.Kind.values:
        raise InvalidInput(f"unknown policy kind {kind!r}; use one of {', '.join(RoutingPolicy.Kind.values)}")


def policy_references_check(policy: core.Policy) -> list[str]:
    """Problems a policy's destinations have in this organisation (unknown teams, roles, weights)."""
    problems = []
    teams = set(Team.objects.values_list("pk", flat=True))
    usernames = set(User.objects.values_list("username", flat=True))
    for rule in (*policy.rules, policy.fallback):
        dest = rule.destination
        if dest.get("type") == "team" and dest.get("team_id") not in teams:
            problems.append(f"{rule.name}: team {dest.get('team_id')} does not exist")
        if dest.get("role") and dest["role"] not in Role.values:
            problems.append(f"{rule.name}: unknown role {dest['role']!r}")
        unknown = sorted(set(rule.options.get("weights", {})) - usernames)
        if unknown:
            problems.append(f"{rule.name}: weights name unknown users ({', '.join(unknown)})")
    return problems


def policy_draft_save(
    kind: str, definition: dict, *, actor, note: str = "", version: int | None = None
) -> RoutingPolicy:
    """Create a draft (or replace a draft's definition); validated as a whole, nothing stored otherwise."""
    from baton.org.services import audit_record

    _check_kind(kind)
    policy = _parse(definition)
    problems = policy_references_check(policy)
    if problems:
        raise InvalidInput(
            "the routing policy is not valid: " + "; ".join(problems), details={"problems": problems}
        )
    now = clock.now()
    with transaction.atomic():
        if version is None:
            last = (
                RoutingPolicy.objects.filter(kind=kind)
                .order_by("-version")
                .values_list("version", flat=True)
                .first()
            )
            row = RoutingPolicy.objects.create(kind=kind, version=(last or 0) + 1, definition=core.policy_dump(policy),
                                               note=note[:200], created_by=actor, created_at=now)  # fmt: skip
        else:
            row = RoutingPolicy.objects.select_for_update().filter(kind=kind, version=version).first()
            if row is None:
                raise NotFound(f"no {kind} routing policy version {version}")
            if row.state != RoutingPolicy.State.DRAFT:
                raise Conflict(f"version {version} is {row.state}; only a draft can be edited (copy it to a new draft)",
                               code="policy_not_draft")  # fmt: skip
            row.definition, row.note = core.policy_dump(policy), note[:200]
            row.save(update_fields=["definition", "note"])
        audit_record(actor, "routing_policy.save", "routing_policy", row.pk,
                     {"kind": kind, "version": row.version}, at=now)  # fmt: skip
    return row


def policy_activate(kind: str, version: int, *, actor) -> RoutingPolicy:
    from baton.org.services import audit_record

    _check_kind(kind)
    now = clock.now()
    with transaction.atomic():
        row = RoutingPolicy.objects.select_for_update().filter(kind=kind, version=version).first()
        if row is None:
            raise NotFound(f"no {kind} routing policy version {version}")
        if row.state == RoutingPolicy.State.ACTIVE:
            return row
        policy = _parse(row.definition)
        problems = policy_references_check(policy)
        if problems:
            raise InvalidInput("cannot activate: " + "; ".join(problems), details={"problems": problems})
        RoutingPolicy.objects.filter(kind=kind, state=RoutingPolicy.State.ACTIVE).update(
            state=RoutingPolicy.State.RETIRED
        )
        row.state, row.activated_at = RoutingPolicy.State.ACTIVE, now
        row.save(update_fields=["state", "activated_at"])
        audit_record(actor, "routing_policy.activate", "routing_policy", row.pk, {"kind": kind, "version": version},
                     at=now)  # fmt: skip
    localcache.invalidate(f"routing-policy:{kind}")
    return row


# --- People and eligibility -----------------------------------------------------------------------------


@dataclass
class Person:
    pk: int
    username: str
    team_id: int | None
    team_region: str
    out_of_office: bool
    suspended_until: datetime | None
    manager_id: int | None
    display_name: str = ""
    roles: set = field(default_factory=set)

    def as_user(self) -> User:
        """The person as a User holding what routing read (id, username, display name): the lead's new
        owner without another query. Any other field is read from the database when first used."""
        known = {"id": self.pk, "username": self.username, "display_name": self.display_name}
        names = [f.attname for f in User._meta.concrete_fields if f.attname in known]
        return User.from_db(DEFAULT_DB_ALIAS, names, [known[n] for n in names])


def people() -> dict[int, Person]:
    """Every active user with their team's region and their roles, read fresh: one plain statement, a
    row per role (an organisation has hundreds of people, not millions)."""
    found: dict[int, Person] = {}
    for pk, username, team_id, region, away, suspended, manager_id, display_name, role in rows_read(
        _people_sql(), [], _PEOPLE_FIELDS
    ):
        person = found.get(pk)
        if person is None:
            person = found[pk] = Person(
                pk, username, team_id, region or "", away, suspended, manager_id, display_name
            )
        if role is not None:
            person.roles.add(role)
    return found


_PEOPLE_FIELDS = [  # the columns of _people_sql(), for their conversions
    *(User._meta.get_field(name) for name in ("id", "username", "team")),
    Team._meta.get_field("region"),
    *(User._meta.get_field(name) for name in ("out_of_office", "suspended_until", "manager", "display_name")),
    RoleAssignment._meta.get_field("role"),
]


def _people_sql() -> str:
    q = connection.ops.quote_name
    user, team, role = (q(m._meta.db_table) for m in (User, Team, RoleAssignment))
    return (
        f"SELECT u.id, u.username, u.team_id, t.region, u.out_of_office, u.suspended_until, u.manager_id, "  # noqa: S608
        f"u.display_name, r.role "
        f"FROM {user} u LEFT JOIN {team} t ON t.id = u.team_id LEFT JOIN {role} r ON r.user_id = u.id "
        f"WHERE u.is_active"
    )


def _team_tree() -> dict[int, set[int]]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in Team.objects.values_list("pk", "parent_id"):
        children[parent].append(pk)
    tree: dict[int, set[int]] = {}

    def walk(pk: int) -> set[int]:
        if pk not in tree:
            tree[pk] = {pk}
            for child in children.get(pk, []):
                tree[pk] |= walk(child)
        return tree[pk]

    for pk in list(children.get(None, [])) + [c for cs in children.values() for c in cs]:
        walk(pk)
    return tree


@dataclass
class _Org:
    """What one routing batch reads about the organisation, once."""

    people: dict[int, Person]
    tz: ZoneInfo = ZoneInfo("UTC")
    _tree: dict[int, set[int]] | None = None

    @classmethod
    def load(cls) -> "_Org":
        def tz() -> str:
            return OrgSettings.get().timezone

        return cls(people(), ZoneInfo(localcache.get("org-timezone", tz)))

    @property
    def tree(self) -> dict[int, set[int]]:
        """Each team with the teams below it: read when a destination names a team, not before."""
        if self._tree is None:
            self._tree = _team_tree()
        return self._tree

    def members(self, dest: dict, facts: dict) -> tuple[str, list[Person], str]:
        """The destination's pool key, its members (ordered) and a note when it widened."""
        kind, role = dest.get("type"), dest.get("role")
        with_role = [p for p in self.people.values() if not role or role in p.roles]
        note = ""
        if kind == "team":
            teams = self.tree.get(dest["team_id"], {dest["team_id"]})
            found = [p for p in with_role if p.team_id in teams]
            key = f"team:{dest['team_id']}" + (f":{role}" if role else "")
        elif kind == "region_team":
            region = (facts.get("region") or "").strip()
            found = [p for p in with_role if region and p.team_region.casefold() == region.casefold()]
            key = f"{role}:{region.lower()}"
            if not found:
                note = f"no {role} in region {region!r}: all of them" if region else f"no region: all {role}s"
                found, key = with_role, f"{role}:all"
        elif kind == "director":
            region = (facts.get("region") or "").strip()
            directors = [p for p in self.people.values() if Role.SALES_DIRECTOR in p.roles]
            found = [p for p in directors if region and p.team_region.casefold() == region.casefold()]
            key = f"director:{region.lower() or 'none'}"
            if not found:
                note = f"no sales director for region {region!r}" if region else "the lead has no region"
        else:  # role
            found, key = with_role, f"role:{role}"
        return dest.get("pool") or key, sorted(found, key=lambda p: p.pk), note


_LEAVE_FIELDS = [Leave._meta.get_field(name) for name in ("user", "starts_at", "ends_at")]


@dataclass
class _Eligibility:
    """Member facts for eligibility, read in bulk for the people a batch may choose."""

    kind: str
    org: _Org
    user_ids: set[int]
    at: datetime
    leaves: dict[int, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    listed: set[int] | None = None  # None: no list this month
    month: str = ""
    today: dict[int, int] = field(default_factory=dict)
    open: dict[int, int] = field(default_factory=dict)
    calendars: dict = field(default_factory=dict)
    read: set = field(default_factory=set)

    def prepare(self, rules: Sequence[core.Rule], ats: Sequence[datetime]) -> None:
        ids = self.user_ids
        first, last = min(ats), max(ats)
        if ids:
            adapt = connection.ops.adapt_datetimefield_value
            for user_id, starts_at, ends_at in rows_read(
                f"SELECT user_id, starts_at, ends_at FROM {connection.ops.quote_name(Leave._meta.db_table)} "  # noqa: S608
                f"WHERE starts_at <= %s AND ends_at > %s AND user_id IN ({', '.join(['%s'] * len(ids))})",
                [adapt(last), adapt(first), *sorted(ids)], _LEAVE_FIELDS,
            ):  # fmt: skip
                self.leaves.setdefault(user_id, []).append((starts_at, ends_at))
        wants = {k for r in rules for k, v in r.options.items() if v}
        if "eligible_list" in wants or self.kind == RoutingPolicy.Kind.HANDOFF:
            self.month = last.astimezone(self.org.tz).strftime("%Y-%m")
            listed = set(EligibleListEntry.objects.filter(month=self.month).values_list("user_id", flat=True))
            self.listed = listed or None
        if "cap_per_day" in wants:
            start = last.astimezone(self.org.tz).replace(hour=0, minute=0, second=0, microsecond=0)
            self.today = dict(
                RoutingDecision.objects.filter(chosen_id__in=ids, kind=self.kind, decided_at__gte=start,
                                               decided_at__lte=last)
                .values("chosen_id").annotate(n=Count("id")).values_list("chosen_id", "n")
            )  # fmt: skip
        if "cap_open" in wants or any(r.strategy == core.LEAST_LOADED or r.options.get("then") == core.LEAST_LOADED
                                      for r in rules):  # fmt: skip
            self.open = open_items(self.kind, ids)
        if "working_hours" in wants:
            from baton.sla.services import team_calendars_built

            self.calendars = team_calendars_built(
                {self.org.people[u].team_id for u in ids if u in self.org.people}
            )

    def requirements(self, rule: core.Rule) -> core.Requirements:
        o = rule.options
        return core.Requirements(
            eligible_list=o.get("eligible_list", self.kind == "handoff"), working_hours=o.get("working_hours", False),
            cap_per_day=o.get("cap_per_day"), cap_open=o.get("cap_open"), month=self.month,
        )  # fmt: skip

    def reason(self, person: Person, at: datetime, req: core.Requirements) -> str:
        working = None
        if req.working_hours:
            cal = self.calendars.get(person.team_id)
            working = is_working(cal, at) if cal is not None else None
        facts = core.MemberFacts(
            out_of_office=person.out_of_office, leave_until=max((end for start, end in self.leaves.get(person.pk, ()) if start <= at < end), default=None),
            suspended_until=person.suspended_until,
            on_eligible_list=None if self.listed is None else person.pk in self.listed, working_now=working,
            assigned_today=self.today.get(person.pk, 0), open_items=self.open.get(person.pk, 0),
        )  # fmt: skip
        return core.skip_reason(facts, at, req)

    def count(self, user_id: int) -> None:
        self.today[user_id] = self.today.get(user_id, 0) + 1
        self.open[user_id] = self.open.get(user_id, 0) + 1


def open_items(kind: str, user_ids) -> dict[int, int]:
    """Open leads (new or working) each SDR owns, or pending handoffs each AE holds."""
    if kind == RoutingPolicy.Kind.HANDOFF:
        from baton.handoffs.models import Handoff

        query = Handoff.objects.filter(ae_id__in=user_ids, status=Handoff.Status.PENDING).values("ae_id")
        return dict(query.annotate(n=Count("id")).values_list("ae_id", "n"))
    from baton.leads.models import Lead

    query = Lead.objects.filter(owner_id__in=user_ids, status__in=("new", "working"), merged_into=None)
    return dict(query.values("owner_id").annotate(n=Count("id")).values_list("owner_id", "n"))


# --- Pools ----------------------------------------------------------------------------------------------


class _Pool:
    """One destination's tallies, locked for the batch (or copied, for a replay)."""

    def __init__(self, key: str, members: list[Person], *, weights: dict[str, float], dry_run: bool):
        self.key, self.members, self.dry_run = key, members, dry_run
        self.weights = {p.pk: weights.get(p.username, 1.0) for p in members}
        if dry_run:
            row = RoutingPool.objects.filter(key=key).first() or RoutingPool(key=key, seq=0)
        else:
            row = _pool_locked(key)
            if row is None:
                RoutingPool.objects.get_or_create(key=key)
                row = _pool_locked(key)
        self.row = row
        ids = [p.pk for p in members]
        # Read after the pool's row is locked (its own statement: a join would see the tallies as they
        # were before the lock was granted).
        self.tallies = {t.user_id: t for t in _tallies(row.pk, ids)} if ids and row.pk else {}
        missing = [p for p in members if p.pk not in self.tallies]
        if missing:
            known = [(t.count, self.weights[u]) for u, t in self.tallies.items()]
            fresh = [RoutingTally(pool=row if not dry_run else None, user_id=p.pk,
                                  count=core.starting_tally(known, self.weights[p.pk])) for p in missing]  # fmt: skip
            if not dry_run:
                fresh = rows_insert(RoutingTally, fresh)
            self.tallies.update({t.user_id: t for t in fresh})
        self.touched: dict[int, RoutingTally] = {}

    def candidates(self, reasons: dict[int, str], loads: dict[int, int]) -> list[core.Candidate]:
        return [
            core.Candidate(p.pk, p.username, self.tallies[p.pk].count, self.tallies[p.pk].last_seq,
                           reasons.get(p.pk, ""), self.weights[p.pk], loads.get(p.pk, 0))
            for p in self.members
        ]  # fmt: skip

    def pick(
        self, reasons: dict[int, str], loads: dict[int, int], n: int, strategy: str
    ) -> list[core.Decision]:
        decisions = core.choose_many(
            self.key, self.candidates(reasons, loads), n, seq=self.row.seq, strategy=strategy
        )
        for d in decisions:
            if d.chosen_user_id is not None:
                self.row.seq += 1
                tally = self.tallies[d.chosen_user_id]
                tally.count += 1
                tally.last_seq = self.row.seq
                self.touched[d.chosen_user_id] = tally
        return decisions

    def flush(self) -> None:
        if self.dry_run or not self.touched:
            return
        rows_update(RoutingPool, [self.row], ["seq"])
        rows_update(RoutingTally, list(self.touched.values()), ["count", "last_seq"])


def _pool_locked(key: str) -> RoutingPool | None:
    """The pool's row, locked until the transaction ends (SELECT … FOR UPDATE on PostgreSQL; SQLite's
    writers are serialised already). A plain statement: this runs on every capture."""
    q = connection.ops.quote_name
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    found = rows_read(f"SELECT {q('id')}, {q('seq')} FROM {q(RoutingPool._meta.db_table)} WHERE {q('key')} = %s{lock}",  # noqa: S608
                      [key], [RoutingPool._meta.pk, RoutingPool._meta.get_field("seq")])  # fmt: skip
    if not found:
        return None
    row = RoutingPool(pk=found[0][0], key=key, seq=found[0][1])
    row._state.adding = False
    return row


def _tallies(pool_id: int, user_ids: Sequence[int]) -> list[RoutingTally]:
    q = connection.ops.quote_name
    rows = rows_read(
        f"SELECT {q('id')}, {q('user_id')}, {q('count')}, {q('last_seq')} FROM {q(RoutingTally._meta.db_table)} "  # noqa: S608
        f"WHERE {q('pool_id')} = %s AND {q('user_id')} IN ({', '.join(['%s'] * len(user_ids))})",
        [pool_id, *user_ids], [RoutingTally._meta.get_field(f) for f in ("id", "user", "count", "last_seq")],
    )  # fmt: skip
    tallies = [RoutingTally(pk=pk, pool_id=pool_id, user_id=user_id, count=count, last_seq=last_seq)
               for pk, user_id, count, last_seq in rows]  # fmt: skip
    for t in tallies:
        t._state.adding = False
    return tallies


# --- Deciding -------------------------------------------------------------------------------------------


@dataclass
class Routed:
    """A routing outcome for one item: the core decision plus where it came from."""

    decision: core.Decision
    pool: str
    rule: str
    version: int | None
    queue: str = ""  # the item goes to a queue (the public pool), not to a person
    dispatch: bool = False  # the chosen person is a director who dispatches it
    person: Person | None = None  # the chosen person

    @property
    def chosen_id(self) -> int | None:
        return self.decision.chosen_user_id

    chosen_user_id = chosen_id

    @property
    def explanation(self) -> dict:
        return self.decision.explanation


def lead_facts(leads: Sequence, policy: core.Policy | None = None) -> list[dict]:
    """The facts rules look at, for Lead objects (tags and account owners only when a rule needs them)."""
    from baton.leads.models import Lead

    needs_tags = policy is None or any(c.field == "tags" for r in policy.rules for c in r.conditions)
    tags: dict[int, list[str]] = defaultdict(list)
    if needs_tags and leads:
        from baton.tags.models import LeadTag

        for lead_id, key in LeadTag.objects.filter(lead_id__in=[lead.pk for lead in leads]).values_list(
            "lead_id", "tag__key"
        ):
            tags[lead_id].append(key)
    out = []
    for lead in leads:
        facts = {name: getattr(lead, name, None) for name in core.FIELDS if hasattr(Lead, name)}
        facts.update(extra=lead.extra or {}, tags=tags.get(lead.pk, []), has_account=lead.account_id is not None,
                     fit_grade=(lead.grade or "")[:1], account_id=lead.account_id,
                     product_line=(lead.extra or {}).get("product_line", ""), lead_id=lead.pk)  # fmt: skip
        out.append(facts)
    return out


def _owners(strategy: str, facts: Sequence[dict]) -> dict[int, tuple[int | None, str]]:
    """For each item (by index), the owner the strategy names and what they own."""
    found: dict[int, tuple[int | None, str]] = {}
    if strategy == core.ACCOUNT_OWNER:
        from baton.leads.models import Account

        ids = {f.get("account_id") for f in facts if f.get("account_id")}
        accounts = {pk: (owner, name) for pk, owner, name in Account.objects.filter(pk__in=ids).values_list(
            "pk", "owner_id", "name")}  # fmt: skip
        for i, f in enumerate(facts):
            owner, name = accounts.get(f.get("account_id"), (None, ""))
            found[i] = (owner, f"the account {name}" if name else "")
    elif strategy == core.TERRITORY_OWNER:
        territories = sorted(
            Territory.objects.filter(active=True).values_list(
                "name", "owner_id", "regions", "cities", "industries"
            ),
            key=lambda t: (-sum(bool(x) for x in t[2:]), t[0]),
        )  # the most specific territory first
        for i, f in enumerate(facts):
            found[i] = (None, "")
            for name, owner, regions, cities, industries in territories:
                if all(not allowed or (f.get(attr) or "").casefold() in {a.casefold() for a in allowed}
                       for attr, allowed in (("region", regions), ("city", cities), ("industry", industries))):  # fmt: skip
                    found[i] = (owner, f"the territory {name}")
                    break
    return found


def routing_decide(kind: str, facts: Sequence[dict], ats: Sequence[datetime], *, dry_run: bool = False,
                   policy: ActivePolicy | None = None, exclude: Sequence[set[int]] | None = None) -> list[Routed]:  # fmt: skip
    """Decide where each item goes, in order, under the policy (the active one unless given).

    Pools are locked and their tallies updated unless ``dry_run`` (a replay). Items whose rule finds
    nobody eligible try the fallback rule; if that finds nobody either, their decision names nobody and
    says why."""
    if not facts:
        return []
    active = policy or policy_active(kind)
    pol = active.policy
    org = _Org.load()
    matched = [core.policy_match(pol, f) for f in facts]
    # The pools the batch may use: each item's rule and the fallback.
    plans = []  # per item: [(rule, pool key, members, note)] in the order to try
    all_members: set[int] = set()
    for (rule, trace), f in zip(matched, facts, strict=True):
        steps = []
        for r in (rule, pol.fallback) if rule is not pol.fallback else (rule,):
            if r.destination.get("type") == "queue":
                steps.append((r, "", [], ""))
                continue
            key, members, note = org.members(r.destination, f)
            steps.append((r, key, members, note))
            all_members |= {p.pk for p in members}
            if r.destination.get("type") == "region_team":  # may widen to the role anywhere (see _widen)
                all_members |= {p.pk for p in org.people.values() if r.destination.get("role") in p.roles}
        plans.append((steps, trace))
    owners: dict[str, dict[int, tuple[int | None, str]]] = {}
    for strategy in {s[0].strategy for steps, _ in plans for s in steps} & set(core.OWNER_STRATEGIES):
        owners[strategy] = _owners(strategy, facts)
        all_members |= {owner for owner, _ in owners[strategy].values() if owner is not None}
    elig = _Eligibility(kind, org, all_members, max(ats))
    elig.prepare([s[0] for steps, _ in plans for s in steps], ats)
    pools: dict[str, _Pool] = {}

    def pool_of(key: str, members: list[Person], rule: core.Rule) -> _Pool:
        if key not in pools:
            pools[key] = _Pool(key, members, weights=rule.options.get("weights", {}), dry_run=dry_run)
        return pools[key]

    def finish(steps: list, trace: list, routed: Routed, tried: list) -> Routed:
        explanation = routed.decision.explanation
        explanation.update(policy_version=active.version, rule=routed.rule,
                           rule_name=next(s[0].name for s in steps if s[0].key == routed.rule), trace=trace)  # fmt: skip
        if tried and (routed.chosen_id is not None or routed.queue):
            explanation["fell_back"] = tried
            if routed.queue:
                explanation["skipped"] = [s for t in tried for s in t.get("skipped", [])]
                explanation["why"] = (
                    f"{'; '.join(t['why'] for t in tried if t['why'])}; then {explanation['why']}"
                )
        elif tried and routed.chosen_id is None and not routed.queue:
            explanation["why"] = "; then ".join(t["why"] for t in tried if t["why"]) or explanation.get(
                "why", ""
            )
        return routed

    def one(i: int, steps: list, trace: list, at: datetime) -> Routed:
        tried, routed = [], None
        for rule, key, members, note in steps:
            if rule.destination.get("type") == "queue":
                queue = rule.destination["queue"]
                routed = Routed(core.Decision(None, {
                    "strategy": "queue", "queue": queue, "chosen": None, "candidates": [], "skipped": [],
                    "why": f"rule '{rule.name}' sends it to the {queue.replace('_', ' ')}",
                }), queue, rule.key, active.version, queue=queue)  # fmt: skip
                break
            req = elig.requirements(rule)
            reasons = reasons_of(members, at, req, i)
            pool = pool_of(key, members, rule)
            strategy = rule.strategy
            then = rule.options.get("then", core.ROUND_ROBIN)
            if strategy in core.OWNER_STRATEGIES:
                owner_id, label = owners[strategy].get(i, (None, ""))
                owner = None
                if owner_id is not None:
                    person, tally = org.people.get(owner_id), pool.tallies.get(owner_id)
                    owner = core.Candidate(
                        owner_id, person.username if person else str(owner_id), tally.count if tally else 0,
                        tally.last_seq if tally else 0,
                        ("being re-routed away from them" if exclude and owner_id in exclude[i] else
                         elig.reason(person, at, req)) if person else "inactive or removed",
                    )  # fmt: skip
                if owner is not None and not owner.skip_reason:
                    decision = core.owner_decision(strategy, owner, label, core.Decision(None, {"pool": key}))
                else:
                    decision = core.owner_decision(
                        strategy, owner, label, pool.pick(reasons, elig.open, 1, then)[0]
                    )
            else:
                decision = pool.pick(
                    reasons, elig.open, 1, then if strategy == core.DIRECTOR_DISPATCH else strategy
                )[0]
                wide = _widen(rule, key, decision)
                if wide is not None:  # nobody in the region can take it now: the same role anywhere
                    wkey, wmembers = wide
                    wreasons = reasons_of(wmembers, at, req, i)
                    widened = pool_of(wkey, wmembers, rule).pick(wreasons, elig.open, 1, strategy)[0]
                    if widened.chosen_user_id is not None:
                        note = f"nobody in {key} could take it ({decision.explanation.get('why', '')}): all of them"
                        key, decision = wkey, widened
            if note:
                decision.explanation["note"] = note
            if decision.chosen_user_id is not None:
                elig.count(decision.chosen_user_id)
                if strategy == core.DIRECTOR_DISPATCH:
                    decision.explanation["strategy"] = core.DIRECTOR_DISPATCH
                    decision.explanation["why"] = (f"{decision.explanation['chosen']} is the regional director: "
                                                   "they dispatch it to a rep")  # fmt: skip
                routed = Routed(
                    decision, key, rule.key, active.version, dispatch=strategy == core.DIRECTOR_DISPATCH
                )
                break
            why = decision.explanation.get("why", "")
            tried.append({"rule": rule.key, "pool": key, "why": f"{note}: {why}" if note else why,
                          "skipped": decision.explanation.get("skipped", [])})  # fmt: skip
            routed = Routed(decision, key, rule.key, active.version)
        assert routed is not None
        return finish(steps, trace, routed, tried)

    def reasons_of(members: list[Person], at: datetime, req: core.Requirements, i: int) -> dict[int, str]:
        reasons = {p.pk: elig.reason(p, at, req) for p in members}
        for away in exclude[i] if exclude else ():
            if away in reasons:
                reasons[away] = "being re-routed away from them"
        return reasons

    def _widen(rule: core.Rule, key: str, decision: core.Decision) -> tuple[str, list[Person]] | None:
        dest = rule.destination
        if decision.chosen_user_id is not None or dest.get("type") != "region_team" or dest.get("pool"):
            return None
        wkey = f"{dest['role']}:all"
        if key == wkey:
            return None
        return wkey, sorted((p for p in org.people.values() if dest["role"] in p.roles), key=lambda p: p.pk)

    def batchable(step: tuple) -> bool:
        rule = step[0]
        return (rule.destination.get("type") != "queue" and rule.strategy in (core.ROUND_ROBIN, core.WEIGHTED)
                and not any(rule.options.get(k) for k in ("cap_per_day", "cap_open")))  # fmt: skip

    results: list[Routed] = []
    # No savepoint: a failure here fails the caller's transaction anyway (the pools' writes are part of it).
    with transaction.atomic(savepoint=False):
        i, n = 0, len(plans)
        while i < n:
            steps, trace = plans[i]
            first, at = steps[0], ats[i]
            if batchable(first) and not exclude:
                # A run of items with the same rule, pool and instant is decided in one pass.
                j = i + 1
                while (
                    j < n and ats[j] == at and plans[j][0][0][0] is first[0] and plans[j][0][0][1] == first[1]
                ):
                    j += 1
                rule, key, members, note = first
                req = elig.requirements(rule)
                reasons = reasons_of(members, at, req, i)
                pool = pool_of(key, members, rule)
                if any(not r for r in reasons.values()):
                    for k, decision in enumerate(
                        pool.pick(reasons, elig.open, j - i, rule.strategy), start=i
                    ):
                        if note:
                            decision.explanation["note"] = note
                        elig.count(decision.chosen_user_id)
                        results.append(finish(plans[k][0], plans[k][1],
                                              Routed(decision, key, rule.key, active.version), []))  # fmt: skip
                    i = j
                    continue
            results.append(one(i, steps, trace, at))
            i += 1
        for pool in pools.values():
            pool.flush()
    for routed in results:
        if routed.chosen_id is not None:
            routed.person = org.people.get(routed.chosen_id)
    return results


# --- Applying decisions ---------------------------------------------------------------------------------


def _record(
    kind: str, items: Sequence, routed: Sequence[Routed], ats: Sequence[datetime]
) -> list[RoutingDecision]:
    records = rows_insert(RoutingDecision, [
        RoutingDecision(lead=lead, kind=kind, pool=r.pool, chosen_id=r.chosen_id, explanation=r.decision.explanation,
                        decided_at=at, policy_version=r.version, rule=r.rule)
        for lead, r, at in zip(items, routed, ats, strict=True)
    ])  # fmt: skip
    users: dict[int, User] = {}  # one object per person, however many items they got
    for record, r in zip(records, routed, strict=True):
        if r.person is not None:
            record.chosen = users.get(r.person.pk) or users.setdefault(r.person.pk, r.person.as_user())
    return records


@transaction.atomic(savepoint=False)
def route_leads(
    leads: Sequence, *, ats: Sequence[datetime] | None = None, notify: bool = True
) -> list[RoutingDecision]:
    """Assign inbound leads, in order, by the active lead routing policy.

    ``notify=False`` leaves the per-lead notifications to the caller (an import sends one summary)."""
    from baton.leads.services import leads_assign_from_routing

    if not leads:
        return []
    ats = list(ats) if ats is not None else [clock.now()] * len(leads)
    active = policy_active(RoutingPolicy.Kind.LEAD)
    routed = routing_decide(RoutingPolicy.Kind.LEAD, lead_facts(leads, active.policy), ats, policy=active)
    records = _record(RoutingDecision.Kind.LEAD, leads, routed, ats)
    leads_assign_from_routing(leads, records, ats=ats, notify=notify)
    failed = [
        (lead, r)
        for lead, r in zip(leads, records, strict=True)
        if r.chosen_id is None and not r.explanation.get("queue")
    ]
    if failed:
        _tell_managers(failed, at=max(ats))
    return records


def route_lead(lead, *, at: datetime | None = None) -> RoutingDecision:
    """Assign an inbound lead by the active lead routing policy."""
    return route_leads([lead], ats=[at or clock.now()])[0]


def route_handoff(lead, *, at: datetime, exclude: Q | None = None) -> RoutingDecision:
    """Choose the AE (or the regional director who dispatches) for a handoff (caller holds the transaction)."""
    active = policy_active(RoutingPolicy.Kind.HANDOFF)
    routed = routing_decide(
        RoutingPolicy.Kind.HANDOFF, lead_facts([lead], active.policy), [at], policy=active
    )
    return _record(RoutingDecision.Kind.HANDOFF, [lead], routed, [at])[0]


def _tell_managers(failed: Sequence, *, at: datetime) -> None:
    """Leads nobody could take: the SDR director(s) and ops admins hear at once, with the reason."""
    from baton.notifications.services import NotificationRequest, notifications_send

    watchers = set(RoleAssignment.objects.filter(role__in=(Role.SDR_DIRECTOR, Role.OPS_ADMIN), user__is_active=True)
                   .values_list("user_id", flat=True))  # fmt: skip
    if not watchers:
        return
    why = failed[0][1].explanation.get("why", "")
    link = f"/leads/{failed[0][0].pk}/" if len(failed) == 1 else "/routing/unrouted/"
    notifications_send([
        NotificationRequest(u, "routing_unrouted", {"count": len(failed), "why": why}, link=link, at=at) for u in sorted(watchers)
    ])  # fmt: skip


# --- Replay ---------------------------------------------------------------------------------------------


@dataclass
class ReplayRow:
    lead_id: int
    lead: str
    decided_at: datetime
    actual: str | None
    would: str | None
    rule: str
    why: str

    @property
    def changed(self) -> bool:
        return self.actual != self.would


@dataclass
class Replay:
    kind: str
    version: int | None
    rows: list[ReplayRow]
    actual: dict[str, int]
    would: dict[str, int]

    @property
    def changed(self) -> int:
        return sum(r.changed for r in self.rows)


def policy_replay(
    kind: str, definition: dict | None = None, *, version: int | None = None, last: int = 200
) -> Replay:
    """Who would have got the last ``last`` routed items under this policy (a draft's definition or a
    stored version), starting from the pools' current tallies and today's eligibility. Writes nothing."""
    _check_kind(kind)
    if not 1 <= last <= 5000:
        raise InvalidInput("replay between 1 and 5,000 items")
    if definition is None:
        row = RoutingPolicy.objects.filter(kind=kind, version=version).first() if version else None
        if row is None:
            raise NotFound(f"no {kind} routing policy version {version}")
        definition = row.definition
    policy = ActivePolicy(version, _parse(definition))
    from baton.leads.models import Lead

    decisions = list(
        RoutingDecision.objects.filter(kind=kind).order_by("-decided_at", "-id").values_list("lead_id", "chosen_id", "decided_at")[:last]
    )[::-1]  # fmt: skip
    leads = Lead.objects.in_bulk([d[0] for d in decisions])
    decisions = [d for d in decisions if d[0] in leads]
    names = dict(User.objects.values_list("pk", "username"))
    items = [leads[d[0]] for d in decisions]
    now = clock.now()
    routed = routing_decide(
        kind, lead_facts(items, policy.policy), [now] * len(items), dry_run=True, policy=policy
    )
    rows = [
        ReplayRow(lead.pk, str(lead), at, names.get(chosen), r.decision.explanation.get("chosen") or (r.queue or None),
                  r.decision.explanation.get("rule_name", r.rule), r.decision.explanation.get("why", ""))
        for lead, (_, chosen, at), r in zip(items, decisions, routed, strict=True)
    ]  # fmt: skip
    actual: dict[str, int] = defaultdict(int)
    would: dict[str, int] = defaultdict(int)
    for row in rows:
        actual[row.actual or "—"] += 1
        would[row.would or "—"] += 1
    return Replay(kind, version, rows, dict(actual), dict(would))


# --- Unrouted leads -------------------------------------------------------------------------------------


def unrouted_retry_due(at: datetime):
    """Inbound leads routing could not place, whose last attempt is older than the retry interval."""
    from baton.leads.models import Lead

    recent = RoutingDecision.objects.filter(
        kind=RoutingDecision.Kind.LEAD, chosen=None, decided_at__gt=at - RETRY_AFTER
    )
    return Lead.objects.filter(routed_at=None, direction=Lead.Direction.INBOUND, merged_into=None).exclude(
        pk__in=recent.values("lead_id")
    )


# --- Eligibility settings: the month's list, leave, territories -----------------------------------------


def _month(text: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text or ""):
        raise InvalidInput(f"a month is written YYYY-MM, not {text!r}")
    return text


def eligible_list_set(month: str, usernames: Sequence[str], *, actor) -> list[str]:
    """Replace the month's eligible list (an empty list removes it: everyone eligible again)."""
    from baton.org.services import audit_record

    month = _month(month)
    wanted = {u.strip() for u in usernames if u.strip()}
    found = dict(User.objects.filter(username__in=wanted).values_list("username", "pk"))
    unknown = sorted(wanted - set(found))
    if unknown:
        raise InvalidInput(
            f"unknown users: {', '.join(unknown)}; nothing was changed", details={"unknown": unknown}
        )
    now = clock.now()
    with transaction.atomic():
        EligibleListEntry.objects.filter(month=month).delete()
        rows_insert(EligibleListEntry, [EligibleListEntry(month=month, user_id=pk, added_by=actor, added_at=now)
                                        for pk in sorted(found.values())])  # fmt: skip
        audit_record(actor, "eligible_list.set", "eligible_list", month, {"users": sorted(found)}, at=now)
    return sorted(found)


def eligible_list(month: str) -> list[str]:
    month = _month(month)
    return sorted(EligibleListEntry.objects.filter(month=month).values_list("user__username", flat=True))


def leave_add(user: User, starts_at: datetime, ends_at: datetime, *, actor, note: str = "") -> Leave:
    from baton.org.services import audit_record

    if ends_at <= starts_at:
        raise InvalidInput("a leave ends after it starts")
    if ends_at - starts_at > timedelta(days=366):
        raise InvalidInput("a leave is at most a year; set the person inactive instead")
    leave = Leave.objects.create(
        user=user, starts_at=starts_at, ends_at=ends_at, note=note[:200], created_by=actor
    )
    audit_record(
        actor, "leave.add", "user", user.pk, {"from": starts_at.isoformat(), "to": ends_at.isoformat()}
    )
    return leave


def territory_save(name: str, owner: User, *, regions=(), cities=(), industries=(), actor) -> Territory:
    from baton.org.services import audit_record

    name = (name or "").strip()
    if not name:
        raise InvalidInput("a territory needs a name")
    lists = [[v.strip() for v in values if v and v.strip()] for values in (regions, cities, industries)]
    if not any(lists):
        raise InvalidInput(
            "a territory needs at least one region, city or industry, or it would own every lead"
        )
    territory = Territory.objects.filter(name=name).first() or Territory(name=name)
    territory.owner, (territory.regions, territory.cities, territory.industries) = owner, lists
    territory.active = True
    territory.save()
    audit_record(actor, "territory.save", "territory", territory.pk, {"name": name, "owner": owner.username})
    return territory


def people_skip_reasons(kind: str, users: Sequence[User], at: datetime) -> dict[int, str]:
    """Why each person cannot receive an item of this kind now, by the default requirements ("" if they
    can): the organisation and its eligibility facts read once for all of them."""
    org = _Org.load()
    elig = _Eligibility(kind, org, {u.pk for u in users}, at)
    rule = core.Rule("manual", "manual", (), {}, core.ROUND_ROBIN)
    elig.prepare([rule], [at])
    req = elig.requirements(rule)
    return {u.pk: elig.reason(org.people[u.pk], at, req) if u.pk in org.people else "inactive" for u in users}


def person_skip_reason(kind: str, user: User, at: datetime) -> str:
    return people_skip_reasons(kind, [user], at)[user.pk]


def dispatch_target_check(kind: str, director: User, to_user: User, at: datetime) -> None:
    """A director may dispatch to a rep who can take it now: not to themselves, not to another director
    (that would go round in circles). Raises with the reason otherwise."""
    from baton.org.models import MANAGER_ROLES

    if to_user.pk == director.pk:
        raise InvalidInput("dispatch goes to a rep, not back to yourself")
    if to_user.has_role(*MANAGER_ROLES) and not to_user.has_role(Role.AE):
        raise InvalidInput(
            f"{to_user.label} is a director: dispatching between directors would go round in circles; choose a rep"
        )
    if kind == RoutingPolicy.Kind.HANDOFF and not to_user.has_role(Role.AE):
        raise InvalidInput(f"{to_user.label} is not an account executive")
    reason = person_skip_reason(kind, to_user, at)
    if reason:
        noun = "handoffs" if kind == RoutingPolicy.Kind.HANDOFF else "leads"
        raise Conflict(f"{to_user.label} cannot receive {noun} now: {reason}", code="not_eligible")


def route_handoff_away(lead, *, at: datetime, exclude: set[int], why: str) -> RoutingDecision:
    """Choose another receiver for a handoff, never one of ``exclude`` (re-routing after a breach)."""
    active = policy_active(RoutingPolicy.Kind.HANDOFF)
    routed = routing_decide(RoutingPolicy.Kind.HANDOFF, lead_facts([lead], active.policy), [at], policy=active,
                            exclude=[exclude])  # fmt: skip
    routed[0].decision.explanation["rerouted"] = why
    return _record(RoutingDecision.Kind.HANDOFF, [lead], routed, [at])[0]


# --- A rep leaves -----------------------------------------------------------------------------------------


@dataclass
class Removal:
    username: str
    handoffs_moved: int
    handoffs_stuck: list[int]
    leads_rerouted: int
    leads_to_pool: int


def rep_remove(user: User, *, actor, at: datetime | None = None) -> Removal:
    """Deactivate a rep and hand their open work on, so nothing stalls: pending handoffs go to another
    receiver by the handoff policy, untouched new leads to another SDR by the lead policy, their other
    open leads (working, nurturing) to the public pool. Whatever nobody can take is listed, and their
    manager, the SDR directors and the ops admins are told."""
    from baton.handoffs.models import Handoff
    from baton.handoffs.services import handoffs_reroute
    from baton.leads.models import Lead, LeadEvent
    from baton.leads.services import leads_reroute
    from baton.notifications.services import NotificationRequest, notifications_send
    from baton.org.services import audit_record
    from baton.sla.services import clocks_stop

    at = at or clock.now()
    if actor is not None and not actor.is_admin:
        raise InvalidInput("only an ops admin can remove a rep")
    if actor is not None and actor.pk == user.pk:
        raise InvalidInput("you cannot remove yourself")
    if not user.is_active:
        raise Conflict(f"{user.label} was already removed", code="already_removed")
    why = f"{user.label} left the team"
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        pending = list(
            Handoff.objects.filter(ae=user, status=Handoff.Status.PENDING).values_list("pk", flat=True)
        )
        moved = handoffs_reroute(pending, at=at, why=why) if pending else 0
        stuck = list(Handoff.objects.filter(pk__in=pending, ae=user).values_list("pk", flat=True))
        open_leads = Lead.objects.filter(
            owner=user, merged_into=None, status__in=("new", "working", "nurturing")
        )
        untouched = list(open_leads.filter(status="new", first_touch_at=None).values_list("pk", flat=True))
        rerouted = leads_reroute(untouched, at=at, why=why) if untouched else 0
        rest = list(open_leads.values_list("pk", "cycle"))
        if rest:
            ids = [pk for pk, _ in rest]
            Lead.objects.filter(pk__in=ids).update(owner=None, owned_since=None)
            clocks_stop("reassigned", lead_ids=ids, at=at)
            rows_insert(LeadEvent, [
                LeadEvent(lead_id=pk, kind=LeadEvent.Kind.RECYCLED, occurred_at=at, cycle=cycle, reason=why,
                          data={"previous_owner_id": user.pk})
                for pk, cycle in rest
            ])  # fmt: skip
        audit_record(actor, "user.remove", "user", user.pk,
                     {"handoffs_moved": moved, "handoffs_stuck": stuck, "leads_rerouted": rerouted,
                      "leads_to_pool": len(rest)}, at=at)  # fmt: skip
        watchers = set(RoleAssignment.objects.filter(role__in=(Role.SDR_DIRECTOR, Role.OPS_ADMIN), user__is_active=True)
                       .values_list("user_id", flat=True)) | ({user.manager_id} if user.manager_id else set())  # fmt: skip
        params = {
            "who": user.label,
            "moved": moved,
            "stuck": len(stuck),
            "rerouted": rerouted,
            "pool": len(rest),
        }
        notifications_send([NotificationRequest(u, "rep_removed", params, link="/routing/unrouted/", at=at)
                            for u in sorted(watchers - {user.pk})])  # fmt: skip
    return Removal(user.username, moved, stuck, rerouted, len(rest))
