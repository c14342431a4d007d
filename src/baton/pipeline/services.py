from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction

from baton import clock
from baton.core.errors import Conflict, InvalidInput, NotAllowed
from baton.core.lifecycle import LeadStatus
from baton.handoffs.models import Handoff
from baton.leads.models import Contact, Lead, LeadEvent
from baton.leads.services import lead_transition
from baton.pipeline.models import Opportunity, Stage, StageChange


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            f"amount {value!r} is not a number", details={"fields": {"amount": "not a number"}}
        )
    if amount < 0:
        raise InvalidInput("amount must not be negative", details={"fields": {"amount": "negative"}})
    return amount


def first_open_stage() -> Stage:
    stage = Stage.objects.filter(kind=Stage.Kind.OPEN, active=True).order_by("position").first()
    if stage is None:
        raise Conflict("no open opportunity stage is configured")
    return stage


def opportunity_create(
    lead: Lead,
    actor,
    *,
    amount=0,
    name: str = "",
    expected_close: date | None = None,
    at: datetime | None = None,
) -> tuple[Opportunity, bool]:
    """Create the opportunity of an SQL. Idempotent: a second call returns the first opportunity."""
    at = at or clock.now()
    amount = _amount(amount)
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        handoff = (
            Handoff.objects.filter(lead=lead, cycle=lead.cycle, status=Handoff.Status.ACCEPTED)
            .order_by("-decided_at")
            .first()
        )
        if handoff is not None:
            existing = Opportunity.objects.filter(handoff=handoff).first()
            if existing:
                return existing, False
        if lead.status != LeadStatus.SQL or handoff is None:
            raise Conflict(
                f"an opportunity is created from an accepted lead (SQL); this lead is '{lead.status}'",
                code="illegal_transition",
            )
        if actor.pk != handoff.ae_id and not actor.is_admin:
            raise NotAllowed("only the AE who accepted the lead may create its opportunity")
        stage = first_open_stage()
        contact = _contact_for(lead, at)
        opp = Opportunity.objects.create(
            lead=lead,
            handoff=handoff,
            account_id=lead.account_id,
            contact_id=contact.pk,
            owner_id=handoff.ae_id,
            sdr_id=handoff.sdr_id,
            name=name.strip() or (lead.company or lead.name),
            amount=amount,
            stage=stage,
            created_at=at,
            expected_close=expected_close,
        )
        StageChange.objects.create(
            opportunity=opp, from_stage=None, to_stage=stage, changed_at=at, changed_by=actor
        )
        lead_transition(
            lead,
            LeadStatus.CONVERTED,
            actor=actor,
            reason="opportunity created",
            at=at,
            kind=LeadEvent.Kind.OPPORTUNITY,
            data={"opportunity_id": opp.pk, "amount": str(amount)},
        )
    return opp, True


def _contact_for(lead, at: datetime):
    """The lead's person becomes a contact at its account when it converts (as a CRM's lead conversion
    does); capture and import write leads only. A lead that already has a contact keeps it."""
    if lead.contact_id is None:
        lead.contact = Contact.objects.create(
            account_id=lead.account_id, name=lead.name, email=lead.email, phone=lead.phone, title=lead.title,
            created_at=at,
        )  # fmt: skip
        Lead.objects.filter(pk=lead.pk).update(contact=lead.contact)
    return lead.contact


def opportunity_move(
    opp: Opportunity, actor, *, stage_id: int, amount=None, lost_reason: str = "", at: datetime | None = None
) -> Opportunity:
    at = at or clock.now()
    stage = Stage.objects.filter(pk=stage_id, active=True).first()
    if stage is None:
        raise InvalidInput(f"unknown stage {stage_id}", details={"fields": {"stage_id": "unknown"}})
    with transaction.atomic():
        opp = Opportunity.objects.select_for_update().select_related("stage").get(pk=opp.pk)
        if actor.pk != opp.owner_id and not actor.is_admin:
            raise NotAllowed("only the opportunity's owner may change it")
        if opp.stage.kind != Stage.Kind.OPEN:
            raise Conflict(
                f"this opportunity is already closed ({opp.stage.kind})", code="illegal_transition"
            )
        if stage.kind == Stage.Kind.LOST and not lost_reason.strip():
            raise InvalidInput(
                "closing an opportunity as lost needs a reason",
                details={"fields": {"lost_reason": "is required"}},
            )
        if amount is not None:
            opp.amount = _amount(amount)
        previous = opp.stage
        opp.stage = stage
        if stage.kind != Stage.Kind.OPEN:
            opp.closed_at = at
            opp.lost_reason = lost_reason.strip() if stage.kind == Stage.Kind.LOST else ""
        opp.save()
        StageChange.objects.create(
            opportunity=opp, from_stage=previous, to_stage=stage, changed_at=at, changed_by=actor
        )
        LeadEvent.objects.create(
            lead_id=opp.lead_id,
            kind=LeadEvent.Kind.OPPORTUNITY,
            occurred_at=at,
            actor=actor,
            reason=f"{previous.name} → {stage.name}",
            data={
                "opportunity_id": opp.pk,
                "stage": stage.name,
                "kind": stage.kind,
                "amount": str(opp.amount),
                "lost_reason": opp.lost_reason,
            },
        )
    return opp


def stages() -> list[Stage]:
    return list(Stage.objects.filter(active=True))
