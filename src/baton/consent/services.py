"""Writes on consent: preferences (append-only), domain suppressions, unsubscribe links, settings.

Who may do what: anyone signed in may record an opt-out (honouring a request to stop must never be
blocked); recording an opt-in or "unknown" widens contact, so it is for admins and marketers; domain
suppressions and the consent settings are for admins (sales ops). ``actor=None`` is the system
itself (an unsubscribe link, a web form, an import run by the CLI). Every change is audited.
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from baton import clock
from baton.consent.identity import PhoneRegion, domain_clean, email_key, identity_clean
from baton.consent.models import (
    Channel,
    ConsentSettings,
    ConsentSource,
    ConsentState,
    ContactPreference,
    DomainSuppression,
)
from baton.core import consent as rules
from baton.core import normalize
from baton.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from baton.dbutil import rows_insert
from baton.org.models import Role
from baton.org.services import audit_record

UNSUBSCRIBE_SALT = "baton.consent.unsubscribe"
NOTE_MAX = 2000
REASON_MAX = 300


def _choice(value: str, choices: Sequence[str], field: str) -> str:
    if value not in choices:
        message = f"unknown {field} {value!r}; expected one of {', '.join(choices)}"
        raise InvalidInput(f"{field}: {message}", details={"fields": {field: message}})
    return value


def may_widen(actor) -> bool:
    """May ``actor`` record an opt-in or "unknown" (which allow more contact than before)?"""
    return actor is None or actor.is_admin or actor.has_role(Role.MARKETER)


def _check_may_record(actor, state: str) -> None:
    if state != ConsentState.OPTED_OUT and not may_widen(actor):
        raise NotAllowed(
            "only admins and marketers may record an opt-in or reset consent; anyone may record an opt-out"
        )


def _check_admin(actor, what: str) -> None:
    if actor is not None and not actor.is_admin:
        raise NotAllowed(f"only admins (sales ops) may {what}")


# --- Preferences -------------------------------------------------------------------------------


def _preference(row, region, at: datetime, actor) -> ContactPreference:
    if isinstance(row, Mapping):
        email, phone = row.get("email"), row.get("phone")
        channel, state = row.get("channel", ""), row.get("state", "")
        source, note = row.get("source", ConsentSource.IMPORT), row.get("note", "")
    else:
        email, phone, channel, state, source, *rest = row
        note = rest[0] if rest else ""
    email_k, phone_k = identity_clean(email, phone, region=region)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput(
            f"note: longer than {NOTE_MAX} characters", details={"fields": {"note": "too long"}}
        )
    return ContactPreference(
        email=email_k,
        phone=phone_k,
        channel=_choice(channel, Channel.values, "channel"),
        state=_choice(state, ConsentState.values, "state"),
        source=_choice(source, ConsentSource.values, "source"),
        recorded_at=at,
        recorded_by=actor,
        note=note,
    )


def preference_record(
    *,
    email: str | None = None,
    phone: str | None = None,
    channel: str,
    state: str,
    source: str = ConsentSource.MANUAL,
    actor=None,
    note: str = "",
    at: datetime | None = None,
) -> ContactPreference:
    """Record one statement of a person (e-mail and/or phone) about a channel ("all" for every channel)."""
    return preferences_record_bulk(
        [
            {
                "email": email,
                "phone": phone,
                "channel": channel,
                "state": state,
                "source": source,
                "note": note,
            }
        ],
        actor=actor,
        at=at,
    )[0]


@transaction.atomic
def preferences_record_bulk(
    rows: Iterable[Sequence | Mapping], *, actor=None, at: datetime | None = None
) -> list[ContactPreference]:
    """Record many statements at once (imports): rows of (email, phone, channel, state, source[, note])
    or mappings with those keys.

    All or nothing: if any row is invalid, nothing is written and InvalidInput lists every rejected
    row (0-based ``row``) with its reason. One INSERT per 500 rows and one audit record.
    """
    at = at or clock.now()
    region = PhoneRegion()
    prefs, rejected = [], []
    for i, row in enumerate(rows):
        try:
            prefs.append(_preference(row, region, at, actor))
        except InvalidInput as exc:
            rejected.append({"row": i, "reason": exc.message})
        except (TypeError, ValueError, AttributeError):
            rejected.append({"row": i, "reason": "expected (email, phone, channel, state, source[, note])"})
    if rejected:
        head = "; ".join(f"row {r['row']}: {r['reason']}" for r in rejected[:5])
        more = f" (and {len(rejected) - 5} more)" if len(rejected) > 5 else ""
        raise InvalidInput(
            f"{len(rejected)} consent row(s) rejected, nothing recorded: {head}{more}",
            details={"rejected": rejected},
        )
    if not prefs:
        return []
    for state in {p.state for p in prefs}:
        _check_may_record(actor, state)
    rows_insert(ContactPreference, prefs)
    if len(prefs) == 1:
        p = prefs[0]
        audit_record(actor, "consent.preference_record", "contact_preference", p.pk, {
            "email": p.email, "phone": p.phone, "channel": p.channel, "state": p.state, "source": p.source,
        }, at=at)  # fmt: skip
    else:
        audit_record(actor, "consent.preferences_record_bulk", "contact_preference", f"{prefs[0].pk}-{prefs[-1].pk}", {
            "count": len(prefs),
            "ids": [prefs[0].pk, prefs[-1].pk],
            "states": dict(Counter(p.state for p in prefs)),
            "channels": dict(Counter(p.channel for p in prefs)),
            "sources": dict(Counter(p.source for p in prefs)),
        }, at=at)  # fmt: skip
    return prefs


# --- Domain suppression ------------------------------------------------------------------------


def domain_suppress(domain: str, reason: str, actor, *, at: datetime | None = None) -> DomainSuppression:
    """Suppress an e-mail domain (and its subdomains): nobody there is contacted, on any channel."""
    _check_admin(actor, "suppress a domain")
    domain = domain_clean(domain)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason: is required", details={"fields": {"reason": "is required"}})
    if len(reason) > REASON_MAX:
        raise InvalidInput(
            f"reason: longer than {REASON_MAX} characters", details={"fields": {"reason": "too long"}}
        )
    if domain in normalize.FREE_MAIL_DOMAINS:
        raise InvalidInput(
            f"domain: {domain} is a free-mail domain; suppressing it would block everyone who uses it. "
            "Record opt-outs per person instead.",
            details={"fields": {"domain": "free-mail domain"}},
        )
    at = at or clock.now()
    try:
        with transaction.atomic():
            row = DomainSuppression.objects.create(
                domain=domain, reason=reason, created_at=at, created_by=actor
            )
            audit_record(actor, "consent.domain_suppress", "domain_suppression", row.pk,
                         {"domain": domain, "reason": reason}, at=at)  # fmt: skip
    except IntegrityError:
        raise Conflict(f"{domain} is already suppressed", code="already_suppressed")
    return row


@transaction.atomic
def domain_unsuppress(domain: str, actor, *, at: datetime | None = None) -> DomainSuppression:
    """Lift the active suppression of a domain; the row stays as history (inactive, with who and when)."""
    _check_admin(actor, "lift a domain suppression")
    domain = domain_clean(domain)
    row = DomainSuppression.objects.select_for_update().filter(domain=domain, active=True).first()
    if row is None:
        raise NotFound(f"{domain} is not suppressed")
    at = at or clock.now()
    row.active, row.removed_at, row.removed_by = False, at, actor
    row.save(update_fields=["active", "removed_at", "removed_by"])
    audit_record(actor, "consent.domain_unsuppress", "domain_suppression", row.pk,
                 {"domain": domain, "reason": row.reason}, at=at)  # fmt: skip
    return row


# --- Unsubscribe links -------------------------------------------------------------------------


def unsubscribe_token(email: str, channel: str = Channel.EMAIL) -> str:
    """A signed token naming the person and the channel; it can only ever record an opt-out."""
    _choice(channel, Channel.values, "channel")
    return signing.dumps({"e": email_key(email), "c": channel}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[str, str]:
    """(e-mail, channel) of a token; InvalidInput if it was tampered with or is not ours."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        email, channel = data["e"], data["c"]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvalidInput("this unsubscribe link is not valid", code="invalid_token")
    if channel not in Channel.values or not isinstance(email, str) or not email:
        raise InvalidInput("this unsubscribe link is not valid", code="invalid_token")
    return email, channel


def unsubscribe_link(email: str, *, channel: str = Channel.EMAIL, base_url: str = "") -> str:
    """The unsubscribe URL for a message to ``email``: a path, or absolute with ``base_url``
    ("https://baton.example.com"). The token does not expire (it can only record an opt-out)."""
    path = reverse("web:unsubscribe", args=[unsubscribe_token(email, channel)])
    return base_url.rstrip("/") + path if base_url else path


def unsubscribe_apply(token: str, *, at: datetime | None = None) -> ContactPreference:
    """Record the opt-out a link carries (source: unsubscribe_link). Clicking twice records it once."""
    email, channel = unsubscribe_read(token)
    latest = (
        ContactPreference.objects.filter(email=email, channel=channel).order_by("-recorded_at", "-id").first()
    )
    if latest is not None and latest.state == ConsentState.OPTED_OUT:
        return latest
    return preference_record(
        email=email,
        channel=channel,
        state=ConsentState.OPTED_OUT,
        source=ConsentSource.UNSUBSCRIBE_LINK,
        at=at,
    )


# --- Settings ----------------------------------------------------------------------------------


@transaction.atomic
def consent_settings_update(actor, *, opt_in_required: Iterable[str]) -> ConsentSettings:
    """Set the channels on which an explicit opt-in is required before contact."""
    _check_admin(actor, "change the consent settings")
    required = set(opt_in_required)
    for channel in required:
        _choice(channel, rules.SEND_CHANNELS, "channel")
    obj = ConsentSettings.get()
    for channel in rules.SEND_CHANNELS:
        setattr(obj, f"opt_in_required_{channel}", channel in required)
    obj.save()
    audit_record(actor, "consent.settings_update", "consent_settings", obj.pk,
                 {"opt_in_required": sorted(required)})  # fmt: skip
    return obj
