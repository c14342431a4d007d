"""Reads on consent, and the check every send makes: read the facts, let ``core.consent`` decide.

Fail closed: if the facts cannot be read (the database is unavailable, a stored address cannot be
normalised, nobody to identify the person by), the decision is "not allowed" with the reason
"consent check unavailable". Other errors propagate, which also means nothing is sent.
"""

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import DatabaseError
from django.db.models import Q, QuerySet

from baton import clock
from baton.consent.identity import PhoneRegion, email_key, identity_clean, phone_key
from baton.consent.models import ConsentSettings, ContactPreference, DomainSuppression
from baton.core import consent as rules
from baton.core.consent import ConsentDecision, ConsentFacts
from baton.core.errors import InvalidInput

log = logging.getLogger(__name__)

CHUNK = 2000  # people per query: far below the bound-parameter limits of SQLite and PostgreSQL


@dataclass(frozen=True)
class _Person:
    email: str = ""
    phone: str = ""
    problem: str = ""  # why the person cannot be checked

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]


def _domain_candidates(domain: str) -> list[str]:
    """The domain and its parents with at least two labels: a.b.example.com → itself, b.example.com, example.com."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)] if domain else []


def _settings() -> ConsentSettings:
    # A read: the row is created by the first settings change, defaults until then.
    return ConsentSettings.objects.filter(pk=1).first() or ConsentSettings()


def _load_facts(people: Sequence[_Person], at: datetime) -> list[ConsentFacts]:
    """One query for the settings, and per 2,000 people one for preferences and one for suppressions."""
    required = _settings().opt_in_required()
    checkable = [p for p in people if not p.problem]
    by_email: dict[str, list[rules.Preference]] = {}
    by_phone: dict[str, list[rules.Preference]] = {}
    suppressed: set[str] = set()
    for start in range(0, len(checkable), CHUNK):
        part = checkable[start : start + CHUNK]
        emails = {p.email for p in part if p.email}
        phones = {p.phone for p in part if p.phone}
        rows = ContactPreference.objects.filter(
            Q(email__in=emails) | Q(phone__in=phones), recorded_at__lte=at
        ).values_list("pk", "email", "phone", "channel", "state", "source", "recorded_at")
        for pk, email, phone, channel, state, source, recorded_at in rows:
            pref = rules.Preference(channel, state, recorded_at, pk, source)
            if email in emails:
                by_email.setdefault(email, []).append(pref)
            if phone in phones:
                by_phone.setdefault(phone, []).append(pref)
        domains = {d for p in part for d in _domain_candidates(p.domain)}
        if domains:
            suppressed.update(
                DomainSuppression.objects.filter(domain__in=domains, created_at__lte=at)
                .filter(Q(removed_at__isnull=True) | Q(removed_at__gt=at))
                .values_list("domain", flat=True)
            )
    facts = []
    for p in people:
        if p.problem:
            facts.append(ConsentFacts.unavailable(p.problem))
            continue
        prefs = {pref.seq: pref for pref in by_email.get(p.email, []) + by_phone.get(p.phone, [])}
        hit = next((d for d in _domain_candidates(p.domain) if d in suppressed), "")
        facts.append(
            ConsentFacts(
                preferences=tuple(prefs.values()),
                domain_suppressed=bool(hit),
                suppressed_domain=hit,
                opt_in_required=required,
            )
        )
    return facts


def _facts_or_unavailable(people: Sequence[_Person], at: datetime) -> list[ConsentFacts]:
    try:
        return _load_facts(people, at)
    except DatabaseError:
        log.exception("consent facts could not be read; failing closed")
        return [ConsentFacts.unavailable("the consent records could not be read")] * len(people)


def _person(email: str | None, phone: str | None, region) -> _Person:
    """A person for the check; bad stored data makes them uncheckable rather than failing the batch."""
    email, phone = (email or "").strip(), (phone or "").strip()
    if not email and not phone:
        return _Person(problem="no e-mail or phone to check")
    try:
        return _Person(email_key(email) if email else "", phone_key(phone, region(phone)) if phone else "")
    except InvalidInput as exc:
        return _Person(problem=exc.message)
    except DatabaseError:
        return _Person(problem="the consent records could not be read")


def _person_strict(email: str | None, phone: str | None) -> _Person:
    """A person from caller input: invalid input is the caller's error (InvalidInput), not a decision."""
    try:
        return _Person(*identity_clean(email, phone))
    except DatabaseError:
        return _Person(problem="the consent records could not be read")


def _channel(channel: str) -> str:
    try:
        rules.check_channel(channel)
    except ValueError as exc:
        raise InvalidInput(f"channel: {exc}", details={"fields": {"channel": str(exc)}})
    return channel


def contact_decision(
    email: str | None = None, phone: str | None = None, *, channel: str, at: datetime | None = None
) -> ConsentDecision:
    """May this person (e-mail and/or phone) be contacted on ``channel`` now (or at ``at``)?

    Raises InvalidInput for an unknown channel, a malformed e-mail or phone, or neither given.
    """
    _channel(channel)
    at = at or clock.now()
    facts = _facts_or_unavailable([_person_strict(email, phone)], at)[0]
    return rules.may_contact(channel, facts, now=at)


def person_decisions(
    email: str | None = None, phone: str | None = None, *, at: datetime | None = None
) -> dict[str, ConsentDecision]:
    """The decision for every send channel of one person, from one read of the facts.

    Stored data that cannot be normalised gives "consent check unavailable" decisions (no exception).
    """
    at = at or clock.now()
    facts = _facts_or_unavailable([_person(email, phone, PhoneRegion())], at)[0]
    return {channel: rules.may_contact(channel, facts, now=at) for channel in rules.SEND_CHANNELS}


def _identity_of(person) -> tuple[str | None, str | None]:
    if isinstance(person, Mapping):
        return person.get("email"), person.get("phone")
    if isinstance(person, tuple | list):
        email, phone = (list(person) + [None, None])[:2]
        return email, phone
    return getattr(person, "email", None), getattr(person, "phone", None)


def contact_decisions(people: Iterable, channel: str, *, at: datetime | None = None) -> list[ConsentDecision]:
    """Decisions for many people at once, in their order: one query per table (per 2,000 people).

    A person is an (email, phone) pair, a mapping with "email"/"phone", or any object with
    ``email``/``phone`` attributes (a Lead, a Contact). A person who cannot be checked (no e-mail or
    phone, a malformed one) gets "consent check unavailable": the batch never fails for one row.
    """
    _channel(channel)
    at = at or clock.now()
    region = PhoneRegion()
    persons = [_person(*_identity_of(p), region) for p in people]
    return [rules.may_contact(channel, facts, now=at) for facts in _facts_or_unavailable(persons, at)]


def preference_history(email: str | None = None, phone: str | None = None) -> QuerySet[ContactPreference]:
    """Every record of a person (by e-mail and/or phone), newest first. Raises InvalidInput for bad input."""
    person = _person_strict(email, phone)
    q = Q()
    if person.email:
        q |= Q(email=person.email)
    if person.phone:
        q |= Q(phone=person.phone)
    return ContactPreference.objects.filter(q).select_related("recorded_by").order_by("-recorded_at", "-id")


def suppressions(*, include_removed: bool = False) -> QuerySet[DomainSuppression]:
    qs = DomainSuppression.objects.select_related("created_by", "removed_by")
    if not include_removed:
        qs = qs.filter(active=True)
    return qs.order_by("-active", "domain", "-created_at")


def consent_settings() -> ConsentSettings:
    return _settings()
