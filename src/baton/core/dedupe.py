"""Duplicate detection, survivor choice, field merging and lead-to-account matching (spec §4.2).

Pure decisions over facts the caller (the Django side) reads and fills in: no Django, no I/O, no clock.

Candidate search is by key lookup, never all-pairs: the caller indexes records under their
``blocking_keys`` (e.g. a table of (key, record id)), looks the keys of a new record up, and calls
``match`` (or ``find_duplicates``) on the candidates found.

Recall of the blocking keys. Every rule of ``match`` needs evidence that is either exact (e-mail,
phone, company domain) or a similarity over a normalised form (the person's name, the company key).
A similarity rule is blocked on its exact part (the domain) or on the company key's first or last
``BLOCK_AFFIX`` characters, combined with the first or last ``BLOCK_AFFIX`` characters of any word of
the person key. One edit — a character inserted, deleted, replaced or swapped, a space added,
dropped or moved ("Xiaomin gSmith") — leaves an end of some name word and an end of the company key
intact in strings long enough to reach the thresholds, so any pair a rule accepts with at most one
such edit per form shares a key; the property tests check this on generated variations (typos,
case, whitespace, name order, legal suffixes). Pairs with two or more edits in the same name or
company (possible only for long strings: the thresholds allow about one edit per ten characters) are
found only when the edits leave such an end intact. That trade-off keeps the blocks small (an e-mail,
a phone, or a domain/company start plus three letters of a name word) and the keys per record
bounded (2 + 6 per name word for a record with a domain and a company); a periodic full pass can
catch the rest if it ever matters.
"""

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from baton.core.normalize import FREE_MAIL_DOMAINS, company_key, person_key

# --- thresholds and scores ---------------------------------------------------------------------------

DEFAULT_THRESHOLD = 90.0
# Same company domain: names must be this similar (rapidfuzz token_sort_ratio on person keys).
DOMAIN_NAME_THRESHOLD = 90.0
# Fuzzy rule (no shared e-mail, phone or domain): both the company keys (ratio) and the names
# (token_sort_ratio) must reach these.
FUZZY_COMPANY_THRESHOLD = 92.0
FUZZY_NAME_THRESHOLD = 92.0
# Lead-to-account fuzzy matching: ratio on company keys.
ACCOUNT_FUZZY_THRESHOLD = 90.0

SCORE_EMAIL = 100.0
SCORE_PHONE = 95.0
# Same phone, but both have different company e-mails: only with similar names, and scored lower.
SCORE_PHONE_CONFLICT = 90.0
SCORE_DOMAIN_NAME = 90.0
# Same role mailbox (info@, sales@…) but clearly different names: below the default threshold.
SCORE_ROLE_MAILBOX = 80.0
# Fuzzy rule: mean of the company and name similarities minus this (so 84–92): fuzzy evidence alone
# is weaker than a shared e-mail, phone or domain; only near-identical pairs reach the default 90.
FUZZY_PENALTY = 8.0

SCORE_ACCOUNT_DOMAIN = 100.0
SCORE_ACCOUNT_NAME = 100.0

BLOCK_AFFIX = 3

# Shared mailboxes: several people may legitimately use the same one.
ROLE_MAILBOXES = frozenset(
    ["info", "sales", "marketing", "support", "contact", "admin", "office", "hr", "hello", "service"]
    + ["enquiries", "inquiries", "team", "mail", "webmaster", "postmaster", "noreply", "no-reply"]
)

# Survivor rule: statuses from the furthest advanced. An unknown status ranks after all of these.
STATUS_PRECEDENCE = ("converted", "sql", "mql", "working", "nurturing", "new", "disqualified")

# merge_fields never fills these: they are identity, bookkeeping or decided by the survivor rule.
MERGE_IGNORED_FIELDS = frozenset(
    ["id", "pk", "created_at", "updated_at", "last_activity_at", "owner_id", "status", "completeness"]
)
# The recency of a record for merge_fields: the latest of these that is set.
MERGE_RECENCY_FIELDS = ("updated_at", "last_activity_at", "created_at")


# --- records -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonFacts:
    """What duplicate detection knows about a lead/contact. Missing values are "" / None.

    ``domain`` is the company domain (website, or the e-mail's domain when not free mail); a free-mail
    domain given here is ignored. ``company_key`` is ``normalize.company_key(company)``; when empty it
    is computed from ``company``. ``completeness`` is any number where higher means more complete
    (e.g. the share of filled profile fields).
    """

    id: Hashable
    name: str = ""
    email: str = ""
    phone: str = ""
    company: str = ""
    company_key: str = ""
    domain: str = ""
    created_at: datetime | None = None
    last_activity_at: datetime | None = None
    owner_id: Hashable | None = None
    status: str = "new"
    completeness: float = 0.0


@dataclass(frozen=True)
class Match:
    score: float  # 0–100
    method: str  # "email" | "phone" | "domain_name" | "fuzzy_name_company"
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Pair:
    new: PersonFacts
    existing: PersonFacts
    match: Match


@dataclass(frozen=True)
class SurvivorDecision:
    survivor_id: Hashable
    merged_ids: tuple[Hashable, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class FieldChange:
    """A value to copy into the survivor's empty field, and where it comes from."""

    value: Any
    source_id: Hashable | None
    source_at: datetime | None


@dataclass(frozen=True)
class AccountFacts:
    id: Hashable
    name_key: str = ""
    domain: str = ""
    owner_id: Hashable | None = None
    last_activity_at: datetime | None = None


@dataclass(frozen=True)
class AccountMatch:
    account_id: Hashable
    method: str  # "domain" | "name" | "fuzzy"
    score: float
    reasons: tuple[str, ...]


# --- normalised forms (cached: the same names and companies come back on every comparison) ---------------


@lru_cache(maxsize=65536)
def name_form(name: str) -> str:
    """The person key with its words sorted: what token_sort_ratio compares."""
    return " ".join(sorted(person_key(name).split())) if name else ""


@lru_cache(maxsize=65536)
def _company_form(key: str, company: str) -> str:
    return key.strip() if key and key.strip() else (company_key(company) if company else "")


def _email_form(value: str | None) -> str:
    return value.strip().casefold() if value else ""


def _phone_form(value: str | None) -> str:
    return value.strip() if value else ""


def _company_domain(value: str | None) -> str:
    domain = value.strip().lower().removeprefix("www.") if value else ""
    return "" if domain in FREE_MAIL_DOMAINS else domain


def _domain_of(facts: PersonFacts) -> str:
    domain = _company_domain(facts.domain)
    if not domain and facts.email and "@" in facts.email:
        domain = _company_domain(facts.email.rpartition("@")[2])
    return domain


def _is_company_email(email: str) -> bool:
    return bool(email) and email.rpartition("@")[2] not in FREE_MAIL_DOMAINS


def _ends(text: str) -> tuple[str, str]:
    return text[:BLOCK_AFFIX], text[-BLOCK_AFFIX:]


# --- blocking --------------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _name_ends(name_form: str) -> tuple[str, ...]:
    """The first and last BLOCK_AFFIX characters of each word ("<joh", ">ohn", "<smi", ">ith")."""
    return tuple(sorted({f"{m}{e}" for w in name_form.split() for m, e in zip("<>", _ends(w), strict=True)}))


def blocking_keys(facts: PersonFacts) -> set[str]:
    """Keys under which to index and look up a record; duplicates share at least one (module docstring).

    "e:<e-mail>", "p:<phone>", "d:<domain>|<name word end>" for each end of each name word, and
    "c:<company start or end>|<name word end>" for each combination.
    """
    keys: set[str] = set()
    if mail := _email_form(facts.email):
        keys.add(f"e:{mail}")
    if tel := _phone_form(facts.phone):
        keys.add(f"p:{tel}")
    name_ends = _name_ends(name_form(facts.name or ""))
    if not name_ends:
        return keys
    if domain := _domain_of(facts):
        keys.update(f"d:{domain}|{n}" for n in name_ends)
    if company := _company_form(facts.company_key or "", facts.company or ""):
        company_start, company_end = _ends(company)
        for c in (f"<{company_start}", f">{company_end}"):
            keys.update(f"c:{c}|{n}" for n in name_ends)
    return keys


def build_index(records: Iterable[PersonFacts]) -> dict[str, list[PersonFacts]]:
    """blocking key → records, for ``find_duplicates`` (in memory; the database does this at scale)."""
    index: dict[str, list[PersonFacts]] = {}
    for record in records:
        for key in blocking_keys(record):
            index.setdefault(key, []).append(record)
    return index


# --- matching --------------------------------------------------------------------------------------------


def match(a: PersonFacts, b: PersonFacts) -> Match | None:
    """Whether two people are the same, how sure, and why. Symmetric. None when no rule applies.

    - Same e-mail (case-insensitive) → 100. Except a role mailbox (``ROLE_MAILBOXES``: info@, sales@…)
      shared by two clearly different names → 80: colleagues filling a form from the team address.
    - Same phone → 95. Except when both have company e-mails and they differ: that is a switchboard or
      a shared office line as often as the same person (colleagues at one domain; an agency entering
      its number for several clients), so then it needs similar names (≥ ``DOMAIN_NAME_THRESHOLD``,
      e.g. the same person after a job change) and scores 90; otherwise the phone proves nothing.
      A free-mail address beside a company one is no conflict (people use both).
    - Same company domain (free mail is no company domain) and names with token_sort_ratio ≥ 90 → 90.
    - Company keys with ratio ≥ 92 and names with token_sort_ratio ≥ 92 → mean of the two − 8.

    The best rule gives score and method; reasons list the best rule's evidence first, then any other.
    """
    found: list[tuple[float, int, str, str]] = []  # (score, -rule order, method, reason)
    name_a, name_b = name_form(a.name or ""), name_form(b.name or "")
    names = bool(name_a and name_b)
    name_sim = fuzz.ratio(name_a, name_b) if names else 0.0

    mail_a, mail_b = _email_form(a.email), _email_form(b.email)
    if mail_a and mail_a == mail_b:
        if mail_a.partition("@")[0] in ROLE_MAILBOXES and names and name_sim < DOMAIN_NAME_THRESHOLD:
            found.append(
                (
                    SCORE_ROLE_MAILBOX,
                    -1,
                    "email",
                    f"same role mailbox {mail_a}, different names ({name_sim:.0f})",
                )
            )
        else:
            found.append((SCORE_EMAIL, -1, "email", f"same e-mail {mail_a}"))

    tel_a, tel_b = _phone_form(a.phone), _phone_form(b.phone)
    if tel_a and tel_a == tel_b:
        conflict = mail_a != mail_b and _is_company_email(mail_a) and _is_company_email(mail_b)
        if not conflict:
            found.append((SCORE_PHONE, -2, "phone", f"same phone {tel_a}"))
        elif names and name_sim >= DOMAIN_NAME_THRESHOLD:
            found.append(
                (
                    SCORE_PHONE_CONFLICT,
                    -2,
                    "phone",
                    f"same phone {tel_a} and similar names ({name_sim:.0f}), different company e-mails",
                )
            )

    if names:
        domain_a, domain_b = _domain_of(a), _domain_of(b)
        if domain_a and domain_a == domain_b and name_sim >= DOMAIN_NAME_THRESHOLD:
            found.append(
                (
                    SCORE_DOMAIN_NAME,
                    -3,
                    "domain_name",
                    f"same company domain {domain_a}, similar names ({name_sim:.0f})",
                )
            )
        if name_sim >= FUZZY_NAME_THRESHOLD:
            company_a = _company_form(a.company_key or "", a.company or "")
            company_b = _company_form(b.company_key or "", b.company or "")
            if company_a and company_b:
                company_sim = fuzz.ratio(company_a, company_b)
                if company_sim >= FUZZY_COMPANY_THRESHOLD:
                    score = round((company_sim + name_sim) / 2 - FUZZY_PENALTY, 1)
                    found.append(
                        (
                            score,
                            -4,
                            "fuzzy_name_company",
                            f"similar companies ({company_sim:.0f}) and names ({name_sim:.0f})",
                        )
                    )

    if not found:
        return None
    found.sort(reverse=True)
    score, _, method, _ = found[0]
    return Match(score, method, tuple(reason for *_, reason in found))


def _id_order(value: Hashable) -> tuple:
    """A total order over ids of mixed types (ints before the rest, which compare as text)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, str(value))


def find_duplicates(
    new: Sequence[PersonFacts],
    existing_by_key: Mapping[str, Sequence[PersonFacts]],
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Pair]:
    """The pairs (new record, candidate) whose match reaches ``threshold``, each unordered pair once.

    Candidates are the records the index holds under the new record's blocking keys; a record is
    never its own duplicate (same id). To find duplicates within the batch as well, index the new
    records too. Ordered by the new records' order, then score (highest first), then candidate id.
    """
    seen: set[frozenset] = set()
    pairs: list[Pair] = []
    for record in new:
        candidates: dict[Hashable, PersonFacts] = {}
        for key in sorted(blocking_keys(record)):
            for candidate in existing_by_key.get(key, ()):
                if candidate.id != record.id:
                    candidates.setdefault(candidate.id, candidate)
        found: list[Pair] = []
        for candidate_id, candidate in candidates.items():
            pair_id = frozenset((record.id, candidate_id))
            if pair_id in seen:
                continue
            seen.add(pair_id)
            result = match(record, candidate)
            if result is not None and result.score >= threshold:
                found.append(Pair(record, candidate, result))
        found.sort(key=lambda p: (-p.match.score, _id_order(p.existing.id)))
        pairs.extend(found)
    return pairs


# --- survivor and merge ----------------------------------------------------------------------------------


def _status_rank(status: str) -> int:
    try:
        return STATUS_PRECEDENCE.index(str(status))
    except ValueError:
        return len(STATUS_PRECEDENCE)


def _survivor_order(record: PersonFacts) -> tuple:
    return (
        0 if record.owner_id is not None else 1,
        _status_rank(record.status),
        -(record.completeness or 0),
        (0, record.created_at) if record.created_at is not None else (1, None),
        _id_order(record.id),
    )


def _why_behind(winner: PersonFacts, loser: PersonFacts) -> str:
    w, lo = _survivor_order(winner), _survivor_order(loser)
    if w[0] != lo[0]:
        return f"{loser.id}: unowned, {winner.id} is owned (by {winner.owner_id})"
    if w[1] != lo[1]:
        return f"{loser.id}: status {loser.status} is behind {winner.status}"
    if w[2] != lo[2]:
        return f"{loser.id}: less complete ({loser.completeness or 0:g} < {winner.completeness or 0:g})"
    if w[3] != lo[3]:
        when = loser.created_at.isoformat() if loser.created_at else "unknown"
        return f"{loser.id}: created later ({when})"
    return f"{loser.id}: same rank, higher id"


def survivor(records: Sequence[PersonFacts]) -> SurvivorDecision:
    """Which of a group of duplicates survives the merge, and why; independent of the input order.

    The rule, in order: an owned lead (someone is working it) beats an unowned one; then the further
    advanced status (``STATUS_PRECEDENCE``: converted > sql > mql > working > nurturing > new >
    disqualified); then the more complete; then the oldest (earliest ``created_at``; unknown counts as
    newest), then the lowest id. ``merged_ids`` are the others, in the same order.
    """
    if not records:
        raise ValueError("survivor() needs at least one record")
    ids = [r.id for r in records]
    if len(set(ids)) != len(ids):
        raise ValueError("survivor() needs records with distinct ids")
    ranked = sorted(records, key=_survivor_order)
    winner, losers = ranked[0], ranked[1:]
    owner = f"owned by {winner.owner_id}" if winner.owner_id is not None else "unowned"
    created = winner.created_at.isoformat() if winner.created_at else "unknown"
    header = (
        f"{winner.id} survives: {owner}, status {winner.status}, completeness {winner.completeness or 0:g}, "
        f"created {created}"
    )
    return SurvivorDecision(
        winner.id, tuple(r.id for r in losers), (header, *(_why_behind(winner, r) for r in losers))
    )


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return not value
    return False


def _recency(record: Mapping[str, Any], fields: Sequence[str]) -> datetime | None:
    stamps = [record[f] for f in fields if isinstance(record.get(f), datetime)]
    return max(stamps) if stamps else None


def merge_fields(
    survivor: Mapping[str, Any],
    others: Sequence[Mapping[str, Any]],
    *,
    ignored: frozenset[str] = MERGE_IGNORED_FIELDS,
    recency_fields: Sequence[str] = MERGE_RECENCY_FIELDS,
) -> dict[str, FieldChange]:
    """The survivor's empty fields (None, blank text, empty collections; 0 and False are values) filled
    from the merged records: field → FieldChange(value, source id, source recency). Pure: nothing is
    modified; non-empty survivor fields are never overwritten.

    Among the others, the most recent record with a non-empty value wins (recency: the latest of
    ``recency_fields`` it has; a record without any counts as oldest), ties going to the higher id.
    Fields in ``ignored`` and names starting with "_" are never filled.
    """
    ranked = sorted(
        others,
        key=lambda r: (
            (1, _recency(r, recency_fields)) if _recency(r, recency_fields) else (0, None),
            _id_order(r.get("id")),
        ),
        reverse=True,
    )
    fields = sorted(
        {f for r in others for f in r if f not in ignored and not f.startswith("_")}
        - {f for f, v in survivor.items() if not _is_empty(v)}
    )
    changes: dict[str, FieldChange] = {}
    for field in fields:
        for record in ranked:
            value = record.get(field)
            if not _is_empty(value):
                changes[field] = FieldChange(value, record.get("id"), _recency(record, recency_fields))
                break
    return changes


# --- accounts --------------------------------------------------------------------------------------------


def account_blocking_keys(name_key: str, domain: str) -> set[str]:
    """Keys for account candidates: "ad:<domain>", "an:<name key>", and the name key's first and last
    ``BLOCK_AFFIX`` characters (for the fuzzy rule; one edit keeps one of them)."""
    keys: set[str] = set()
    if domain := _company_domain(domain):
        keys.add(f"ad:{domain}")
    if name_key := (name_key or "").strip():
        start, end = _ends(name_key)
        keys.update((f"an:{name_key}", f"a<{start}", f"a>{end}"))
    return keys


def _account_preference(account: AccountFacts) -> tuple:
    """Tie-breakers: owned first, then the most recent activity, then the lowest id."""
    activity = account.last_activity_at
    return (
        0 if account.owner_id is not None else 1,
        (0, _negated(activity)) if activity is not None else (1, 0.0),
        _id_order(account.id),
    )


def _negated(moment: datetime) -> float:
    # Later first: naive datetimes are compared as given, aware ones as instants.
    return -(moment.timestamp() if moment.tzinfo else (moment - datetime(1970, 1, 1)).total_seconds())


def match_account(name_key: str, domain: str, candidates: Iterable[AccountFacts]) -> AccountMatch | None:
    """The account a lead belongs to, how and why; None when none fits.

    1. "domain": an account with the same company domain (free mail is no company domain); among
       several, the oldest (lowest id) wins. Score 100.
    2. "name": an account with the same name key; among several, the tie-breakers (owned first, then
       the most recent activity, then the lowest id). Score 100; a differing domain is noted.
    3. "fuzzy": the highest ratio of name keys ≥ ``ACCOUNT_FUZZY_THRESHOLD``, ties by the same
       tie-breakers. Accounts whose domain differs from the lead's are left out: "Acme" at acme.com and
       "Acme Labs" at acmelabs.io are different companies, and a wrong account misroutes the lead.
    """
    domain = _company_domain(domain)
    name_key = (name_key or "").strip()
    candidates = list(candidates)
    if domain:
        same = [c for c in candidates if _company_domain(c.domain) == domain]
        if same:
            best = min(same, key=lambda c: _id_order(c.id))
            reasons = [f"same domain {domain}"]
            if len(same) > 1:
                reasons.append(f"oldest of {len(same)} accounts with this domain")
            return AccountMatch(best.id, "domain", SCORE_ACCOUNT_DOMAIN, tuple(reasons))
    if not name_key:
        return None
    same = [c for c in candidates if (c.name_key or "").strip() == name_key]
    if same:
        best = min(same, key=_account_preference)
        reasons = [f"same company name key {name_key!r}"]
        if len(same) > 1:
            reasons.append(f"preferred among {len(same)}: owned, then recent activity, then lowest id")
        other_domain = _company_domain(best.domain)
        if domain and other_domain and other_domain != domain:
            reasons.append(f"note: account domain {other_domain} differs from {domain}")
        return AccountMatch(best.id, "name", SCORE_ACCOUNT_NAME, tuple(reasons))
    scored = []
    for c in candidates:
        other_domain = _company_domain(c.domain)
        key = (c.name_key or "").strip()
        if not key or (domain and other_domain and other_domain != domain):
            continue
        score = round(fuzz.ratio(name_key, key), 1)
        if score >= ACCOUNT_FUZZY_THRESHOLD:
            scored.append((-score, _account_preference(c), c))
    if not scored:
        return None
    scored.sort(key=lambda s: (s[0], s[1]))
    neg_score, _, best = scored[0]
    reasons = [f"similar company name {best.name_key!r} ({-neg_score:g})"]
    ties = sum(1 for s in scored if s[0] == neg_score)
    if ties > 1:
        reasons.append(f"preferred among {ties} equally similar: owned, then recent activity, then lowest id")
    return AccountMatch(best.id, "fuzzy", -neg_score, tuple(reasons))
