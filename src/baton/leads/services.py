"""Writes on leads: capture, lifecycle transitions, touches, the public pool."""

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from baton import clock
from baton.core import lifecycle, normalize
from baton.core.errors import InvalidInput, NotAllowed
from baton.core.lifecycle import LeadStatus
from baton.leads.models import Account, Contact, Lead, LeadEvent, Source, Touch, WebForm
from baton.notifications.services import notification_send
from baton.org.models import OrgSettings

log = logging.getLogger(__name__)

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


def capture_clean(data: dict, *, default_region: str = "CN") -> dict:
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
    if not clean.get("email") and not clean.get("phone"):
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
    source = clean.get("source", Source.OTHER)
    if source not in Source.values:
        errors["source"] = f"unknown source {source!r}; expected one of {', '.join(Source.values)}"
    direction = clean.get("direction", Lead.Direction.INBOUND)
    if direction not in Lead.Direction.values:
        errors["direction"] = "must be 'inbound' or 'outbound'"
    if errors:
        raise InvalidInput(
            "the lead is not valid: " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
            details={"fields": errors},
        )
    return clean


def _match_account(clean: dict, at: datetime) -> Account | None:
    """Exact domain first, then the normalised company name; a new account when nothing matches."""
    company = clean.get("company", "")
    domain = clean.get("website_domain") or clean.get("_email_domain", "")
    key = normalize.company_key(company) if company else ""
    match = Q(pk__in=[])
    if domain:
        match |= Q(domain=domain)
    if key:
        match |= Q(name_key=key)
    candidates = list(Account.objects.filter(match).order_by("pk")[:20]) if (domain or key) else []
    by_domain = [a for a in candidates if domain and a.domain == domain]
    if by_domain:
        return by_domain[0]
    if candidates:
        account = candidates[0]
        if domain and not account.domain:
            Account.objects.filter(pk=account.pk).update(domain=domain)
        return account
    if not company:
        return None
    return Account.objects.create(
        name=company,
        name_key=key,
        domain=domain,
        industry=clean.get("industry", ""),
        city=clean.get("city", ""),
        region=clean.get("region", ""),
        headcount=clean.get("company_size"),
        created_at=at,
    )


@transaction.atomic
def lead_create(clean: dict, *, actor=None, at: datetime | None = None) -> Lead:
    at = at or clock.now()
    account = _match_account(clean, at)
    contact = Contact.objects.create(
        account=account,
        name=clean["name"],
        email=clean.get("email", ""),
        phone=clean.get("phone", ""),
        title=clean.get("title", ""),
        created_at=at,
    )
    fields = {k: v for k, v in clean.items() if not k.startswith("_")}
    lead = Lead.objects.create(
        **fields, account=account, contact=contact, created_at=at, status_changed_at=at, created_by=actor
    )
    LeadEvent.objects.create(
        lead=lead,
        kind=LeadEvent.Kind.CAPTURED,
        occurred_at=at,
        actor=actor,
        to_status=LeadStatus.NEW,
        data={
            "source": lead.source,
            "direction": lead.direction,
            "account": {"id": account.pk, "name": account.name} if account else None,
        },
    )
    return lead


def lead_capture(data: dict, *, actor=None, at: datetime | None = None) -> Lead:
    """Capture a lead: stored durably first (its own commit), then scored and routed.

    If scoring or routing fails, the lead is still there, unrouted, and the sweep routes it later.
    """
    from baton.routing.services import route_lead
    from baton.scoring.services import lead_score

    at = at or clock.now()
    clean = capture_clean(data, default_region=OrgSettings.get().default_phone_region)
    lead = lead_create(clean, actor=actor, at=at)
    try:
        with transaction.atomic():
            lead_score(lead, trigger="captured", at=at)
            if lead.direction == Lead.Direction.INBOUND:
                route_lead(lead, at=at)
            elif actor is not None:
                _assign(lead, actor, at)
                Lead.objects.filter(pk=lead.pk).update(routed_at=at)
    except Exception:
        # The capture itself is committed; the worker's sweep scores and routes it later.
        log.exception("scoring/routing of lead %s failed; left for the sweep", lead.pk)
        lead.refresh_from_db()
    return lead


def _assign(lead: Lead, user, at: datetime) -> None:
    Lead.objects.filter(pk=lead.pk).update(owner=user)
    lead.owner = user


def lead_assign_from_routing(lead: Lead, decision, *, at: datetime) -> None:
    if decision.chosen_id is None:
        LeadEvent.objects.create(
            lead=lead,
            kind=LeadEvent.Kind.ROUTING_FAILED,
            occurred_at=at,
            cycle=lead.cycle,
            reason=decision.explanation.get("why", ""),
            data={"decision_id": decision.pk},
        )
        Lead.objects.filter(pk=lead.pk).update(routed_at=at)
        lead.routed_at = at
        return
    Lead.objects.filter(pk=lead.pk).update(owner_id=decision.chosen_id, routed_at=at)
    lead.owner_id, lead.routed_at = decision.chosen_id, at
    LeadEvent.objects.create(
        lead=lead,
        kind=LeadEvent.Kind.ROUTED,
        occurred_at=at,
        cycle=lead.cycle,
        reason=decision.explanation.get("why", ""),
        data={"decision_id": decision.pk, "to": decision.explanation.get("chosen"), "pool": decision.pool},
    )
    notification_send(
        decision.chosen_id,
        "lead_assigned",
        {"lead": str(lead), "source": lead.get_source_display()},
        link=f"/leads/{lead.pk}/",
        lead=lead,
        at=at,
    )


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
    at = at or clock.now()
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        plan = lifecycle.plan_transition(locked.status, to, reason, had_mql_this_cycle=locked.mql_in_cycle)
        update = {"status": plan.to_status.value, "status_changed_at": at}
        if plan.starts_new_cycle:
            update.update(cycle=locked.cycle + 1, mql_in_cycle=False)
        if plan.to_status == LeadStatus.MQL:
            update["mql_in_cycle"] = True
        if plan.to_status == LeadStatus.DISQUALIFIED:
            update["disqualified_reason"] = plan.reason
        Lead.objects.filter(pk=locked.pk).update(**update)
        LeadEvent.objects.create(
            lead=locked,
            kind=kind,
            occurred_at=at,
            actor=actor,
            from_status=plan.from_status.value,
            to_status=plan.to_status.value,
            cycle=update.get("cycle", locked.cycle),
            reason=plan.reason,
            data=data or {},
        )
    for field, value in update.items():
        setattr(locked, field, value)
    # The locked row is the current one: copy it into the caller's object instead of reading it again.
    for field in Lead._meta.concrete_fields:
        setattr(lead, field.attname, getattr(locked, field.attname))
    return lead


def can_work(user, lead: Lead) -> bool:
    return lead.owner_id == user.pk or user.is_admin


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
    from baton.scoring.services import lead_score

    now = clock.now()
    occurred_at = occurred_at or now
    errors = {}
    if channel not in Touch.Channel.values:
        errors["channel"] = f"unknown channel {channel!r}; expected one of {', '.join(Touch.Channel.values)}"
    if outcome not in Touch.Outcome.values:
        errors["outcome"] = f"unknown outcome {outcome!r}; expected one of {', '.join(Touch.Outcome.values)}"
    if direction not in Touch.Direction.values:
        errors["direction"] = "must be 'outbound' or 'inbound'"
    if duration_seconds < 0:
        errors["duration_seconds"] = "must not be negative"
    if occurred_at > now:
        errors["occurred_at"] = "is in the future"
    if occurred_at < lead.created_at:
        errors["occurred_at"] = "is before the lead was created"
    if errors:
        raise InvalidInput(
            "the touch is not valid: " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
            details={"fields": errors},
        )
    if not can_work(user, lead) and not user.has_role("ae") and lead.owner_id is not None:
        raise NotAllowed("only the lead's owner may log touches on it")
    meaningful = (
        channel == Touch.Channel.CALL and outcome == Touch.Outcome.CONNECTED and duration_seconds >= 120
    ) or (outcome == Touch.Outcome.REPLIED)
    with transaction.atomic():
        touch = Touch.objects.create(
            lead=lead,
            user=user,
            channel=channel,
            direction=direction,
            outcome=outcome,
            duration_seconds=duration_seconds,
            occurred_at=occurred_at,
            recorded_at=now,
            notes=notes,
            meaningful=meaningful,
        )
        LeadEvent.objects.create(
            lead=lead,
            kind=LeadEvent.Kind.TOUCH,
            occurred_at=occurred_at,
            actor=user,
            cycle=lead.cycle,
            data={
                "touch_id": touch.pk,
                "channel": channel,
                "outcome": outcome,
                "direction": direction,
                "duration_seconds": duration_seconds,
            },
        )
        if direction == Touch.Direction.OUTBOUND and (
            lead.first_touch_at is None or occurred_at < lead.first_touch_at
        ):
            # Conditional: a back-filled earlier touch wins, a concurrent later one does not overwrite.
            Lead.objects.filter(pk=lead.pk).filter(
                Q(first_touch_at=None) | Q(first_touch_at__gt=occurred_at)
            ).update(first_touch_at=occurred_at)
            lead.first_touch_at = occurred_at
        if lead.status in (LeadStatus.NEW, LeadStatus.NURTURING) and direction == Touch.Direction.OUTBOUND:
            lead_transition(lead, LeadStatus.WORKING, actor=user, reason="touch", at=occurred_at)
        lead_score(lead, trigger="touch", at=occurred_at)
    return touch


@transaction.atomic
def lead_claim(lead: Lead, user, *, at: datetime | None = None) -> Lead:
    at = at or clock.now()
    updated = Lead.objects.filter(pk=lead.pk, owner=None).update(owner=user)
    if not updated:
        raise NotAllowed("this lead is no longer in the public pool")
    LeadEvent.objects.create(
        lead=lead, kind=LeadEvent.Kind.CLAIMED, occurred_at=at, actor=user, cycle=lead.cycle
    )
    lead.refresh_from_db()
    return lead


def lead_disqualify(lead: Lead, user, reason: str, *, at: datetime | None = None) -> Lead:
    if not can_work(user, lead):
        raise NotAllowed("only the lead's owner or an admin may disqualify it")
    return lead_transition(lead, LeadStatus.DISQUALIFIED, actor=user, reason=reason, at=at)


def leads_route_pending(*, at: datetime | None = None, limit: int = 500) -> int:
    """Route captured leads whose routing never ran (e.g. a crash after the durable insert)."""
    from baton.routing.services import route_lead
    from baton.scoring.services import lead_score

    at = at or clock.now()
    done = 0
    for lead in Lead.objects.filter(routed_at=None, direction=Lead.Direction.INBOUND).order_by("pk")[:limit]:
        with transaction.atomic():
            lead_score(lead, trigger="captured", at=at)
            route_lead(lead, at=at)
        done += 1
    return done


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
