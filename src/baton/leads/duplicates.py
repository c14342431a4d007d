"""Duplicate leads: found on capture and import, listed for review, merged with the survivor rule.

Detection looks for candidates by key, never all-pairs: the same e-mail, the same phone, or the
same account (the account match already blocks on domain and normalised company name), and lets
``core.dedupe.match`` score each pair. Pairs at or above the threshold become open
``DuplicateCandidate`` rows. Merging keeps everything: the merged leads' timeline entries and touches
move to the survivor, their empty-field values fill the survivor's empty fields, and each merged lead
keeps its row, marked ``merged_into`` the survivor.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime

from django.db import transaction
from django.db.models import Min, Q
from rapidfuzz import fuzz, process

from baton import clock
from baton.core import dedupe, normalize
from baton.core.dedupe import name_form
from baton.core.errors import Conflict, InvalidInput, NotAllowed
from baton.dbutil import chunks, newest_per_key, rows_insert, rows_update, rows_where_in, rows_where_in_keys
from baton.leads.models import DuplicateCandidate, Lead, LeadEvent, Touch

THRESHOLD = dedupe.DEFAULT_THRESHOLD
NAME_SHORTLIST = 80  # below every name threshold of core.dedupe: the shortlist never drops a real match
PER_ACCOUNT = 200  # candidates per account: the most recent; keeps giant accounts from exploding
FACT_FIELDS = ("pk", "name", "email", "phone", "company", "website_domain", "account_id", "created_at",
               "owner_id", "status")  # fmt: skip
# Fields a merge may fill on the survivor when it has none (identity and bookkeeping never).
MERGEABLE = ("email", "phone", "company", "title", "industry", "company_size", "city", "region",
             "website_domain", "source_detail", "notes", "external_id", "account_id", "contact_id")  # fmt: skip


@dataclass(slots=True)
class LeadRecord:
    """A lead as duplicate detection reads it (FACT_FIELDS, in order): a plain record, not a model
    object, for candidates read in bulk and for leads an importer has just written as rows."""

    pk: int
    name: str
    email: str
    phone: str
    company: str
    website_domain: str
    account_id: int | None
    created_at: datetime
    owner_id: int | None
    status: str = "new"


def person_facts(lead, *, completeness: bool = False) -> dedupe.PersonFacts:
    filled = sum(1 for f in MERGEABLE if getattr(lead, f, None) not in (None, "")) if completeness else 0
    return dedupe.PersonFacts(
        id=lead.pk, name=lead.name, email=lead.email, phone=lead.phone, company=lead.company,
        domain=lead.website_domain or (lead.email.rpartition("@")[2] if lead.email else ""),
        created_at=lead.created_at, owner_id=lead.owner_id, status=lead.status,
        completeness=filled / len(MERGEABLE),
    )  # fmt: skip


@dataclass
class ColleagueMemo:
    """The newest leads (id, name form) of each account seen, kept from one batch to the next by a caller
    that is the only writer of leads for the while (an import: one transaction). Bounded: cleared when full."""

    by_account: dict[int, list[tuple[int, str]]] = dataclass_field(default_factory=dict)
    size: int = 0
    limit: int = 1_000_000

    def trim(self) -> None:
        if self.size > self.limit:
            self.by_account.clear()
            self.size = 0


def duplicates_detect(
    leads: Sequence,
    *,
    at: datetime | None = None,
    keys_checked: bool = False,
    memo: ColleagueMemo | None = None,
) -> list[DuplicateCandidate]:
    """Record suspected duplicates of these (new) leads; returns the pairs found. A few queries per
    500 leads, whatever their number. ``leads`` are Lead objects or anything with the same attributes
    (``FACT_FIELDS``; the importer passes light records). ``keys_checked``: the caller has already
    merged every lead with the same e-mail or phone (an import), so only colleagues are looked up;
    ``memo`` keeps the colleagues read from one call to the next."""
    at = at or clock.now()
    leads = [lead for lead in leads if getattr(lead, "merged_into_id", None) is None]
    if not leads:
        return []
    pool: dict[int, object] = {lead.pk: lead for lead in leads}
    # Plain rows, not model objects: a batch can bring back tens of thousands of candidates.
    # merged_into is filtered here, not in SQL: "merged_into IS NULL" holds for nearly every row, and a
    # planner that picks its index over the e-mail/phone/account one scans the whole table.
    if not keys_checked:
        keys = {
            key: {getattr(lead, key) for lead in leads if getattr(lead, key)} for key in ("email", "phone")
        }
        for rows in rows_where_in_keys(Lead, keys, (*FACT_FIELDS, "merged_into_id")).values():
            for row in rows:
                if row[-1] is None:
                    pool[row[0]] = LeadRecord(*row[:-1])
    # Colleagues at the same account: the newest PER_ACCOUNT, by index steps (big accounts stay cheap),
    # read as (id, name, account) only; the few whose names are close are read in full below.
    memo = memo if memo is not None else ColleagueMemo()
    memo.trim()
    colleague_names = memo.by_account
    accounts = sorted({lead.account_id for lead in leads if lead.account_id} - colleague_names.keys())
    for account_id in accounts:
        colleague_names[account_id] = []
    for pk, name, account_id, merged_into in newest_per_key(
        Lead, "account", accounts, ("id", "name", "account_id", "merged_into_id"), per_key=PER_ACCOUNT
    ):
        if merged_into is None and pk not in pool:
            colleague_names[account_id].append((pk, name_form(name)))
            memo.size += 1
    for account_id in accounts:
        colleague_names[account_id].sort()  # oldest first: the newest are appended
    by_email, by_phone, by_account = defaultdict(list), defaultdict(list), defaultdict(list)
    for lead in pool.values():
        if not keys_checked:  # otherwise no other lead has their e-mail or phone
            if lead.email:
                by_email[lead.email].append(lead)
            if lead.phone:
                by_phone[lead.phone].append(lead)
        if lead.account_id:
            by_account[lead.account_id].append(lead)
    names = {pk: name_form(candidate.name) for pk, candidate in pool.items()}
    close: dict[int, set[int]] = {}
    wanted: set[int] = set()
    for lead in leads:
        if not lead.account_id or not names[lead.pk]:
            continue
        held = [(o.pk, names[o.pk]) for o in by_account.get(lead.account_id, []) if o.pk != lead.pk]
        held += [c for c in colleague_names.get(lead.account_id, []) if c[0] not in pool]
        if not held:
            continue
        # Same account: only a similar name can make them one person. rapidfuzz's C loop shortlists
        # them; match() then decides with its own rules.
        shortlist = process.extract(names[lead.pk], [n for _, n in held], scorer=fuzz.ratio,
                                    score_cutoff=NAME_SHORTLIST, limit=None)  # fmt: skip
        close[lead.pk] = {held[i][0] for _, _, i in shortlist}
        wanted.update(pk for pk in close[lead.pk] if pk not in pool)
    for row in rows_where_in(Lead, "id", wanted, FACT_FIELDS):
        pool[row[0]] = LeadRecord(*row)
    for lead in leads:  # these leads are the next calls' colleagues (newest last, PER_ACCOUNT kept)
        if lead.account_id:
            kept = colleague_names[lead.account_id]
            kept.append((lead.pk, names[lead.pk]))
            memo.size += 1
            if len(kept) > PER_ACCOUNT:
                del kept[0]
                memo.size -= 1
    facts: dict[int, dedupe.PersonFacts] = {}

    def fact(pk: int) -> dedupe.PersonFacts:
        if pk not in facts:
            facts[pk] = person_facts(pool[pk])
        return facts[pk]

    found: dict[tuple[int, int], dedupe.Match] = {}
    for lead in leads:
        others = set(close.get(lead.pk, ()))
        if not keys_checked:
            others.update(o.pk for group in (by_email.get(lead.email, ()), by_phone.get(lead.phone, ()))
                          for o in group)  # fmt: skip
        others.discard(lead.pk)
        for other in others:
            pair = (max(lead.pk, other), min(lead.pk, other))
            if pair in found:
                continue
            result = dedupe.match(fact(lead.pk), fact(other))
            if result is not None and result.score >= THRESHOLD:
                found[pair] = result
    if not found:
        return []
    # A transaction of its own when the caller has none (a capture reads without one): the check for
    # pairs already recorded and the insert go together.
    with transaction.atomic(savepoint=False):
        known = set()
        pairs = list(found)
        for part in chunks(pairs):
            q = Q(pk__in=[])
            for newer, older in part:
                q |= Q(lead_id=newer, other_id=older)
            known.update(DuplicateCandidate.objects.filter(q).values_list("lead_id", "other_id"))
        rows = [
            DuplicateCandidate(lead_id=newer, other_id=older, score=m.score, method=m.method, reasons=list(m.reasons),
                               detected_at=at)
            for (newer, older), m in found.items() if (newer, older) not in known
        ]  # fmt: skip
        return rows_insert(DuplicateCandidate, rows)


def _can_merge(actor, leads: Sequence[Lead]) -> bool:
    return actor.is_admin or all(lead.owner_id in (None, actor.pk) for lead in leads)


@transaction.atomic
def leads_merge(
    lead_ids: Sequence[int], *, actor, survivor_id: int | None = None, at: datetime | None = None
) -> Lead:
    """Merge duplicates into one lead: the survivor rule picks it (or ``survivor_id``), the others'
    timeline and touches move to it, their values fill its empty fields, and they are marked merged."""
    at = at or clock.now()
    ids = sorted(set(lead_ids))
    if len(ids) < 2:
        raise InvalidInput("a merge needs at least two different leads")
    leads = list(Lead.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    missing = sorted(set(ids) - {lead.pk for lead in leads})
    if missing:
        raise InvalidInput(f"no lead(s) {', '.join(map(str, missing))}")
    already = [lead.pk for lead in leads if lead.merged_into_id is not None]
    if already:
        raise Conflict(f"lead(s) {', '.join(map(str, already))} were already merged", code="already_merged")
    if not _can_merge(actor, leads):
        raise NotAllowed("only an admin, or the owner of every one of these leads, may merge them")
    decision = dedupe.survivor([person_facts(lead, completeness=True) for lead in leads])
    keep = survivor_id if survivor_id is not None else decision.survivor_id
    if keep not in ids:
        raise InvalidInput(f"the survivor must be one of the merged leads ({', '.join(map(str, ids))})")
    survivor = next(lead for lead in leads if lead.pk == keep)
    others = [lead for lead in leads if lead.pk != keep]
    changes = dedupe.merge_fields(
        {f: getattr(survivor, f) for f in MERGEABLE},
        [{"id": o.pk, "created_at": o.created_at, **{f: getattr(o, f) for f in MERGEABLE}} for o in others],
    )
    for field, change in changes.items():
        setattr(survivor, field, change.value)
    if "title" in changes:
        survivor.seniority = normalize.seniority(survivor.title)
        changes = {**changes, "seniority": changes["title"]}
    other_ids = [o.pk for o in others]
    first_touch = Touch.objects.filter(lead_id__in=[*other_ids, keep], direction=Touch.Direction.OUTBOUND)
    first_touch = first_touch.aggregate(first=Min("occurred_at"))["first"]
    if first_touch is not None:
        survivor.first_touch_at = first_touch
    moved_events = LeadEvent.objects.filter(lead_id__in=other_ids).update(lead_id=keep)
    moved_touches = Touch.objects.filter(lead_id__in=other_ids).update(lead_id=keep)
    # Qualification answers too: the latest answer per criterion wins, so the survivor keeps the newest.
    from baton.qualification.models import CriterionAnswer

    CriterionAnswer.objects.filter(lead_id__in=other_ids).update(lead_id=keep)
    from baton.sla.services import clocks_cancel

    clocks_cancel(other_ids, at=at, reason="merged")  # the survivor's clocks go on
    for other in others:
        other.merged_into_id = keep
    rows_update(Lead, others, ["merged_into"])
    rows_update(Lead, [survivor], [*changes.keys(), "first_touch_at"])
    DuplicateCandidate.objects.filter(
        Q(lead_id__in=ids, other_id__in=ids), status=DuplicateCandidate.Status.OPEN
    ).update(status=DuplicateCandidate.Status.MERGED, decided_at=at, decided_by=actor)
    LeadEvent.objects.create(
        lead=survivor, kind=LeadEvent.Kind.MERGED, occurred_at=at, actor=actor, cycle=survivor.cycle,
        reason="; ".join(decision.reasons) if survivor_id is None else "survivor chosen by hand",
        data={"merged": [{"id": o.pk, "name": o.name, "email": o.email} for o in others],
              "filled": {f: str(c.value) for f, c in changes.items()},
              "moved_events": moved_events, "moved_touches": moved_touches},
    )  # fmt: skip
    from baton.org.services import audit_record
    from baton.scoring.services import leads_score

    leads_score([survivor], trigger="merged", ats=[at])
    audit_record(actor, "lead.merge", "lead", keep, {"merged": other_ids, "filled": sorted(changes)})
    return survivor


def duplicate_dismiss(candidate_id: int, *, actor, at: datetime | None = None) -> DuplicateCandidate:
    candidate = DuplicateCandidate.objects.select_related("lead", "other").filter(pk=candidate_id).first()
    if candidate is None:
        raise InvalidInput(f"no duplicate pair {candidate_id}")
    if not _can_merge(actor, [candidate.lead, candidate.other]):
        raise NotAllowed("only an admin, or the owner of both leads, may decide on this pair")
    if candidate.status != DuplicateCandidate.Status.OPEN:
        raise Conflict(f"this pair is already {candidate.status}", code="already_decided")
    candidate.status, candidate.decided_at, candidate.decided_by = (
        DuplicateCandidate.Status.DISMISSED, at or clock.now(), actor)  # fmt: skip
    candidate.save(update_fields=["status", "decided_at", "decided_by"])
    return candidate
