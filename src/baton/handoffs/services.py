"""Qualification and the SDR → AE handoff with its acceptance SLA."""

from datetime import date, datetime

from django.db import IntegrityError, transaction

from baton import clock
from baton.core import qualification as qual
from baton.core import sla
from baton.core.errors import Conflict, InvalidInput, NotAllowed
from baton.core.lifecycle import LeadStatus
from baton.dbutil import rows_insert
from baton.handoffs.models import CriterionState, Handoff, RejectReason
from baton.leads.models import Lead, LeadEvent, Touch
from baton.leads.services import can_work, lead_transition
from baton.notifications.services import notification_send
from baton.org.models import OrgSettings
from baton.qualification.selectors import LeadQualification, bant_states, handoff_gate, lead_qualification
from baton.qualification.services import criteria_set


def qualification_update(
    lead: Lead,
    actor,
    states: dict[str, str],
    notes: dict[str, str] | None = None,
    *,
    at: datetime | None = None,
) -> list:
    """BANT shorthand of ``criteria_set``: states and notes by BANT criterion (either may be partial)."""
    notes = notes or {}
    answers = {key: (states.get(key), notes.get(key)) for key in {**states, **notes}}
    return criteria_set(lead, "bant", answers, actor, at=at)


def gate_check(lead: Lead) -> qual.GateResult:
    """The handoff gate of the lead's team (its owner's team; else the default gate)."""
    return handoff_gate(lead)


def _packet_qualification(lead: Lead, view: LeadQualification) -> dict:
    """Every framework's states and notes with who set them, and the gate with its explanation."""
    bant, notes = bant_states(
        lead, {r.criterion.id: r.answer for f in view.frameworks for r in f.rows if r.answer}
    )
    gate = view.gate.result
    return {
        "bant": bant,
        "notes": notes,
        "gate": gate.explanation,
        "gate_passed": gate.passed,
        "gate_team": view.gate.source.team_name,
        "gate_rules": [
            {**r.rule.as_dict(), "name": r.framework_name, "passed": r.passed, "met": r.met, "total": r.total,
             "required": r.required, "missing": list(r.missing_keys), "explanation": r.explanation}
            for r in gate.rules
        ],
        "frameworks": [
            {
                "key": f.key,
                "name": f.framework.name,
                "name_zh": f.framework.name_zh,
                "met": f.progress.met,
                "total": f.progress.total,
                "criteria": [
                    {
                        "key": r.criterion.key,
                        "label": r.criterion.label,
                        "label_zh": r.criterion.label_zh,
                        "state": r.state,
                        "note": r.note,
                        "set_by": r.answer.set_by if r.answer else "",
                        "set_at": r.answer.set_at.isoformat() if r.answer else None,
                    }
                    for r in f.rows
                ],
            }
            for f in view.frameworks
        ],
    }  # fmt: skip


def _packet(lead: Lead, view: LeadQualification, note: str) -> dict:
    from baton.scoring.services import latest_snapshot

    snap = latest_snapshot(lead)
    touches = Touch.objects.filter(lead=lead).order_by("-occurred_at")[:20]
    return {
        "person": {"name": lead.name, "email": lead.email, "phone": lead.phone, "title": lead.title},
        "company": {
            "name": lead.company,
            "industry": lead.industry,
            "size": lead.company_size,
            "city": lead.city,
            "region": lead.region,
            "domain": lead.website_domain,
            "account_id": lead.account_id,
        },
        "source": {"channel": lead.source, "detail": lead.source_detail, "direction": lead.direction},
        "qualification": _packet_qualification(lead, view),
        "score": {"total": lead.score, "grade": lead.grade, "factors": snap.factors if snap else []},
        "touches": [
            {
                "channel": t.channel,
                "outcome": t.outcome,
                "occurred_at": t.occurred_at.isoformat(),
                "duration_seconds": t.duration_seconds,
                "notes": t.notes,
            }
            for t in touches
        ],
        "sdr_note": note,
    }


def handoff_create(lead: Lead, sdr, *, note: str = "", at: datetime | None = None) -> Handoff:
    """Hand a qualified lead to an AE (round robin), start the acceptance clock, notify the AE."""
    from baton.routing.services import route_handoff

    at = at or clock.now()
    if not can_work(sdr, lead):
        raise NotAllowed("only the lead's owner may hand it off")
    view = lead_qualification(lead)
    gate = view.gate.result
    if not gate.passed:
        raise Conflict(
            f"the lead does not pass the handoff gate: {gate.explanation}",
            code="gate_not_passed",
            details={
                "met": gate.met,
                "required": gate.required,
                "missing": [k for r in gate.rules if not r.passed for k in r.missing_keys],
                "missing_labels": list(gate.missing),
                "rules": [r.explanation for r in gate.rules],
            },
        )  # fmt: skip
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.status != LeadStatus.WORKING:
            raise Conflict(
                f"only a lead in 'working' can be handed off; this one is '{lead.status}'",
                code="illegal_transition",
            )
        decision = route_handoff(lead, at=at)
        if decision.chosen_id is None:
            raise Conflict(
                "no eligible AE can receive this handoff: " + decision.explanation.get("why", ""),
                code="no_eligible_ae",
                details=decision.explanation,
            )
        dispatch = decision.explanation.get("strategy") == "director_dispatch"
        lead = lead_transition(
            lead,
            LeadStatus.MQL,
            actor=sdr,
            reason="handoff",
            at=at,
            kind=LeadEvent.Kind.HANDOFF,
            data={
                "ae": decision.explanation.get("chosen"),
                "decision_id": decision.pk,
                "gate": gate.explanation,
                **({"dispatch": True} if dispatch else {}),
            },
        )
        try:
            with transaction.atomic():
                handoff = Handoff.objects.create(
                    lead=lead,
                    cycle=lead.cycle,
                    sdr=sdr,
                    ae_id=decision.chosen_id,
                    packet=_packet(lead, view, note),
                    created_at=at,
                    due_at=at,  # set from the SLA clock below
                    awaiting_dispatch=dispatch,
                )
        except IntegrityError:
            raise Conflict("this lead already has a pending handoff", code="handoff_pending")
        _clock_start(handoff, "director_dispatch" if dispatch else "acceptance", at)
        notification_send(
            handoff.ae_id,
            "handoff_dispatch" if dispatch else "handoff_received",
            {"sdr": sdr.label, "lead": str(lead), "due_at": handoff.due_at.isoformat()},
            link=f"/inbox/{handoff.pk}/",
            lead=lead,
            at=at,
        )
    return handoff


def _clock_start(handoff: Handoff, policy: str, at: datetime) -> None:
    """Start the handoff's SLA clock (business time on the receiver's team calendar) and keep its due
    instant on the handoff; if the policy is switched off, the organisation's wall-clock hours apply."""
    from baton.sla.services import ClockStart, clocks_start_due

    due = clocks_start_due([ClockStart(policy, handoff.lead_id, handoff.ae_id, at, handoff_id=handoff.pk)])[0]
    handoff.due_at = due or sla.acceptance_due(at, OrgSettings.get().acceptance_sla_hours)
    Handoff.objects.filter(pk=handoff.pk).update(due_at=handoff.due_at)


def handoff_dispatch(
    handoff: Handoff, director, to_user, *, at: datetime | None = None, note: str = ""
) -> Handoff:
    """The regional director passes a handoff waiting for dispatch to a rep, whose acceptance clock starts."""
    from baton.routing.models import RoutingDecision
    from baton.routing.services import dispatch_target_check
    from baton.sla.services import clocks_stop

    at = at or clock.now()
    with transaction.atomic():
        h = _lock_pending(handoff, director)
        if not h.awaiting_dispatch:
            raise Conflict(
                "this handoff is not waiting for a dispatch; accept or reject it", code="not_dispatch"
            )
        dispatch_target_check("handoff", director, to_user, at)
        RoutingDecision.objects.create(
            lead=h.lead, kind=RoutingDecision.Kind.HANDOFF, pool=f"dispatch:{director.username}", chosen=to_user,
            decided_at=at, rule="dispatch",
            explanation={"strategy": "director_dispatch", "chosen": to_user.username, "candidates": [],
                         "skipped": [], "why": f"dispatched by {director.label}" + (f": {note}" if note else "")},
        )  # fmt: skip
        h.ae, h.awaiting_dispatch, h.dispatcher, h.dispatched_at = to_user, False, director, at
        h.save(update_fields=["ae", "awaiting_dispatch", "dispatcher", "dispatched_at"])
        clocks_stop("dispatched", handoff_ids=[h.pk], at=at)
        _clock_start(h, "acceptance", at)
        LeadEvent.objects.create(
            lead=h.lead, kind=LeadEvent.Kind.ROUTED, occurred_at=at, cycle=h.cycle, actor=director,
            reason=f"dispatched to {to_user.label}", data={"handoff_id": h.pk, "to": to_user.username,
                                                           "dispatcher": director.username},
        )  # fmt: skip
        params = {"sdr": h.sdr.label, "lead": str(h.lead), "due_at": h.due_at.isoformat()}
        notification_send(to_user, "handoff_received", params, link=f"/inbox/{h.pk}/", lead=h.lead, at=at)
        notification_send(h.sdr, "handoff_dispatched", {"director": director.label, "lead": str(h.lead),
                                                         "ae": to_user.label}, link=f"/leads/{h.lead_id}/",
                          lead=h.lead, at=at)  # fmt: skip
    return h


def handoffs_reroute(handoff_ids, *, at: datetime, why: str) -> int:
    """Move pending handoffs whose receiver missed the SLA to another receiver by the routing policy
    (never back to the one who missed). A handoff nobody else can take stays where it is."""
    from baton.routing.services import route_handoff_away
    from baton.sla.services import clocks_stop

    moved = 0
    for h in Handoff.objects.filter(pk__in=list(handoff_ids), status=Handoff.Status.PENDING).select_related(
        "lead", "ae", "sdr"
    ):
        with transaction.atomic():
            decision = route_handoff_away(h.lead, at=at, exclude={h.ae_id}, why=why)
            if decision.chosen_id is None:
                continue
            previous = h.ae
            dispatch = decision.explanation.get("strategy") == "director_dispatch"
            clocks_stop("rerouted", handoff_ids=[h.pk], at=at)
            h.ae_id, h.awaiting_dispatch, h.overdue_at = decision.chosen_id, dispatch, None
            h.save(update_fields=["ae", "awaiting_dispatch", "overdue_at"])
            _clock_start(h, "director_dispatch" if dispatch else "acceptance", at)
            LeadEvent.objects.create(
                lead=h.lead, kind=LeadEvent.Kind.ROUTED, occurred_at=at, cycle=h.cycle,
                reason=f"re-routed from {previous.label}: {why}",
                data={"handoff_id": h.pk, "from": previous.username, "to": decision.explanation.get("chosen"),
                      "decision_id": decision.pk},
            )  # fmt: skip
            notification_send(decision.chosen_id, "handoff_dispatch" if dispatch else "handoff_received",
                              {"sdr": h.sdr.label, "lead": str(h.lead), "due_at": h.due_at.isoformat()},
                              link=f"/inbox/{h.pk}/", lead=h.lead, at=at)  # fmt: skip
            moved += 1
    return moved


def _lock_pending(handoff: Handoff, actor) -> Handoff:
    locked = Handoff.objects.select_for_update().select_related("lead", "ae", "sdr").get(pk=handoff.pk)
    if locked.ae_id != actor.pk:
        raise NotAllowed(f"this handoff was sent to {locked.ae.label}; only they can accept or reject it")
    if locked.status != Handoff.Status.PENDING:
        raise Conflict(f"this handoff is already {locked.status}", code="handoff_decided")
    return locked


def _clocks_stop(event: str, h: Handoff, at: datetime) -> None:
    from baton.sla.services import clocks_stop

    clocks_stop(event, handoff_ids=[h.pk], at=at)


def handoff_accept(handoff: Handoff, actor, *, at: datetime | None = None) -> Handoff:
    at = at or clock.now()
    with transaction.atomic():
        h = _lock_pending(handoff, actor)
        if h.awaiting_dispatch:
            raise Conflict("dispatch this handoff to a rep (or reject it); directors do not accept on a rep's behalf",
                           code="awaiting_dispatch")  # fmt: skip
        h.status, h.decided_at, h.decided_by = Handoff.Status.ACCEPTED, at, actor
        h.save(update_fields=["status", "decided_at", "decided_by"])
        _clocks_stop("handoff_accepted", h, at)
        lead_transition(
            h.lead,
            LeadStatus.SQL,
            actor=actor,
            reason="accepted",
            at=at,
            kind=LeadEvent.Kind.HANDOFF_ACCEPTED,
            data={"handoff_id": h.pk, "within_sla": at <= h.due_at},
        )
        notification_send(
            h.sdr,
            "handoff_accepted",
            {"ae": actor.label, "lead": str(h.lead)},
            link=f"/leads/{h.lead_id}/",
            lead=h.lead,
            at=at,
        )
    return h


def handoff_reject(
    handoff: Handoff,
    actor,
    *,
    reason: str,
    note: str = "",
    nurture_until: date | None = None,
    at: datetime | None = None,
) -> Handoff:
    at = at or clock.now()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a rejection needs a reason", details={"fields": {"reason": "is required"}})
    reason_obj = RejectReason.objects.filter(code=reason, active=True).first()
    if reason_obj is None:
        codes = ", ".join(RejectReason.objects.filter(active=True).values_list("code", flat=True))
        raise InvalidInput(
            f"unknown rejection reason {reason!r}; expected one of: {codes}",
            details={"fields": {"reason": "unknown"}},
        )
    if nurture_until is not None and nurture_until <= at.date():
        raise InvalidInput("'nurture until' must be a future date")
    with transaction.atomic():
        h = _lock_pending(handoff, actor)
        h.status, h.decided_at, h.decided_by = Handoff.Status.REJECTED, at, actor
        h.reject_reason, h.reject_note, h.nurture_until = reason_obj, note.strip(), nurture_until
        h.save()
        _clocks_stop("handoff_rejected", h, at)
        lead_transition(
            h.lead,
            LeadStatus.NURTURING,
            actor=actor,
            reason=reason_obj.label,
            at=at,
            kind=LeadEvent.Kind.HANDOFF_REJECTED,
            data={
                "handoff_id": h.pk,
                "reason_code": reason,
                "note": h.reject_note,
                "nurture_until": nurture_until.isoformat() if nurture_until else None,
                "within_sla": at <= h.due_at,
            },
        )
        if nurture_until:
            Lead.objects.filter(pk=h.lead_id).update(nurture_until=nurture_until)
        notification_send(
            h.sdr,
            "handoff_rejected",
            {"ae": actor.label, "lead": str(h.lead), "reason": reason_obj.label},
            link=f"/leads/{h.lead_id}/",
            lead=h.lead,
            at=at,
        )
    return h


def handoffs_sweep(at: datetime) -> dict:
    """Mark pending handoffs past their acceptance due instant as overdue (once) on the timeline, and
    tell the SDR so they can follow up. The AE and their manager hear from the SLA engine's sweep (its
    breach actions); when the acceptance policy is switched off, they hear from here.

    Bulk: one query finds the overdue set; a conditional update claims them, so a concurrent sweep
    cannot double-report.
    """
    from baton.sla.models import Policy

    engine = Policy.objects.filter(key="acceptance", active=True).exists()
    overdue = list(
        Handoff.objects.filter(status=Handoff.Status.PENDING, overdue_at=None, due_at__lte=at)
        .select_related("lead", "ae", "sdr", "ae__manager")
        .order_by("pk")
    )
    marked = 0
    if not overdue:
        return {"handoffs_overdue": 0}
    with transaction.atomic():
        claimed = set(
            Handoff.objects.filter(pk__in=[h.pk for h in overdue], overdue_at=None).values_list(
                "pk", flat=True
            )
        )
        Handoff.objects.filter(pk__in=claimed).update(overdue_at=at)
        events, notes = [], []
        for h in overdue:
            if h.pk not in claimed:
                continue
            marked += 1
            hours = round((h.due_at - h.created_at).total_seconds() / 3600)
            what = "dispatched" if h.awaiting_dispatch else "accepted or rejected"
            events.append(
                LeadEvent(
                    lead=h.lead,
                    kind=LeadEvent.Kind.HANDOFF_OVERDUE,
                    occurred_at=h.due_at,
                    cycle=h.cycle,
                    reason=f"not {what} by {h.due_at.isoformat()} (the SLA's due time)",
                    data={"handoff_id": h.pk, "ae": h.ae.username, "detected_at": at.isoformat()},
                )
            )
            params = {"lead": str(h.lead), "ae": h.ae.label, "hours": hours}
            for user in {h.sdr} if engine else {h.ae, h.sdr, h.ae.manager} - {None}:
                notes.append((user, params, h))
        rows_insert(LeadEvent, events)
        for user, params, h in notes:
            notification_send(user, "handoff_overdue", params, link=f"/inbox/{h.pk}/", lead=h.lead, at=at)
    return {"handoffs_overdue": marked}


def reject_reasons() -> list[RejectReason]:
    return list(RejectReason.objects.filter(active=True))


CRITERION_STATES = CriterionState.values
