"""Writes on leads: capture, lifecycle transitions, touches, the public pool."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, DateTimeField, Q, Value, When
from rapidfuzz import fuzz, process

from baton import clock
from baton.core import dedupe, lifecycle, normalize
from baton.core.errors import InvalidInput, NotAllowed
from baton.core.lifecycle import LeadStatus
from baton.dbutil import newest_per_keys, rows_insert, rows_insert_values, rows_update, rows_where_in_keys
from baton.leads.models import Account, Lead, LeadEvent, Source, Touch, WebForm
from baton.notifications.services import NotificationRequest, notifications_send
from baton.org.models import OrgSettings

log = logging.getLogger(__name__)
FUZZY_MIN = 4  # shorter company keys are matched exactly only: "abc" ~ "abd" says nothing
BLOCK_CAP = 200  # accounts per fuzzy-matching block (the most recent)

# Choice sets, built once: TextChoices.values builds a new list on every access.
SOURCES = frozenset(Source.values)
SOURCE_LABELS = dict(Source.choices)
DIRECTIONS = frozenset(Lead.Direction.values)
CHANNELS = frozenset(Touch.Channel.values)
OUTCOMES = frozenset(Touch.Outcome.values)
TOUCH_DIRECTIONS = frozenset(Touch.Direction.values)

CAPTURE_FIELDS = (
    "name",
    "email",
    "phone",
    "company",
    "title",
    "industry",
    "company_size",
    "city",
    "region",
    "website",
    "source",
    "source_detail",
    "direction",
    "notes",
)
MAX_LEN = {
    "name": 200,
    "email": 254,
    "company": 200,
    "title": 200,
    "industry": 80,
    "city": 80,
    "region": 60,
    "website": 200,
    "source_detail": 200,
    "notes": 10000,
}


def capture_clean(data: dict, *, default_region: str = "CN", require_contact: bool = True) -> dict:
    """Validate and normalise capture input. Raises InvalidInput naming every bad field at once."""
    errors: dict[str, str] = {}
    unknown = sorted(set(data) - set(CAPTURE_FIELDS))
    if unknown:
        errors["_unknown"] = f"unknown field(s): {', '.join(unknown)}"
    clean: dict = {}
    for key in CAPTURE_FIELDS:
        value = data.get(key)
        if value is None:
            continue
        if key == "company_size":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                errors[key] = "must be a non-negative integer"
            else:
                clean[key] = value
            continue
        if not isinstance(value, str):
            errors[key] = "must be a string"
            continue
        value = value.strip()
        if key in MAX_LEN and len(value) > MAX_LEN[key]:
            errors[key] = f"longer than {MAX_LEN[key]} characters"
            continue
        clean[key] = value
    if not clean.get("name"):
        errors.setdefault("name", "is required")
    if require_contact and not clean.get("email") and not clean.get("phone"):
        errors.setdefault("email", "an e-mail or a phone number is required")
    if clean.get("email"):
        try:
            mail = normalize.email(clean["email"])
            clean["email"] = mail.address
            clean["_email_domain"] = "" if mail.free_mail else mail.domain
        except normalize.NormalisationError as exc:
            errors["email"] = exc.message
    if clean.get("phone"):
        try:
            clean["phone"] = normalize.phone(clean["phone"], default_region)
        except normalize.NormalisationError as exc:
            errors["phone"] = exc.message
    if clean.get("website"):
        clean["website_domain"] = normalize.domain_from_website(clean.pop("website"))
    if clean.get("title"):
        clean["seniority"] = normalize.seniority(clean["title"])
    source = clean.get("source", Source.OTHER)
    if source not in SOURCES:
        errors["source"] = f"unknown source {source!r}; expected one of {', '.join(Source.values)}"
    direction = clean.get("direction", Lead.Direction.INBOUND)
    if direction not in DIRECTIONS:
        errors["direction"] = "must be 'inbound' or 'outbound'"
    if errors:
        raise InvalidInput(
            "the lead is not valid: " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
            details={"fields": errors},
        )
    return clean


def _account_keys(clean: dict) -> tuple[str, str]:
    company = clean.get("company", "")
    domain = clean.get("website_domain") or clean.get("_email_domain", "")
    if "_company_key" in clean:  # computed by whoever cleaned it (the importer's reading process)
        return domain, clean["_company_key"]
    return domain, normalize.company_key(company) if company else ""


@dataclass(slots=True)
class AccountRef:
    """An account as matching reads and returns it: a plain record, not a model object (blocks and
    batches can be large). ``pk`` is None for an account the current batch is about to create."""

    pk: int | None
    name: str
    name_key: str
    domain: str
    owner_id: int | None


ACCOUNT_REF_COLUMNS = ("id", "name", "name_key", "domain", "owner_id")


def accounts_by_keys(domains, names) -> tuple[dict[str, AccountRef], dict[str, AccountRef]]:
    """Accounts by exact domain and by normalised name (the oldest wins each key); one query per 500 keys."""
    by_domain: dict[str, AccountRef] = {}
    by_name: dict[str, AccountRef] = {}
    rows = rows_where_in_keys(Account, {"domain": domains, "name_key": names}, ACCOUNT_REF_COLUMNS)
    for field, found in (("domain", by_domain), ("name_key", by_name)):
        for row in sorted(rows[field], key=lambda r: -r[0]):  # descending: the oldest account wins
            ref = AccountRef(*row)
            found[getattr(ref, field)] = ref
    return by_domain, by_name


@dataclass
class AccountMemo:
    """What account matching learned, kept from one batch to the next by a caller that is the only
    writer of its accounts for the while (an import: one transaction). Bounded: cleared when full."""

    by_domain: dict[str, AccountRef] = dataclass_field(default_factory=dict)
    by_name: dict[str, AccountRef] = dataclass_field(default_factory=dict)
    looked_up: set[tuple[str, str]] = dataclass_field(
        default_factory=set
    )  # ("d"|"n", key) asked of the database
    matched: dict[tuple[str, str], tuple[AccountRef | None, dict]] = dataclass_field(default_factory=dict)
    # Fuzzy-matching blocks ("h:" + first or "t:" + last characters of the name key): the newest
    # BLOCK_CAP accounts, oldest first, beside their name keys (what rapidfuzz scans).
    blocks: dict[str, tuple[list[AccountRef], list[str]]] = dataclass_field(default_factory=dict)
    limit: int = 500_000

    def trim(self) -> None:
        if len(self.looked_up) + len(self.matched) + len(self.blocks) > self.limit:
            for part in (self.by_domain, self.by_name, self.looked_up, self.matched, self.blocks):
                part.clear()

    def block_add(self, block_key: str, account: AccountRef) -> None:
        refs, names = self.blocks.setdefault(block_key, ([], []))
        refs.append(account)
        names.append(account.name_key)
        if len(refs) > BLOCK_CAP:
            del refs[0], names[0]


def accounts_match(
    cleaned: Sequence[dict], ats: Sequence[datetime], *, memo: AccountMemo | None = None
) -> list[AccountRef | None]:
    """Match each capture to an account and record how in ``clean["_account_match"]``.

    Exact domain first, then the normalised company name, then a similar name (core.dedupe.match_account:
    rapidfuzz ratio ≥ 90, owned accounts first, then recent activity), looked up by the first or last
    characters of the name key — never against all accounts. Captures whose company matches nothing get
    a new account, which later captures in the same batch match too. An account matched by name that
    has no domain yet takes the capture's domain. One query per key kind per 500 captures, one insert,
    one update; everything read and returned as plain records.
    """
    keys = [_account_keys(c) for c in cleaned]
    memo = memo if memo is not None else AccountMemo()
    memo.trim()
    matched_before = memo.matched
    domains = {d for d, k in keys if d and (d, k) not in matched_before and ("d", d) not in memo.looked_up}
    names = {k for d, k in keys if k and (d, k) not in matched_before and ("n", k) not in memo.looked_up}
    found_domain, found_name = accounts_by_keys(domains, names)
    memo.looked_up.update([("d", d) for d in domains] + [("n", k) for k in names])
    by_domain, by_name = memo.by_domain, memo.by_name
    by_domain.update(found_domain)
    by_name.update(found_name)
    # Fuzzy candidates, only for names no exact rule will match.
    unmatched = [
        (d, k) for d, k in keys
        if k and len(k) >= FUZZY_MIN and k not in by_name and d not in by_domain and (d, k) not in matched_before
    ]  # fmt: skip
    blocks = memo.blocks
    # The newest BLOCK_CAP accounts of each block: common starts and ends ("上海…", "…科技") would
    # otherwise bring back thousands. Read once (both kinds in one statement); accounts created later
    # are added as they are.
    wanted = {}
    for field_name, prefix, values in (
        ("name_head", "h", {k[:3] for _, k in unmatched}),
        ("name_tail", "t", {k[-3:] for _, k in unmatched}),
    ):
        wanted[field_name] = sorted(v for v in values if f"{prefix}:{v}" not in blocks)
        for value in wanted[field_name]:
            blocks[f"{prefix}:{value}"] = ([], [])
    found = newest_per_keys(Account, wanted, ACCOUNT_REF_COLUMNS, per_key=BLOCK_CAP)
    for field_name, prefix in (("name_head", "h"), ("name_tail", "t")):
        for row in reversed(found[field_name]):  # oldest first
            memo.block_add(f"{prefix}:{row[5]}", AccountRef(*row[:5]))
    out: list[AccountRef | None] = []
    new: list[tuple[AccountRef, tuple]] = []
    gained_domain: dict[int, AccountRef] = {}
    for clean, (domain, key), at in zip(cleaned, keys, ats, strict=True):
        if (domain, key) in matched_before:  # the same company again in this batch: the same answer
            account, match = matched_before[(domain, key)]
            clean["_account_match"] = match
            out.append(account)
            continue
        match = {"method": "none", "score": 0, "reasons": []}
        account = by_domain.get(domain) if domain else None
        if account is not None:
            match = {"method": "domain", "score": 100, "reasons": [f"same domain {domain}"]}
        elif key and (account := by_name.get(key)) is not None:
            match = {"method": "name", "score": 100, "reasons": [f"same company name key {key!r}"]}
        elif key and len(key) >= FUZZY_MIN:
            # rapidfuzz's C loop shortlists each block; match_account applies the rule and the tie-breakers.
            close: dict[int, AccountRef] = {}
            for block_key in (f"h:{key[:3]}", f"t:{key[-3:]}"):
                refs, block_names = blocks.get(block_key, ((), ()))
                for _, _, i in process.extract(key, block_names, scorer=fuzz.ratio,
                                               score_cutoff=dedupe.ACCOUNT_FUZZY_THRESHOLD, limit=None):  # fmt: skip
                    close[id(refs[i])] = refs[i]
            facts = {f"c{n}": a for n, a in enumerate(close.values())}
            found = dedupe.match_account(key, domain, [
                dedupe.AccountFacts(a.pk if a.pk is not None else f"new-{ref}", a.name_key, a.domain, a.owner_id)
                for ref, a in facts.items()
            ])  # fmt: skip
            if found is not None:
                by_id = {(a.pk if a.pk is not None else f"new-{ref}"): a for ref, a in facts.items()}
                account = by_id[found.account_id]
                match = {"method": found.method, "score": found.score, "reasons": list(found.reasons)}
        if account is not None and domain and not account.domain and match["method"] != "domain":
            account.domain = domain
            by_domain[domain] = account
            if account.pk is not None:
                gained_domain[account.pk] = account
        if account is None and clean.get("company"):
            account = AccountRef(None, clean["company"], key, domain, None)
            new.append((account, (clean["company"], key, key[:3], key[-3:], domain, clean.get("industry", ""),
                                  clean.get("city", ""), clean.get("region", ""), clean.get("company_size"), at)))  # fmt: skip
            match = {"method": "new", "score": 0, "reasons": ["no account matched: a new one"]}
            if domain:
                by_domain[domain] = account
            if key:
                by_name.setdefault(key, account)
                for block_key in (f"h:{key[:3]}", f"t:{key[-3:]}"):
                    if block_key in blocks:  # a block not read yet will be read with this account in it
                        memo.block_add(block_key, account)
        clean["_account_match"] = match
        if match["method"] != "new":
            matched_before[(domain, key)] = (account, match)
        elif domain or key:  # the next capture of this company matches the new account exactly
            matched_before[(domain, key)] = (account, (
                {"method": "domain", "score": 100, "reasons": [f"same domain {domain}"]} if domain else
                {"method": "name", "score": 100, "reasons": [f"same company name key {key!r}"]}))  # fmt: skip
        out.append(account)
    ids = rows_insert_values(
        Account,
        ("name", "name_key", "name_head", "name_tail", "domain", "industry", "city", "region", "headcount", "created_at"),
        [values for _, values in new],
    )  # fmt: skip
    for (account, _), pk in zip(new, ids, strict=True):
        account.pk = pk
    rows_update(Account, list(gained_domain.values()), ["domain"])
    return out


@transaction.atomic
def leads_create(
    cleaned: Sequence[dict], *, actors: Sequence | None = None, ats: Sequence[datetime] | None = None
) -> list[Lead]:
    """Store cleaned captures with their accounts and 'captured' events (one insert per table). The person
    becomes a contact when the lead converts (pipeline.opportunity_create)."""
    now = clock.now()
    ats = list(ats) if ats is not None else [now] * len(cleaned)
    actors = list(actors) if actors is not None else [None] * len(cleaned)
    accounts = accounts_match(cleaned, ats)
    leads = rows_insert(Lead,
        [
            Lead(**{k: v for k, v in c.items() if not k.startswith("_")}, account_id=account.pk if account else None,
                 created_at=at, status_changed_at=at, created_by=actor, account_match=c.get("_account_match", {}))
            for c, account, at, actor in zip(cleaned, accounts, ats, actors, strict=True)
        ]
    )  # fmt: skip
    rows_insert(
        LeadEvent,
        [
            LeadEvent(
                lead=lead,
                kind=LeadEvent.Kind.CAPTURED,
                occurred_at=at,
                actor=actor,
                to_status=LeadStatus.NEW,
                data={
                    "source": lead.source,
                    "direction": lead.direction,
                    "account": {"id": account.pk, "name": account.name} if account else None,
                    "account_match": lead.account_match,
                },
            )
            for lead, account, at, actor in zip(leads, accounts, ats, actors, strict=True)
        ],
    )
    return leads


def lead_create(clean: dict, *, actor=None, at: datetime | None = None) -> Lead:
    return leads_create([clean], actors=[actor], ats=[at or clock.now()])[0]


@dataclass(frozen=True, slots=True)
class CaptureRequest:
    data: dict
    actor: object = None  # the user who created an outbound lead (they own it); None for inbound
    at: datetime | None = None


MAX_LISTED = 10  # items named in a batch error's message; details holds them all


def _invalid_batch(errors: dict[int, InvalidInput], total: int) -> InvalidInput:
    if total == 1:
        return errors[0]
    return InvalidInput(
        f"{len(errors)} of {total} items are not valid, nothing was stored: "
        + "; ".join(f"item {i}: {exc.message}" for i, exc in list(errors.items())[:MAX_LISTED])
        + (f"; and {len(errors) - MAX_LISTED} more (see details)" if len(errors) > MAX_LISTED else ""),
        details={"items": {str(i): exc.details for i, exc in errors.items()}},
    )


def leads_capture(requests: Sequence[CaptureRequest]) -> list[Lead]:
    """Capture leads: all validated first (one bad item stores nothing), stored durably in one commit,
    checked for duplicates, then scored, routed and tagged together in a second transaction (the tag
    rules behind a savepoint: neither duplicates nor tags can fail the capture or its routing).

    If scoring or routing fails, the leads are still there, unrouted, and the sweep routes them later.
    """
    from baton.routing.services import route_leads
    from baton.scoring.services import leads_score

    if not requests:
        return []
    now = clock.now()
    region = OrgSettings.cached().default_phone_region
    cleaned, errors = [], {}
    for i, req in enumerate(requests):
        try:
            cleaned.append(capture_clean(req.data, default_region=region))
        except InvalidInput as exc:
            errors[i] = exc
    if errors:
        raise _invalid_batch(errors, len(requests))
    ats = [req.at or now for req in requests]
    leads = leads_create(cleaned, actors=[req.actor for req in requests], ats=ats)
    # Enrichment runs outside the scoring/routing transaction (a directory reload must not hold the
    # write lock); a lead it holds back is scored and routed by the sweep once enriched or timed out.
    from baton.enrichment.services import enrichment_before_routing

    _ready, waiting = enrichment_before_routing(leads, ats=ats)
    held = {lead.pk for lead in waiting}
    # Duplicates before the scoring/routing transaction: they look only at what the capture stored, read
    # without a transaction (and write one, rarely, when they find a pair): no lock held meanwhile.
    _duplicates_detect(leads, at=max(ats))
    try:
        with transaction.atomic():
            go = [(lead, at) for lead, at in zip(leads, ats, strict=True) if lead.pk not in held]
            leads_score([lead for lead, _ in go], trigger="captured", ats=[at for _, at in go])
            inbound = [(lead, at) for lead, at in go if lead.direction == Lead.Direction.INBOUND]
            if inbound:
                route_leads([lead for lead, _ in inbound], ats=[at for _, at in inbound])
            created = [(lead, req.actor, at) for lead, req, at in zip(leads, requests, ats, strict=True)
                       if lead.direction != Lead.Direction.INBOUND and req.actor is not None]  # fmt: skip
            for lead, actor, at in created:
                lead.owner, lead.routed_at, lead.owned_since = actor, at, at
            rows_update(Lead, [lead for lead, _, _ in created], ["owner", "routed_at", "owned_since"])
            _tag_rules_apply(leads, at=max(ats))  # after scoring and routing: rules may read their results
    except Exception:
        # The captures themselves are committed; the worker's sweep scores and routes them later.
        log.exception("scoring/routing of %d captured lead(s) failed; left for the sweep", len(leads))
        fresh = Lead.objects.in_bulk([lead.pk for lead in leads])
        leads = [fresh[lead.pk] for lead in leads]
        _tag_rules_apply(leads, at=max(ats))  # it was rolled back with the routing: on its own
    return leads


def _duplicates_detect(leads: Sequence[Lead], *, at: datetime) -> None:
    """Duplicate detection for captured leads: a capture never fails because of it."""
    from baton.leads.duplicates import duplicates_detect

    try:
        if transaction.get_connection().in_atomic_block:  # a caller's transaction: behind a savepoint
            with transaction.atomic():
                duplicates_detect(leads, at=at)
        else:
            duplicates_detect(leads, at=at)
    except Exception:
        log.exception("duplicate detection for %d captured lead(s) failed", len(leads))


def _tag_rules_apply(leads: Sequence[Lead], *, at: datetime) -> None:
    """The tag rules for captured leads (none active: no query), behind a savepoint: a capture and its
    routing never fail because of them."""
    from baton.tags.services import rules_active, tag_rules_apply

    if not rules_active():
        return
    try:
        with transaction.atomic():
            tag_rules_apply([lead.pk for lead in leads], at=at)
    except Exception:
        log.exception("tag rules for %d captured lead(s) failed", len(leads))


def lead_capture(data: dict, *, actor=None, at: datetime | None = None) -> Lead:
    """Capture one lead: stored durably first (its own commit), then scored and routed."""
    return leads_capture([CaptureRequest(data, actor, at)])[0]


def leads_assign_from_routing(
    leads: Sequence[Lead], decisions: Sequence, *, ats: Sequence[datetime], notify: bool = True
) -> None:
    """Apply routing decisions: owners, routed times, timeline entries and the SDRs' notifications."""
    events, notes = [], []
    for lead, decision, at in zip(leads, decisions, ats, strict=True):
        why = decision.explanation.get("why", "")
        if decision.chosen_id is None:
            if decision.explanation.get("queue"):  # a rule sends it to the public pool on purpose
                lead.routed_at = at
                events.append(LeadEvent(lead=lead, kind=LeadEvent.Kind.ROUTED, occurred_at=at, cycle=lead.cycle,
                                        reason=why, data={"decision_id": decision.pk, "to": None,
                                                          "queue": decision.explanation["queue"]}))  # fmt: skip
            else:  # nobody could take it: left unrouted, the sweep tries again and managers were told
                events.append(LeadEvent(lead=lead, kind=LeadEvent.Kind.ROUTING_FAILED, occurred_at=at,
                                        cycle=lead.cycle, reason=why, data={"decision_id": decision.pk}))  # fmt: skip
            continue
        lead.routed_at = at
        lead.owner_id, lead.owned_since = decision.chosen_id, at
        if type(decision).chosen.is_cached(decision):
            lead.owner = decision.chosen  # what routing read of the person: no query for it later
        events.append(
            LeadEvent(lead=lead, kind=LeadEvent.Kind.ROUTED, occurred_at=at, cycle=lead.cycle, reason=why,
                      data={"decision_id": decision.pk, "to": decision.explanation.get("chosen"),
                            "pool": decision.pool})
        )  # fmt: skip
        notes.append(
            NotificationRequest(decision.chosen_id, "lead_assigned",
                                {"lead": str(lead), "source": str(SOURCE_LABELS[lead.source])},
                                link=f"/leads/{lead.pk}/", lead=lead, at=at)
        )  # fmt: skip
    rows_update(Lead, leads, ["owner", "routed_at", "owned_since"])
    rows_insert(LeadEvent, events)
    # Speed to lead: from capture to the first touch; the wait before this assignment is the system's.
    from baton.sla.services import ClockStart, clocks_start

    def clock(lead: Lead, decision, at: datetime) -> ClockStart:
        if decision.explanation.get("strategy") == "director_dispatch":  # the director's own clock
            return ClockStart("director_dispatch", lead.pk, decision.chosen_id, at, actionable_at=at)
        return ClockStart("speed_to_lead", lead.pk, decision.chosen_id, lead.created_at, actionable_at=at)

    clocks_start([
        clock(lead, decision, at)
        for lead, decision, at in zip(leads, decisions, ats, strict=True)
        if decision.chosen_id is not None and lead.first_touch_at is None and lead.status == LeadStatus.NEW
        and lead.direction == Lead.Direction.INBOUND
    ])  # fmt: skip
    if notify:
        notifications_send(notes)


def lead_dispatch(lead: Lead, director, to_user, *, at: datetime | None = None) -> Lead:
    """A director passes a lead routing sent them (director dispatch) to a rep; the rep's own speed-to-lead
    clock starts now (the wait for the dispatch was the director's, on their dispatch clock)."""
    from baton.org.models import MANAGER_ROLES
    from baton.routing.models import RoutingDecision
    from baton.routing.services import dispatch_target_check
    from baton.sla.services import ClockStart, clocks_start, clocks_stop

    at = at or clock.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.owner_id != director.pk or not director.has_role(*MANAGER_ROLES):
            raise NotAllowed("only the director who holds this lead can dispatch it")
        dispatch_target_check("lead", director, to_user, at)
        record = RoutingDecision.objects.create(
            lead=lead, kind=RoutingDecision.Kind.LEAD, pool=f"dispatch:{director.username}", chosen=to_user,
            decided_at=at, rule="dispatch",
            explanation={"strategy": "director_dispatch", "chosen": to_user.username, "candidates": [],
                         "skipped": [], "why": f"dispatched by {director.label}"},
        )  # fmt: skip
        lead.owner_id, lead.owned_since = to_user.pk, at
        lead.save(update_fields=["owner", "owned_since"])
        LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.ROUTED, occurred_at=at, cycle=lead.cycle,
                                 actor=director, reason=f"dispatched to {to_user.label}",
                                 data={"decision_id": record.pk, "to": to_user.username})  # fmt: skip
        clocks_stop("dispatched", lead_ids=[lead.pk], at=at)
        if lead.first_touch_at is None and lead.status == LeadStatus.NEW:
            clocks_start([ClockStart("speed_to_lead", lead.pk, to_user.pk, at, actionable_at=at)])
        notifications_send([NotificationRequest(to_user.pk, "lead_assigned",
                                                {"lead": str(lead), "source": str(SOURCE_LABELS[lead.source])},
                                                link=f"/leads/{lead.pk}/", lead=lead, at=at)])  # fmt: skip
    return lead


def leads_reroute(lead_ids, *, at: datetime, why: str) -> int:
    """Move untouched leads whose SDR missed speed to lead to another SDR by the routing policy (never
    back to the one who missed). The old clock stops as missed; the new owner gets their own full target
    from now (else the next sweep would find it breached at once and move it again). A lead nobody else
    can take stays with its owner."""
    from baton.routing.models import RoutingDecision
    from baton.routing.services import _record, lead_facts, policy_active, routing_decide
    from baton.sla.services import ClockStart, clocks_start, clocks_stop

    leads = list(Lead.objects.filter(pk__in=list(lead_ids), first_touch_at=None, status=LeadStatus.NEW,
                                     merged_into=None).exclude(owner=None).order_by("pk"))  # fmt: skip
    if not leads:
        return 0
    with transaction.atomic():
        active = policy_active("lead")
        routed = routing_decide("lead", lead_facts(leads, active.policy), [at] * len(leads), policy=active,
                                exclude=[{lead.owner_id} for lead in leads])  # fmt: skip
        moving = [(lead, r) for lead, r in zip(leads, routed, strict=True) if r.chosen_id is not None]
        if not moving:
            return 0
        for _, r in moving:
            r.explanation["rerouted"] = why
        records = _record(RoutingDecision.Kind.LEAD, [lead for lead, _ in moving], [r for _, r in moving],
                          [at] * len(moving))  # fmt: skip
        clocks_stop("rerouted", lead_ids=[lead.pk for lead, _ in moving], at=at)
        events, notes = [], []
        for (lead, r), record in zip(moving, records, strict=True):
            previous = lead.owner_id
            lead.owner_id, lead.owned_since = r.chosen_id, at
            events.append(LeadEvent(lead=lead, kind=LeadEvent.Kind.ROUTED, occurred_at=at, cycle=lead.cycle,
                                    reason=f"re-routed: {why}; {r.explanation.get('why', '')}",
                                    data={"decision_id": record.pk, "to": r.explanation.get("chosen"),
                                          "from_user_id": previous, "pool": r.pool}))  # fmt: skip
            notes.append(NotificationRequest(r.chosen_id, "lead_assigned",
                                             {"lead": str(lead), "source": str(SOURCE_LABELS[lead.source])},
                                             link=f"/leads/{lead.pk}/", lead=lead, at=at))  # fmt: skip
        rows_update(Lead, [lead for lead, _ in moving], ["owner", "owned_since"])
        rows_insert(LeadEvent, events)
        clocks_start([ClockStart("speed_to_lead", lead.pk, r.chosen_id, at, actionable_at=at)
                      for lead, r in moving])  # fmt: skip
        notifications_send(notes)
    return len(moving)


def lead_assign_from_routing(lead: Lead, decision, *, at: datetime) -> None:
    leads_assign_from_routing([lead], [decision], ats=[at])


@dataclass(frozen=True, slots=True)
class TransitionRequest:
    lead: Lead
    to: str
    actor: object = None
    reason: str = ""
    at: datetime | None = None
    data: dict | None = None
    kind: str = LeadEvent.Kind.STATUS


TRANSITION_FIELDS = ("status", "status_changed_at", "cycle", "mql_in_cycle", "disqualified_reason")


def leads_transition(requests: Sequence[TransitionRequest]) -> list[Lead]:
    """Move leads to other statuses under the lifecycle rules, in order; append the events.

    The leads are locked and re-read first. One illegal move refuses the whole batch (nothing is
    written); several moves of the same lead apply one after the other.
    """
    if not requests:
        return []
    now = clock.now()
    with transaction.atomic():
        ids = sorted({req.lead.pk for req in requests})  # a fixed lock order: no deadlocks between batches
        locked = {
            lead.pk: lead for lead in Lead.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        }
        events = []
        for req in requests:
            lead = locked[req.lead.pk]
            at = req.at or now
            plan = lifecycle.plan_transition(
                lead.status, req.to, req.reason, had_mql_this_cycle=lead.mql_in_cycle
            )
            lead.status, lead.status_changed_at = plan.to_status.value, at
            if plan.starts_new_cycle:
                lead.cycle, lead.mql_in_cycle = lead.cycle + 1, False
            if plan.to_status == LeadStatus.MQL:
                lead.mql_in_cycle = True
            if plan.to_status == LeadStatus.DISQUALIFIED:
                lead.disqualified_reason = plan.reason
            events.append(
                LeadEvent(lead=lead, kind=req.kind, occurred_at=at, actor=req.actor,
                          from_status=plan.from_status.value, to_status=plan.to_status.value,
                          cycle=lead.cycle, reason=plan.reason, data=req.data or {})
            )  # fmt: skip
        rows_update(Lead, list(locked.values()), TRANSITION_FIELDS)
        rows_insert(LeadEvent, events)
    # The locked rows are the current ones: copy them into the callers' objects instead of reading again.
    for req in requests:
        current = locked[req.lead.pk]
        for field in Lead._meta.concrete_fields:
            setattr(req.lead, field.attname, getattr(current, field.attname))
    return [req.lead for req in requests]


def lead_transition(
    lead: Lead,
    to: str,
    *,
    actor=None,
    reason: str = "",
    at: datetime | None = None,
    data: dict | None = None,
    kind: str = LeadEvent.Kind.STATUS,
) -> Lead:
    """Move a lead to another status under the lifecycle rules; append the event. Locks the lead."""
    return leads_transition([TransitionRequest(lead, to, actor, reason, at, data, kind)])[0]


def can_work(user, lead: Lead) -> bool:
    return lead.owner_id == user.pk or user.is_admin


@dataclass(frozen=True, slots=True)
class TouchRequest:
    lead: Lead
    user: object
    channel: str
    outcome: str
    occurred_at: datetime | None = None
    duration_seconds: int = 0
    notes: str = ""
    direction: str = Touch.Direction.OUTBOUND


def _touch_errors(req: TouchRequest, occurred_at: datetime, now: datetime) -> dict[str, str]:
    errors = {}
    if req.channel not in CHANNELS:
        errors["channel"] = (
            f"unknown channel {req.channel!r}; expected one of {', '.join(Touch.Channel.values)}"
        )
    if req.outcome not in OUTCOMES:
        errors["outcome"] = (
            f"unknown outcome {req.outcome!r}; expected one of {', '.join(Touch.Outcome.values)}"
        )
    if req.direction not in TOUCH_DIRECTIONS:
        errors["direction"] = "must be 'outbound' or 'inbound'"
    if req.duration_seconds < 0:
        errors["duration_seconds"] = "must not be negative"
    if occurred_at > now:
        errors["occurred_at"] = "is in the future"
    if occurred_at < req.lead.created_at:
        errors["occurred_at"] = "is before the lead was created"
    return errors


def touches_log(requests: Sequence[TouchRequest]) -> list[Touch]:
    """Record calls, e-mails, messages and meetings with their real times, in bulk.

    All are validated first (one bad touch stores nothing). The first outbound touch of a new or
    nurtured lead starts work on it. A lead is rescored (once, at its latest such touch) when a
    touch adds to its behaviour: a reply, a real conversation, a meeting held, an inbound contact.
    """
    from baton.scoring.services import counts_as_behaviour, leads_score

    if not requests:
        return []
    now = clock.now()
    times = [req.occurred_at or now for req in requests]
    errors = {}
    for i, (req, occurred_at) in enumerate(zip(requests, times, strict=True)):
        fields = _touch_errors(req, occurred_at, now)
        if fields:
            errors[i] = InvalidInput(
                "the touch is not valid: " + "; ".join(f"{k}: {v}" for k, v in fields.items()),
                details={"fields": fields},
            )
    if errors:
        raise _invalid_batch(errors, len(requests))
    for req in requests:
        if not can_work(req.user, req.lead) and not req.user.has_role("ae") and req.lead.owner_id is not None:
            raise NotAllowed("only the lead's owner may log touches on it")
    with transaction.atomic():
        touches = rows_insert(Touch,
            [
                Touch(lead=req.lead, user=req.user, channel=req.channel, direction=req.direction,
                      outcome=req.outcome, duration_seconds=req.duration_seconds, occurred_at=at,
                      recorded_at=now, notes=req.notes, meaningful=_meaningful(req))
                for req, at in zip(requests, times, strict=True)
            ]
        )  # fmt: skip
        rows_insert(LeadEvent,
            [
                LeadEvent(lead=req.lead, kind=LeadEvent.Kind.TOUCH, occurred_at=at, actor=req.user,
                          cycle=req.lead.cycle,
                          data={"touch_id": touch.pk, "channel": req.channel, "outcome": req.outcome,
                                "direction": req.direction, "duration_seconds": req.duration_seconds})
                for req, at, touch in zip(requests, times, touches, strict=True)
            ]
        )  # fmt: skip
        first: dict[int, datetime] = {}
        starts: dict[int, TransitionRequest] = {}
        latest: dict[int, tuple[Lead, datetime]] = {}
        for req, at in sorted(zip(requests, times, strict=True), key=lambda pair: pair[1]):
            lead = req.lead
            if counts_as_behaviour(outcome=req.outcome, duration_seconds=req.duration_seconds,
                                   direction=req.direction):  # fmt: skip
                latest[lead.pk] = (lead, at)
            if req.direction != Touch.Direction.OUTBOUND:
                continue
            if lead.first_touch_at is None or at < lead.first_touch_at:
                first.setdefault(lead.pk, at)
                lead.first_touch_at = at
            if lead.status in (LeadStatus.NEW, LeadStatus.NURTURING) and lead.pk not in starts:
                starts[lead.pk] = TransitionRequest(lead, LeadStatus.WORKING, req.user, "touch", at)
        if first:
            # Conditional: a back-filled earlier touch wins, a concurrent later one does not overwrite.
            new = Case(
                *[When(pk=pk, then=Value(at)) for pk, at in first.items()], output_field=DateTimeField()
            )
            Lead.objects.filter(pk__in=list(first)).filter(
                Q(first_touch_at=None) | Q(first_touch_at__gt=new)
            ).update(first_touch_at=new)
            from baton.sla.services import clocks_stop

            clocks_stop("first_touch", at_by_lead=first)
        leads_transition(list(starts.values()))
        scored = list(latest.values())
        leads_score([lead for lead, _ in scored], trigger="touch", ats=[at for _, at in scored])
    return touches


def _meaningful(req: TouchRequest) -> bool:
    return (
        req.channel == Touch.Channel.CALL
        and req.outcome == Touch.Outcome.CONNECTED
        and req.duration_seconds >= 120
    ) or req.outcome == Touch.Outcome.REPLIED


def touch_log(
    lead: Lead,
    user,
    *,
    channel: str,
    outcome: str,
    occurred_at: datetime | None = None,
    duration_seconds: int = 0,
    notes: str = "",
    direction: str = Touch.Direction.OUTBOUND,
) -> Touch:
    """Record a call, e-mail, message or meeting with its real time; the first outbound touch starts work."""
    req = TouchRequest(lead, user, channel, outcome, occurred_at, duration_seconds, notes, direction)
    return touches_log([req])[0]


@transaction.atomic
def lead_claim(lead: Lead, user, *, at: datetime | None = None) -> Lead:
    """Take a lead from the public pool, within the per-SDR claim limit (OrgSettings.pool_claims_per_day)."""
    at = at or clock.now()
    limit = OrgSettings.get().pool_claims_per_day
    if limit:
        recent = LeadEvent.objects.filter(
            kind=LeadEvent.Kind.CLAIMED, actor=user, occurred_at__gt=at - timedelta(hours=24)
        ).count()
        if recent >= limit:
            raise NotAllowed(
                f"you have claimed {recent} leads in the last 24 hours; the limit is {limit}",
                code="claim_limit",
            )
    updated = Lead.objects.filter(pk=lead.pk, owner=None, merged_into=None).update(owner=user, owned_since=at)
    if not updated:
        raise NotAllowed("this lead is no longer in the public pool")
    LeadEvent.objects.create(
        lead=lead, kind=LeadEvent.Kind.CLAIMED, occurred_at=at, actor=user, cycle=lead.cycle
    )
    lead.refresh_from_db()
    return lead


RECYCLABLE = (LeadStatus.NEW, LeadStatus.WORKING)


def leads_recycle(*, at: datetime | None = None, limit: int = 5000) -> int:
    """Return owned new/working leads nobody touched for OrgSettings.pool_recycle_days to the public pool.

    'Untouched' means no touch since the later of the owner getting the lead and the cut-off. One query
    finds them, one update frees them (conditional: a lead touched or re-assigned meanwhile stays), one
    insert records the timeline entries; each previous owner gets one notification.
    """
    from django.db.models import Exists, OuterRef

    at = at or clock.now()
    days = OrgSettings.get().pool_recycle_days
    if not days:
        return 0
    cutoff = at - timedelta(days=days)
    recent_touch = Touch.objects.filter(lead=OuterRef("pk"), occurred_at__gt=cutoff)
    stale = list(
        Lead.objects.filter(
            owner__isnull=False, status__in=RECYCLABLE, merged_into=None, owned_since__lte=cutoff
        )
        .filter(~Exists(recent_touch))
        .order_by("pk")
        .values_list("pk", "owner_id", "cycle", "owned_since")[:limit]
    )
    if not stale:
        return 0
    with transaction.atomic():
        freed = set(
            Lead.objects.filter(pk__in=[pk for pk, *_ in stale], owned_since__lte=cutoff)
            .filter(~Exists(recent_touch))
            .values_list("pk", flat=True)
        )
        Lead.objects.filter(pk__in=freed).update(owner=None, owned_since=None)
        from baton.sla.services import clocks_stop

        clocks_stop("reassigned", lead_ids=freed, at=at)
        rows = [(pk, owner, cycle, since) for pk, owner, cycle, since in stale if pk in freed]
        rows_insert(LeadEvent, [
            LeadEvent(lead_id=pk, kind=LeadEvent.Kind.RECYCLED, occurred_at=at, cycle=cycle,
                      reason=f"no touch for {days} days", data={"previous_owner_id": owner})
            for pk, owner, cycle, _ in rows
        ])  # fmt: skip
        per_owner: dict[int, int] = {}
        for _, owner, _, _ in rows:
            per_owner[owner] = per_owner.get(owner, 0) + 1
        notifications_send([
            NotificationRequest(owner, "leads_recycled", {"count": n, "days": days}, link="/pool/", at=at)
            for owner, n in sorted(per_owner.items())
        ])  # fmt: skip
    return len(freed)


def leads_disqualify(requests: Sequence[TransitionRequest]) -> list[Lead]:
    """Disqualify leads (each request's actor must own the lead or be an admin); all or nothing."""
    for req in requests:
        if req.actor is None or not can_work(req.actor, req.lead):
            raise NotAllowed("only the lead's owner or an admin may disqualify it")
    done = leads_transition([TransitionRequest(r.lead, LeadStatus.DISQUALIFIED, r.actor, r.reason, r.at, r.data)
                             for r in requests])  # fmt: skip
    from baton.sla.services import clocks_stop

    now = clock.now()
    clocks_stop("disqualified", at_by_lead={r.lead.pk: r.at or now for r in requests})
    return done


def lead_disqualify(lead: Lead, user, reason: str, *, at: datetime | None = None) -> Lead:
    return leads_disqualify([TransitionRequest(lead, LeadStatus.DISQUALIFIED, user, reason, at)])[0]


def leads_route_pending(*, at: datetime | None = None, limit: int = 500) -> int:
    """Score and route captured leads whose routing never ran (e.g. a crash after the durable insert)."""
    from baton.enrichment.selectors import exclude_waiting
    from baton.routing.services import route_leads, unrouted_retry_due
    from baton.scoring.services import leads_score

    at = at or clock.now()
    leads = list(exclude_waiting(unrouted_retry_due(at), at=at).order_by("pk")[:limit])
    if leads:
        with transaction.atomic():
            leads_score(leads, trigger="captured", ats=[at] * len(leads))
            route_leads(leads, ats=[at] * len(leads))
    return len(leads)


def webform_create(name: str, source: str, *, actor=None) -> WebForm:
    import secrets

    if source not in Source.values:
        raise InvalidInput(f"unknown source {source!r}; expected one of {', '.join(Source.values)}")
    if not name.strip():
        raise InvalidInput("a form needs a name")
    form = WebForm.objects.create(
        name=name.strip(), key=secrets.token_urlsafe(16), source=source, created_at=clock.now()
    )
    from baton.org.services import audit_record

    audit_record(actor, "webform.create", "webform", form.pk, {"name": form.name, "source": source})
    return form
