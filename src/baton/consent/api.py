"""Consent API under /api/v1/consent: decisions, preferences, domain suppressions, one-click unsubscribe."""

from datetime import datetime
from enum import StrEnum

from ninja import Field, Router, Schema, Status

from baton.consent import selectors, services
from baton.consent.models import Channel, ConsentSource, ConsentState, ContactPreference, DomainSuppression
from baton.consent.throttle import UnsubscribeThrottle, unsubscribe_rate
from baton.core import consent as rules
from baton.core.errors import InvalidInput

router = Router(tags=["consent"])


class SendChannel(StrEnum):
    EMAIL = rules.EMAIL
    CALL = rules.CALL
    MESSAGE = rules.MESSAGE


class DecisionOut(Schema):
    channel: str
    allowed: bool
    code: str = Field(..., description=f"one of {', '.join(rules.CODES)}")
    reason: str
    email: str | None
    phone: str | None


class PreferenceIn(Schema):
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40, description="any format; normalised to E.164")
    channel: Channel = Field(..., description="email, call, message, or all")
    state: ConsentState = Field(
        ..., description="opted_out (anyone); opted_in or unknown (admins, marketers)"
    )
    source: ConsentSource = ConsentSource.API
    note: str = Field("", max_length=services.NOTE_MAX)

    model_config = {"extra": "forbid"}


class UserRef(Schema):
    id: int
    username: str
    name: str


class PreferenceOut(Schema):
    id: int
    email: str
    phone: str
    channel: str
    state: str
    source: str
    recorded_at: datetime
    recorded_by: UserRef | None
    note: str


class SuppressionIn(Schema):
    domain: str = Field(..., max_length=253, description="example.com (subdomains are included)")
    reason: str = Field(..., max_length=services.REASON_MAX)

    model_config = {"extra": "forbid"}


class SuppressionOut(Schema):
    id: int
    domain: str
    reason: str
    active: bool
    created_at: datetime
    created_by: UserRef | None
    removed_at: datetime | None
    removed_by: UserRef | None


class UnsubscribeOut(Schema):
    unsubscribed: bool
    channel: str


def _user(user) -> dict | None:
    return {"id": user.pk, "username": user.username, "name": user.label} if user else None


def preference_out(p: ContactPreference) -> dict:
    return {
        **{
            f: getattr(p, f)
            for f in ("id", "email", "phone", "channel", "state", "source", "recorded_at", "note")
        },
        "recorded_by": _user(p.recorded_by),
    }


def suppression_out(s: DomainSuppression) -> dict:
    return {
        **{f: getattr(s, f) for f in ("id", "domain", "reason", "active", "created_at", "removed_at")},
        "created_by": _user(s.created_by),
        "removed_by": _user(s.removed_by),
    }


@router.get("/decision", response=DecisionOut, summary="May this person be contacted on this channel now?")
def decision(request, channel: SendChannel, email: str | None = None, phone: str | None = None):
    """Give an e-mail and/or a phone. `allowed` false with code `check_unavailable` means the check
    could not run: do not send."""
    d = selectors.contact_decision(email, phone, channel=channel.value)
    return {"channel": channel.value, "allowed": d.allowed, "code": d.code, "reason": d.reason,
            "email": email, "phone": phone}  # fmt: skip


@router.get("/preferences", response=list[PreferenceOut], summary="A person's consent history, newest first")
def preferences(request, email: str | None = None, phone: str | None = None, limit: int = 100):
    if not 1 <= limit <= 1000:
        raise InvalidInput("limit must be between 1 and 1000")
    return [preference_out(p) for p in selectors.preference_history(email, phone)[:limit]]


@router.post("/preferences", response={201: PreferenceOut}, summary="Record a person's consent for a channel")
def record_preference(request, payload: PreferenceIn):
    pref = services.preference_record(
        email=payload.email,
        phone=payload.phone,
        channel=payload.channel.value,
        state=payload.state.value,
        source=payload.source.value,
        note=payload.note,
        actor=request.auth,
    )
    return Status(201, preference_out(pref))


@router.get("/suppressions", response=list[SuppressionOut], summary="Suppressed e-mail domains")
def list_suppressions(request, include_removed: bool = False):
    return [suppression_out(s) for s in selectors.suppressions(include_removed=include_removed)]


@router.post("/suppressions", response={201: SuppressionOut}, summary="Suppress a domain (admins)")
def suppress(request, payload: SuppressionIn):
    return Status(
        201, suppression_out(services.domain_suppress(payload.domain, payload.reason, request.auth))
    )


@router.delete(
    "/suppressions/{domain}", response=SuppressionOut, summary="Lift a domain suppression (admins)"
)
def unsuppress(request, domain: str):
    return suppression_out(services.domain_unsuppress(domain, request.auth))


@router.post(
    "/unsubscribe/{token}",
    auth=None,
    response=UnsubscribeOut,
    throttle=[UnsubscribeThrottle(unsubscribe_rate())],
    summary="One-click unsubscribe (RFC 8058 List-Unsubscribe-Post target; no token needed)",
)
def one_click_unsubscribe(request, token: str):
    pref = services.unsubscribe_apply(token)
    return {"unsubscribed": True, "channel": pref.channel}
