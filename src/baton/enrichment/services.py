"""Writes on enrichment: look leads' companies up, fill what is empty, let waiting leads go.

- ``leads_enrich`` (bulk; ``lead_enrich`` wraps it for the "run again" button and the API): one
  ``lookup_many`` call for the whole batch, made *before* any write transaction (a directory that has
  to be reloaded never holds the database's write lock), then a fixed number of queries whatever the
  number of leads: the leads and their accounts re-read and locked, pending requests and account
  profiles read, and every write as one statement per 500 rows (``rows_insert`` / ``rows_update``).
- ``enrichment_before_routing``: the hook for capture. Enriches what the provider answers at once;
  returns the leads to score and route now, and those that wait (only with an asynchronous provider
  and "routing waits" on).
- ``enrichment_sweep``: for the worker. Asks the provider again for pending requests, times out
  those past the timeout, and returns the ids of unrouted leads that may be routed now.

What is filled: ``core.enrichment.merge_plan`` per target — the lead (industry, company size, city,
region, website), its account (the same, as headcount and domain) and the account's profile
(registered capital, funding round). Only empty fields; what a person typed stays. Each filled lead
gets an ``enriched`` timeline entry with the changes; every look-up is an ``EnrichmentRequest``.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction

from baton import clock
from baton.core import enrichment as rules
from baton.core.enrichment import CompanyFacts, CompanyKey
from baton.core.errors import InvalidInput, NotAllowed
from baton.dbutil import chunks, rows_insert, rows_update
from baton.enrichment import providers
from baton.enrichment.models import (
    TIMEOUT_MAX_SECONDS,
    AccountProfile,
    EnrichmentRequest,
    EnrichmentSettings,
)
from baton.enrichment.providers import Provider, ProviderUnavailable
from baton.enrichment.selectors import enrichment_settings
from baton.leads.models import Account, Lead, LeadEvent
from baton.org.services import audit_record
from baton.scoring.services import leads_score, scoring_reads

log = logging.getLogger(__name__)

# fact → model field, per target
LEAD_FIELDS = {"domain": "website_domain", "industry": "industry", "city": "city", "region": "region",
               "headcount": "company_size"}  # fmt: skip
ACCOUNT_FIELDS = {"domain": "domain", "industry": "industry", "city": "city", "region": "region",
                  "headcount": "headcount"}  # fmt: skip
PROFILE_FIELDS = {"registered_capital": "registered_capital", "funding_round": "funding_round"}
REQUEST_FIELDS = ("account", "provider", "status", "finished_at", "key_domain", "key_name", "matched_by",
                  "found", "changes", "error")  # fmt: skip
ERROR_MAX = 500
NO_PROVIDER = "no enrichment provider is configured"


def _not_configured() -> ProviderUnavailable:
    return ProviderUnavailable(
        f"{NO_PROVIDER}: set BATON_ENRICHMENT_PROVIDER=directory and BATON_ENRICHMENT_DIRECTORY to a "
        "CSV or XLSX company directory"
    )


@dataclass
class _Item:
    """One lead of a batch: its key, its answer, its request."""

    caller: Lead  # the object the caller passed (filled values are copied onto it)
    key: CompanyKey
    requested_at: datetime
    waited: bool = False
    lead: Lead | None = None  # re-read and locked
    request: EnrichmentRequest | None = None
    changes: list[dict] = field(default_factory=list)


def _account_of(lead: Lead, accounts: dict[int, Account]) -> Account | None:
    if lead.account_id is None:
        return None
    if Lead.account.is_cached(lead):
        return lead.account
    return accounts.get(lead.account_id)


def _key(lead: Lead, account: Account | None) -> CompanyKey:
    return providers.company_key(
        website_domain=lead.website_domain,
        account_domain=account.domain if account else "",
        email=lead.email,
        company=lead.company or (account.name if account else ""),
    )


def _ask(provider: Provider | None, keys: list[CompanyKey]) -> tuple[dict, str]:
    """(answers, error): one batch call; an exception becomes the error of every key."""
    if provider is None:
        return {}, NO_PROVIDER
    if not keys:
        return {}, ""
    try:
        answers = provider.lookup_many(keys)
    except Exception as exc:  # a provider's failure must not fail the capture or the sweep
        log.warning("enrichment provider %s failed for %d key(s)", provider.name, len(keys), exc_info=True)
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return {}, f"{provider.name}: {message}"[:ERROR_MAX]
    if not isinstance(answers, dict):
        return {}, f"{provider.name}: lookup_many returned {type(answers).__name__}, not a dict"
    return answers, ""


def _matched_by(key: CompanyKey, facts: CompanyFacts) -> str:
    domain = key[0]
    if domain and facts.domain and (domain == facts.domain or domain.endswith("." + facts.domain)):
        return "domain"
    return "name"


def _plan(target: str, obj, fields: dict[str, str], facts: CompanyFacts, skip: frozenset = frozenset()):
    """Apply merge_plan to ``obj``: set the filled fields, return (changed model fields, change records)."""
    current = {fact: getattr(obj, f) for fact, f in fields.items() if fact not in skip}
    changed, records = [], []
    for fact, entry in rules.merge_plan(current, facts).items():
        model_field = fields[fact]
        records.append({"target": target, **entry.as_json(), "field": model_field, "fact": fact})
        if entry.action == rules.FILL:
            setattr(obj, model_field, entry.value)
            changed.append(model_field)
    return changed, records


def _summary(changes: list[dict], source: str) -> str:
    filled = [c["field"] for c in changes if c["action"] == rules.FILL]
    what = ", ".join(dict.fromkeys(filled)) if filled else "nothing (every field was already set)"
    return f"filled {what} from {source or 'the provider'}"[:300]


def _run(
    provider: Provider | None,
    leads: Sequence[Lead],
    *,
    now: datetime,
    ats: Sequence[datetime] | None = None,
    actor=None,
    waited: bool | Sequence[bool] = False,
    trigger: str = EnrichmentRequest.Trigger.CAPTURE,
    timeout: timedelta | None = None,
) -> list[EnrichmentRequest | None]:
    """Look the leads up and record the outcome. With ``timeout`` (the sweep), pending requests past it
    time out and a provider error leaves them pending; without it, a provider error fails them.
    ``waited``: for all leads or per lead, whether routing holds the lead for a new request."""
    ats = list(ats) if ats is not None else [now] * len(leads)
    waits = [waited] * len(leads) if isinstance(waited, bool) else list(waited)
    if len(ats) != len(leads) or len(waits) != len(leads):
        raise ValueError("ats and waited must have one value per lead")
    uncached = {lead.account_id for lead in leads if lead.account_id and not Lead.account.is_cached(lead)}
    accounts = Account.objects.in_bulk(list(uncached)) if uncached else {}
    items: dict[int, _Item] = {}
    for lead, at, wait in zip(leads, ats, waits, strict=True):
        if lead.pk not in items:
            items[lead.pk] = _Item(lead, _key(lead, _account_of(lead, accounts)), at, wait)
    keys = list(dict.fromkeys(item.key for item in items.values() if item.key != ("", "")))
    answers, error = _ask(provider, keys)  # before the transaction: a slow provider holds no lock

    with transaction.atomic():
        ids = sorted(items)
        for part in chunks(ids):
            for lead in Lead.objects.filter(pk__in=part).select_for_update(of=("self",)).order_by("pk"):
                items[lead.pk].lead = lead
        account_ids = sorted({i.lead.account_id for i in items.values() if i.lead and i.lead.account_id})
        locked: dict[int, Account] = {}
        for part in chunks(account_ids):
            locked.update(
                (a.pk, a) for a in Account.objects.filter(pk__in=part).select_for_update().order_by("pk")
            )
        pending: dict[int, EnrichmentRequest] = {}
        for part in chunks(ids):
            pending.update(
                (r.lead_id, r)
                for r in EnrichmentRequest.objects.filter(lead_id__in=part, status=rules.PENDING)
            )
        found = {
            pk: answers.get(item.key)
            for pk, item in items.items()
            if item.lead is not None and item.key in answers and answers.get(item.key) is not None
        }
        profiles: dict[int, AccountProfile] = {}
        profile_ids = sorted({items[pk].lead.account_id for pk in found if items[pk].lead.account_id})
        for part in chunks(profile_ids):
            profiles.update((p.account_id, p) for p in AccountProfile.objects.filter(account_id__in=part))
        # A domain already held by another account is not given to a second one (it would split matches).
        wanted = {
            facts.domain
            for pk, facts in found.items()
            if facts.domain and getattr(locked.get(items[pk].lead.account_id), "domain", None) == ""
        }
        taken: dict[str, int] = {}
        for part in chunks(sorted(wanted)):
            taken.update(Account.objects.filter(domain__in=part).values_list("domain", "pk"))

        changed_leads: dict[int, Lead] = {}
        lead_fields: set[str] = set()
        changed_accounts: dict[int, Account] = {}
        account_fields: set[str] = set()
        new_profiles: dict[int, AccountProfile] = {}
        changed_profiles: dict[int, AccountProfile] = {}
        new_requests, old_requests, events = [], [], []
        audit = []
        for pk in ids:
            item = items[pk]
            lead = item.lead
            if lead is None:
                continue  # deleted meanwhile
            account = locked.get(lead.account_id) if lead.account_id else None
            request = pending.get(pk)
            if request is None:
                if item.key == ("", ""):
                    continue  # nothing to look up, nothing recorded
                if provider is None:
                    continue
                request = EnrichmentRequest(
                    lead=lead, provider=provider.name, status=rules.PENDING, trigger=trigger, waited=item.waited,
                    requested_at=item.requested_at, requested_by=actor,
                )  # fmt: skip
                new_requests.append(request)
            else:
                old_requests.append(request)
            item.request = request
            request.account = account
            request.key_domain, request.key_name = item.key[0][:200], item.key[1][:200]
            expired = timeout is not None and rules.wait_decision(
                request.requested_at, now, timeout, rules.PENDING
            ) == rules.ROUTE  # fmt: skip
            facts = found.get(pk)
            if item.key == ("", ""):
                request.status, request.error = (
                    rules.NOT_FOUND,
                    "nothing to look up (no company, website or company e-mail)",
                )
            elif provider is None:
                request.status, request.error = rules.FAILED, NO_PROVIDER
            elif item.key in answers:
                request.status = rules.ENRICHED if facts is not None else rules.NOT_FOUND
                request.provider, request.error = provider.name, ""
            elif error and (timeout is None or expired):
                request.status = rules.TIMED_OUT if expired else rules.FAILED
                request.error = error
            elif expired:
                request.status = rules.TIMED_OUT
                request.error = f"no answer from {request.provider} within {int(timeout.total_seconds())} s"
            else:
                request.error = error  # still pending: the sweep asks again
            if trigger == EnrichmentRequest.Trigger.MANUAL:
                audit.append(request)
            if request.status == rules.PENDING:
                continue
            request.finished_at = max(now, request.requested_at)
            if facts is None:
                continue
            request.matched_by = _matched_by(item.key, facts)
            request.found = facts.as_json()
            fields, records = _plan("lead", lead, LEAD_FIELDS, facts)
            item.changes += records
            if fields:
                changed_leads[pk] = lead
                lead_fields.update(fields)
                for f in fields:
                    setattr(item.caller, f, getattr(lead, f))
            if account is not None:
                skip = frozenset()
                if not account.domain and facts.domain and taken.get(facts.domain, account.pk) != account.pk:
                    skip = frozenset({"domain"})
                    item.changes.append({"target": "account", "field": "domain", "fact": "domain",
                                         "action": "skip", "value": facts.domain, "current": "",
                                         "reason": f"{facts.domain} belongs to account #{taken[facts.domain]}"})  # fmt: skip
                fields, records = _plan("account", account, ACCOUNT_FIELDS, facts, skip)
                item.changes += records
                if fields:
                    changed_accounts[account.pk] = account
                    account_fields.update(fields)
                    if "domain" in fields:
                        taken[account.domain] = account.pk
                    if Lead.account.is_cached(item.caller) and item.caller.account is not None:
                        for f in fields:
                            setattr(item.caller.account, f, getattr(account, f))
                profile = profiles.get(account.pk)
                if profile is None:
                    profile = AccountProfile(account=account, updated_at=now)
                fields, records = _plan("account_profile", profile, PROFILE_FIELDS, facts)
                item.changes += records
                if fields:
                    profile.source, profile.as_of, profile.updated_at = facts.source[:200], facts.as_of, now
                    if profile.pk is None:
                        profiles[account.pk] = new_profiles[account.pk] = profile
                    else:
                        changed_profiles[account.pk] = profile
            request.changes = item.changes

        rows_update(Lead, list(changed_leads.values()), sorted(lead_fields))
        # A lead scored already (not one being captured: capture scores it next) is rescored when a
        # filled field is one the scoring model reads.
        rescore = [lead for lead in changed_leads.values() if lead.grade]
        if rescore and scoring_reads(lead_fields):
            leads_score(rescore, trigger="enriched", ats=[now] * len(rescore))
        rows_update(Account, list(changed_accounts.values()), sorted(account_fields))
        rows_insert(AccountProfile, list(new_profiles.values()))
        rows_update(AccountProfile, list(changed_profiles.values()),
                    ["registered_capital", "funding_round", "source", "as_of", "updated_at"])  # fmt: skip
        rows_insert(EnrichmentRequest, new_requests)
        rows_update(EnrichmentRequest, old_requests, REQUEST_FIELDS)
        for pk in ids:
            item = items[pk]
            request = item.request
            if request is None or request.status != rules.ENRICHED:
                continue
            events.append(LeadEvent(
                lead=item.lead, kind=LeadEvent.Kind.ENRICHED, occurred_at=request.finished_at, actor=actor,
                cycle=item.lead.cycle, reason=_summary(request.changes, request.found.get("source", "")),
                data={"request": request.pk, "provider": request.provider, "status": request.status,
                      "matched_by": request.matched_by, "source": request.found.get("source", ""),
                      "changes": request.changes},
            ))  # fmt: skip
        rows_insert(LeadEvent, events)
        for request in audit:
            audit_record(actor, "enrichment.rerun", "lead", request.lead_id,
                         {"request": request.pk, "status": request.status,
                          "filled": [c["field"] for c in request.filled()]}, at=now)  # fmt: skip
    return [items[lead.pk].request for lead in leads]


# --- the public services ---------------------------------------------------------------------------


def leads_enrich(
    leads: Sequence[Lead],
    *,
    at: datetime | None = None,
    ats: Sequence[datetime] | None = None,
    actor=None,
    waited: bool = False,
    trigger: str = EnrichmentRequest.Trigger.CAPTURE,
) -> list[EnrichmentRequest | None]:
    """Look up the companies of ``leads`` with the configured provider and fill what is empty.

    One ``lookup_many`` call for all; the result has one request per lead (None for a lead with nothing
    to look up: no company name, website or company e-mail domain). A request is ``enriched`` or
    ``not_found`` when the provider answered, ``failed`` when it raised, ``pending`` when it has not
    answered yet (the sweep asks again). ``ats``: the instant each lead was captured (its request's
    ``requested_at``), by default ``at`` (default now). ``waited``: routing holds these leads until
    their requests finish. Filled values are also set on the objects passed in.

    Raises ProviderUnavailable if no provider is configured.
    """
    provider = providers.active_provider()
    if provider is None:
        raise _not_configured()
    if not leads:
        return []
    return _run(provider, leads, now=at or clock.now(), ats=ats, actor=actor, waited=waited, trigger=trigger)


def lead_enrich(lead: Lead, *, actor=None, at: datetime | None = None) -> EnrichmentRequest:
    """Look a lead's company up again (the lead page's button and ``POST /leads/{id}/enrich``)."""
    account = lead.account if lead.account_id else None
    if _key(lead, account) == ("", ""):
        raise InvalidInput(
            "the lead has no company name, website or company e-mail domain to look up",
            code="nothing_to_look_up",
        )
    request = leads_enrich([lead], at=at, actor=actor, trigger=EnrichmentRequest.Trigger.MANUAL)[0]
    assert request is not None
    return request


def enrichment_before_routing(
    leads: Sequence[Lead], *, at: datetime | None = None, ats: Sequence[datetime] | None = None
) -> tuple[list[Lead], list[Lead]]:
    """Enrich freshly captured leads before they are scored and routed: (ready to route, waiting).

    Call it with every captured lead after the capture is committed and *before* the scoring/routing
    transaction opens (``ats``: each lead's capture instant). With enrichment off or no provider
    configured it returns (leads, []) without a query (the settings are cached). Only an inbound lead
    waits, and only if "routing waits for enrichment" is on and the provider has not answered yet
    (asynchronous providers); the worker's sweep releases it when the answer comes or the timeout
    passes. Outbound leads are enriched too but never wait (they are not routed). If enrichment itself
    breaks, the error is logged and every lead is ready: a capture is never held up by enrichment.
    """
    leads = list(leads)
    if not leads:
        return [], []
    settings = enrichment_settings()
    if not settings.enabled:
        return leads, []
    try:
        provider = providers.active_provider()
    except ProviderUnavailable as exc:
        log.warning("enrichment skipped: %s", exc.message)
        return leads, []
    if provider is None:
        return leads, []
    waits = [settings.wait_before_routing and lead.direction == Lead.Direction.INBOUND for lead in leads]
    try:
        requests = _run(provider, leads, now=at or clock.now(), ats=ats, waited=waits)
    except Exception:
        log.exception("enrichment of %d captured lead(s) failed; routing them without it", len(leads))
        return leads, []
    ready, waiting = [], []
    for lead, request, wait in zip(leads, requests, waits, strict=True):
        held = wait and request is not None and request.status == rules.PENDING and request.waited
        (waiting if held else ready).append(lead)
    return ready, waiting


def enrichment_sweep(at: datetime | None = None, *, limit: int = 500) -> list[int]:
    """Finish pending requests and time out those past the timeout, as of ``at``.

    Asks the provider once for the oldest ``limit`` pending requests; answered ones are enriched or
    not found, the unanswered ones past ``timeout_seconds`` become ``timed_out`` (``finished_at`` =
    ``at``: the lead waited until this sweep released it). Returns the ids of the leads whose request
    finished now and that are not routed yet: ``leads_route_pending`` routes them.
    """
    at = at or clock.now()
    pending = list(
        EnrichmentRequest.objects.filter(status=rules.PENDING)
        .select_related("lead__account")
        .order_by("requested_at", "pk")[:limit]
    )
    if not pending:
        return []
    settings = enrichment_settings()
    try:
        provider = providers.active_provider()
    except ProviderUnavailable as exc:
        log.warning("enrichment sweep without a provider: %s", exc.message)
        provider = None
    leads = [request.lead for request in pending]
    results = _run(provider, leads, now=at, timeout=timedelta(seconds=settings.timeout_seconds))
    return [
        lead.pk
        for lead, request in zip(leads, results, strict=True)
        if request is not None and request.status != rules.PENDING and lead.routed_at is None
    ]


@transaction.atomic
def enrichment_settings_update(
    actor, *, enabled: bool, wait_before_routing: bool, timeout_seconds: int
) -> EnrichmentSettings:
    """Change the enrichment settings (admins; audited)."""
    if actor is not None and not actor.is_admin:
        raise NotAllowed("only admins (sales ops) may change the enrichment settings")
    if isinstance(timeout_seconds, bool) or not isinstance(timeout_seconds, int):
        raise InvalidInput("timeout_seconds: must be a whole number of seconds",
                           details={"fields": {"timeout_seconds": "not a whole number"}})  # fmt: skip
    if not 1 <= timeout_seconds <= TIMEOUT_MAX_SECONDS:
        message = f"must be between 1 and {TIMEOUT_MAX_SECONDS} seconds"
        raise InvalidInput(f"timeout_seconds: {message}", details={"fields": {"timeout_seconds": message}})
    obj = EnrichmentSettings.get()
    before = {"enabled": obj.enabled, "wait_before_routing": obj.wait_before_routing,
              "timeout_seconds": obj.timeout_seconds}  # fmt: skip
    obj.enabled, obj.wait_before_routing, obj.timeout_seconds = enabled, wait_before_routing, timeout_seconds
    obj.save()
    after = {
        "enabled": enabled,
        "wait_before_routing": wait_before_routing,
        "timeout_seconds": timeout_seconds,
    }
    audit_record(actor, "enrichment.settings_update", "enrichment_settings", obj.pk,
                 {"before": before, "after": after})  # fmt: skip
    return obj
