"""Writes on behaviour: recording what leads did, in bulk (ADR 0004), with idempotency by external id.

Who may record: marketers, SDRs and admins (sales ops); ``actor=None`` is Baton itself (an integration
run from the CLI or a worker). Admins, marketers and Baton find leads among all leads; an SDR only among
the leads they can see (others count as unknown). Each new event goes on the lead's timeline, the leads
are rescored when the active scoring model counts the kind, then the tag rules run for the touched leads.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from baton import clock
from baton.behaviour.models import BehaviourEvent, BehaviourKind
from baton.consent.identity import PhoneRegion
from baton.core import behaviour as rules
from baton.core import normalize
from baton.core.errors import Conflict, InvalidInput, NotAllowed
from baton.dbutil import chunks, rows_insert
from baton.leads.models import Lead, LeadEvent
from baton.leads.selectors import leads_visible
from baton.org.models import SDR_ROLES, Role
from baton.scoring.services import behaviour_rescore
from baton.tags.services import TagChange, tag_rules_apply

KINDS = frozenset(BehaviourKind.values)
DATA_MAX = 10_000  # characters of an event's data, as JSON
MAX_LISTED = 10  # items named in a batch error's message; details holds them all
MERGE_HOPS = 5  # duplicates merged into duplicates: follow at most this many steps to the survivor
LEAD_COLUMNS = ("pk", "created_at", "cycle", "merged_into_id", "email", "phone")


@dataclass(frozen=True, slots=True)
class BehaviourRequest:
    """One behaviour event. The lead: ``lead_id``, or ``email`` and/or ``phone`` (e-mail tried first)."""

    kind: str
    occurred_at: datetime | None = None  # default: now
    lead_id: int | None = None
    email: str | None = None
    phone: str | None = None
    channel: str = ""  # required for a signup: where they signed up
    detail: Mapping[str, str] | None = None  # title, url, campaign
    data: Mapping | None = None  # anything else, as JSON (at most 10,000 characters)
    external_id: str = ""  # the reporting system's id: a replay with the same id creates nothing


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    item: int
    status: str  # "created" | "duplicate" | "unmatched"
    lead_id: int | None = None
    event_id: int | None = None
    reason: str = ""


@dataclass
class BehaviourResult:
    items: list[ItemOutcome]
    created: list[BehaviourEvent] = field(default_factory=list)
    tag_changes: list[TagChange] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)


def may_record(actor) -> bool:
    return actor is None or actor.is_admin or actor.has_role(Role.MARKETER, *SDR_ROLES)


def _sees_all(actor) -> bool:
    return actor is None or actor.is_admin or actor.has_role(Role.MARKETER)


# --- Validation of one item (no database) ---------------------------------------------------------


@dataclass
class _Item:
    req: BehaviourRequest
    occurred_at: datetime
    email: str = ""
    phone: str = ""
    detail: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    external_id: str = ""
    channel: str = ""
    lead: dict | None = None  # the lead's LEAD_COLUMNS once found


def _text(value, limit: int, name: str, errors: dict) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = "must be a text"
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[name] = f"longer than {limit} characters"
    return value


def _clean(req: BehaviourRequest, now: datetime, region: PhoneRegion) -> tuple[_Item, dict[str, str]]:
    errors: dict[str, str] = {}
    if req.kind not in KINDS:
        errors["kind"] = f"unknown kind {req.kind!r}; expected one of {', '.join(rules.KINDS)}"
    occurred_at = req.occurred_at or now
    if not isinstance(occurred_at, datetime):
        errors["occurred_at"] = "must be a date and time"
        occurred_at = now
    elif problem := rules.time_problem(occurred_at, now=now):
        errors["occurred_at"] = problem
    item = _Item(req, occurred_at)
    item.channel = _text(req.channel, rules.CHANNEL_MAX, "channel", errors)
    if req.kind == rules.SIGNUP and not item.channel and "channel" not in errors:
        errors["channel"] = "a signup needs its channel (where they signed up)"
    item.external_id = _text(req.external_id, rules.EXTERNAL_ID_MAX, "external_id", errors)
    email, phone = (req.email or "").strip(), (req.phone or "").strip()
    if req.lead_id is not None:
        if isinstance(req.lead_id, bool) or not isinstance(req.lead_id, int) or req.lead_id <= 0:
            errors["lead_id"] = "must be a positive whole number"
        if email or phone:
            errors["lead"] = "give lead_id, or email/phone to find the lead, not both"
    elif not email and not phone:
        errors["lead"] = "give lead_id, or an email and/or a phone to find the lead"
    if email:
        try:
            item.email = normalize.email(email).address
        except normalize.NormalisationError as exc:
            errors["email"] = exc.message
    if phone:
        try:
            item.phone = normalize.phone(phone, region(phone))
        except normalize.NormalisationError as exc:
            errors["phone"] = exc.message
    detail = req.detail or {}
    if not isinstance(detail, Mapping):
        errors["detail"] = "must be an object with title, url and/or campaign"
    else:
        unknown = sorted(set(detail) - set(rules.DETAIL_KEYS))
        if unknown:
            errors["detail"] = f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(rules.DETAIL_KEYS)}"
        for key in rules.DETAIL_KEYS:
            value = _text(detail.get(key), rules.DETAIL_MAX[key], f"detail.{key}", errors)
            if value:
                item.detail[key] = value
    data = req.data or {}
    if not isinstance(data, Mapping):
        errors["data"] = "must be an object"
    else:
        try:
            size = len(json.dumps(data, ensure_ascii=False))
        except (TypeError, ValueError):
            errors["data"] = "must be plain JSON (texts, numbers, true/false, lists, objects)"
        else:
            if size > DATA_MAX:
                errors["data"] = f"larger than {DATA_MAX} characters as JSON"
            item.data = dict(data)
    return item, errors


# --- Finding the leads (one query per 500 keys) --------------------------------------------------


def _pick(rows: list[dict]) -> dict:
    """Of several leads of one person: one that was not merged away, the newest."""
    return max(rows, key=lambda r: (r["merged_into_id"] is None, r["created_at"], r["pk"]))


def _find_leads(items: list[_Item], base) -> None:
    """Set ``item.lead`` for every item whose lead exists in ``base`` (following merges to the survivor)."""
    by_id: dict[int, dict] = {}
    ids = sorted({i.req.lead_id for i in items if isinstance(i.req.lead_id, int) and i.req.lead_id > 0})
    for part in chunks(ids):
        by_id.update({r["pk"]: r for r in base.filter(pk__in=part).values(*LEAD_COLUMNS)})
    by_email: dict[str, list[dict]] = {}
    emails = sorted({i.email for i in items if i.email and i.req.lead_id is None})
    for part in chunks(emails):
        for r in base.filter(email__in=part).values(*LEAD_COLUMNS):
            by_email.setdefault(r["email"], []).append(r)
    # The local part keeps its letter case on capture: match the rest regardless of case.
    unmatched = sorted({e.lower() for e in emails if e not in by_email})
    folded: dict[str, list[dict]] = {}
    for part in chunks(unmatched):
        for r in (
            base.annotate(email_folded=Lower("email")).filter(email_folded__in=part).values(*LEAD_COLUMNS)
        ):
            folded.setdefault(r["email"].lower(), []).append(r)
    by_phone: dict[str, list[dict]] = {}
    phones = sorted({i.phone for i in items if i.phone and i.req.lead_id is None})
    for part in chunks(phones):
        for r in base.filter(phone__in=part).values(*LEAD_COLUMNS):
            by_phone.setdefault(r["phone"], []).append(r)
    for item in items:
        if item.req.lead_id is not None:
            item.lead = by_id.get(item.req.lead_id)
            continue
        rows = (by_email.get(item.email) or folded.get(item.email.lower())) if item.email else None
        if not rows and item.phone:
            rows = by_phone.get(item.phone)
        item.lead = _pick(rows) if rows else None
    # Duplicates merged into a survivor: the behaviour belongs to the survivor.
    for _ in range(MERGE_HOPS):
        pending = sorted({i.lead["merged_into_id"] for i in items if i.lead and i.lead["merged_into_id"]})
        if not pending:
            break
        survivors: dict[int, dict] = {}
        for part in chunks(pending):
            survivors.update({r["pk"]: r for r in base.filter(pk__in=part).values(*LEAD_COLUMNS)})
        for item in items:
            if item.lead and item.lead["merged_into_id"]:
                item.lead = survivors.get(item.lead["merged_into_id"])


def _not_found(item: _Item) -> str:
    if item.req.lead_id is not None:
        return f"lead {item.req.lead_id} does not exist or is not visible to you"
    who = " or ".join(
        x for x in (item.email and f"e-mail {item.email}", item.phone and f"phone {item.phone}") if x
    )
    return f"no lead with {who}"


def _invalid_batch(errors: dict[int, dict[str, str]], total: int) -> InvalidInput:
    def text(fields: dict[str, str]) -> str:
        return "; ".join(f"{k}: {v}" for k, v in fields.items())

    details = {"items": {str(i): {"fields": f} for i, f in errors.items()}}
    if total == 1:
        return InvalidInput(f"the event is not valid: {text(errors[0])}", details=details)
    listed = list(errors.items())[:MAX_LISTED]
    more = len(errors) - len(listed)
    return InvalidInput(
        f"{len(errors)} of {total} items are not valid, nothing was stored: "
        + "; ".join(f"item {i}: {text(f)}" for i, f in listed)
        + (f"; and {more} more (see details)" if more else ""),
        details=details,
    )


# --- The service ----------------------------------------------------------------------------------


def behaviour_record(
    requests: Sequence[BehaviourRequest],
    *,
    actor=None,
    skip_unknown_leads: bool = False,
    source: str = "api",
) -> BehaviourResult:
    """Record behaviour events in bulk: all validated first, stored together, tags applied.

    One bad item (unknown kind, a time in the future or before the lead existed, no such lead, …)
    refuses the whole batch with InvalidInput naming every bad item (``item 3: …``); nothing is stored.
    With ``skip_unknown_leads`` items whose lead is not found are reported as unmatched instead.
    An item whose ``external_id`` the lead already has for that kind (or an earlier item of the batch
    had) is a duplicate: a replayed batch creates nothing. Queries: one per 500 keys to find leads and
    earlier events, one INSERT per 500 rows per table, then ``tag_rules_apply`` for the touched leads.
    """
    if not may_record(actor):
        raise NotAllowed("only marketers, SDRs and admins (sales ops) may record behaviour")
    if not requests:
        return BehaviourResult(items=[])
    now = clock.now()
    region = PhoneRegion()
    items, errors = [], {}
    for i, req in enumerate(requests):
        item, problems = _clean(req, now, region)
        items.append(item)
        if problems:
            errors[i] = problems
    identity = {"lead", "lead_id", "email", "phone"}
    findable = [i for i in range(len(items)) if not identity & set(errors.get(i, {}))]
    _find_leads(
        [items[i] for i in findable], Lead.objects.all() if _sees_all(actor) else leads_visible(actor)
    )
    outcomes: dict[int, ItemOutcome] = {}
    for i in findable:
        item = items[i]
        if item.lead is None:
            if skip_unknown_leads:
                outcomes[i] = ItemOutcome(i, "unmatched", reason=_not_found(item))
            else:
                errors.setdefault(i, {})["lead"] = _not_found(item)
            continue
        if problem := rules.time_problem(item.occurred_at, now=now, lead_created_at=item.lead["created_at"]):
            errors.setdefault(i, {}).setdefault("occurred_at", problem)
    if errors:
        raise _invalid_batch(dict(sorted(errors.items())), len(requests))

    # Idempotency: external ids the leads already have for the kind, and repeats within the batch.
    keyed = [item for i, item in enumerate(items) if item.external_id and i not in outcomes]
    earlier: dict[tuple[int, str, str], int] = {}
    for part in chunks(keyed):
        rows = BehaviourEvent.objects.filter(
            lead_id__in={item.lead["pk"] for item in part},
            external_id__in={item.external_id for item in part},
        ).values_list("lead_id", "kind", "external_id", "pk")
        earlier.update({(lead_id, kind, ext): pk for lead_id, kind, ext, pk in rows})
    fresh: list[tuple[int, _Item]] = []
    first: dict[tuple[int, str, str], int] = {}  # key → index in ``fresh`` of its first occurrence
    repeats: list[tuple[int, int]] = []  # (item, index in ``fresh``)
    for i, item in enumerate(items):
        if i in outcomes:
            continue
        key = (item.lead["pk"], item.req.kind, item.external_id)
        if item.external_id and key in earlier:
            outcomes[i] = ItemOutcome(i, "duplicate", item.lead["pk"], earlier[key])
        elif item.external_id and key in first:
            repeats.append((i, first[key]))
        else:
            if item.external_id:
                first[key] = len(fresh)
            fresh.append((i, item))

    events = [
        BehaviourEvent(lead_id=item.lead["pk"], kind=item.req.kind, occurred_at=item.occurred_at, received_at=now,
                       channel=item.channel, source=source, title=item.detail.get("title", ""),
                       url=item.detail.get("url", ""), campaign=item.detail.get("campaign", ""), data=item.data,
                       external_id=item.external_id, recorded_by=actor)
        for _, item in fresh
    ]  # fmt: skip
    result = BehaviourResult(items=[])
    try:
        with transaction.atomic():
            rows_insert(BehaviourEvent, events)
            rows_insert(LeadEvent, [
                LeadEvent(lead_id=event.lead_id, kind=LeadEvent.Kind.BEHAVIOUR, occurred_at=event.occurred_at,
                          actor=actor, cycle=item.lead["cycle"], reason=event.title[:300],
                          data={"behaviour_id": event.pk, "kind": event.kind, "channel": event.channel,
                                "detail": event.detail})
                for (_, item), event in zip(fresh, events, strict=True)
            ])  # fmt: skip
            if events:
                # Counted as of the latest event: a reporting clock a little ahead still counts.
                at = max(now, *(e.occurred_at for e in events))
                # Rescored first (the kinds the scoring model counts): tag rules may read the score.
                behaviour_rescore([(e.lead_id, e.kind) for e in events], at=at)
                result.tag_changes = tag_rules_apply(sorted({e.lead_id for e in events}), at)
    except IntegrityError:
        raise Conflict(
            "another request recorded some of these events at the same moment; retrying is safe "
            "(events already recorded count as duplicates)",
            code="concurrent_duplicate",
        )
    for (i, _), event in zip(fresh, events, strict=True):
        outcomes[i] = ItemOutcome(i, "created", event.lead_id, event.pk)
    for i, j in repeats:
        outcomes[i] = ItemOutcome(i, "duplicate", events[j].lead_id, events[j].pk)
    result.items = [outcomes[i] for i in range(len(items))]
    result.created = events
    return result


def behaviour_event_record(
    kind: str,
    *,
    lead_id: int | None = None,
    email: str | None = None,
    phone: str | None = None,
    occurred_at: datetime | None = None,
    channel: str = "",
    detail: Mapping[str, str] | None = None,
    data: Mapping | None = None,
    external_id: str = "",
    actor=None,
    source: str = "api",
) -> BehaviourEvent | None:
    """Record one event (``behaviour_record`` with one item); None if it was a duplicate."""
    req = BehaviourRequest(kind, occurred_at, lead_id, email, phone, channel, detail, data, external_id)
    result = behaviour_record([req], actor=actor, source=source)
    return result.created[0] if result.created else None
