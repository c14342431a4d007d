"""Web pages of the relay: the handoff (lead page), the AE inbox and the handoff page."""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from baton import clock
from baton.core.errors import DomainError
from baton.handoffs import selectors, services
from baton.handoffs.models import Handoff
from baton.leads.selectors import lead_get
from baton.leads.views import lead_response
from baton.org.models import OrgSettings
from baton.pipeline.selectors import opportunity_of_handoff
from baton.sla.selectors import sla_panel
from baton.web.forms import HandoffForm, OpportunityForm, RejectForm
from baton.web.labels import CRITERIA
from baton.web.shortcuts import get_or_404, is_ae, is_htmx, redirect_after_post, render_partial, role_required

# --- On the lead page: the handoff (qualification: baton.qualification.views) ---------------------------

QUALIFY_CARD = {"card": "qualify-card", "card_template": "handoffs/_qualify_card.html"}


@require_POST
@login_required
def handoff_new(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_or_404(lead_get, request.user, lead_id)
    form = HandoffForm(request.POST)
    fail = {"form_key": "handoff", "form": form, **QUALIFY_CARD}
    if not form.is_valid():
        return lead_response(request, lead_id, status=422, error=_("The note is too long."), **fail)
    try:
        handoff = services.handoff_create(lead, request.user, note=form.cleaned_data["note"])
    except DomainError as exc:
        return lead_response(request, lead_id, status=exc.status, error=exc.message, **fail)
    messages.success(
        request,
        _("Handed off to %(ae)s. The 48-hour acceptance clock is running.") % {"ae": handoff.ae.label},
    )
    return lead_response(request, lead_id)


# --- AE inbox --------------------------------------------------------------------------------------


def _inbox_context(request: HttpRequest) -> dict:
    user = request.user
    return {
        "pending": list(selectors.ae_inbox(user)),
        "decided": list(
            selectors.ae_inbox(user, include_decided=True)
            .exclude(status=Handoff.Status.PENDING)
            .select_related("reject_reason")
            .order_by("-decided_at")[:20]
        ),
    }


@require_GET
@role_required(is_ae)
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "handoffs/inbox.html",
                  {"active": "inbox", **_inbox_context(request), "sla_panel": sla_panel(request.user)})  # fmt: skip


@require_GET
@role_required(is_ae)
def inbox_rows(request: HttpRequest) -> HttpResponse:
    return render(request, "handoffs/_inbox_table.html", _inbox_context(request))


# --- Handoff page ----------------------------------------------------------------------------------


def _zh() -> bool:
    return (get_language() or "").startswith("zh")


def _packet_frameworks(frameworks: list[dict], gate_rules: list[dict]) -> list[dict]:
    """The packet's frameworks in the reader's language; those nobody answered are left out unless the
    gate used them."""
    in_gate = {r.get("framework") for r in gate_rules}
    out = []
    for f in frameworks:
        criteria = f.get("criteria") or []
        answered = any(c.get("state") != "unknown" or c.get("note") for c in criteria)
        if not (answered or f.get("key") in in_gate or not gate_rules and f.get("key") == "bant"):
            continue
        out.append(
            {
                **f,
                "title": _localized(f, "name"),
                "rows": [{**c, "title": _localized(c, "label")} for c in criteria],
            }
        )
    return out


def _localized(item: dict, attr: str) -> str:
    """``item[attr + "_zh"]`` in the Chinese UI when set, else ``item[attr]`` (else its key)."""
    if _zh() and item.get(f"{attr}_zh"):
        return item[f"{attr}_zh"]
    return item.get(attr) or item.get("key", "")


def handoff_context(request: HttpRequest, handoff: Handoff, *, forms: dict | None = None,
                    errors: dict | None = None) -> dict:  # fmt: skip
    user = request.user
    forms, errors = forms or {}, errors or {}
    packet = handoff.packet or {}
    qualification = packet.get("qualification") or {}
    frameworks = qualification.get("frameworks")
    if frameworks is None:  # packets from before the qualification frameworks: BANT only
        bant, notes = qualification.get("bant") or {}, qualification.get("notes") or {}
        frameworks = [{
            "key": "bant", "name": "BANT", "name_zh": "BANT", "total": len(CRITERIA),
            "met": sum(1 for key, _l, _h in CRITERIA if bant.get(key) == "met"),
            "criteria": [{"key": key, "label": str(label), "label_zh": "", "state": bant.get(key, "unknown"),
                          "note": notes.get(key, "")} for key, label, _h in CRITERIA],
        }]  # fmt: skip
    gate_rules = qualification.get("gate_rules") or []
    titles = {f.get("key"): _localized(f, "name") for f in frameworks}
    touches = []
    for touch in packet.get("touches") or []:
        try:
            at = datetime.fromisoformat(touch.get("occurred_at", ""))
        except (TypeError, ValueError):
            at = None
        touches.append({**touch, "at": at})
    opportunity = opportunity_of_handoff(handoff)
    pending = handoff.status == Handoff.Status.PENDING
    is_receiver = handoff.ae_id == user.pk
    return {
        "active": "inbox" if is_ae(user) else "leads",
        "handoff": handoff,
        "lead": handoff.lead,
        "packet": packet,
        "packet_frameworks": _packet_frameworks(frameworks, gate_rules),
        "packet_gate": qualification.get("gate", ""),
        "packet_gate_rules": [
            {**r, "title": titles.get(r.get("framework"), r.get("name", ""))} for r in gate_rules
        ],
        "packet_touches": touches,
        "can_decide": pending and is_receiver and not handoff.awaiting_dispatch,
        "can_dispatch": pending and is_receiver and handoff.awaiting_dispatch,
        "dispatch_options": (
            selectors.dispatch_candidates(handoff, clock.now())
            if pending and is_receiver and handoff.awaiting_dispatch
            else []
        ),
        "opportunity": opportunity,
        "can_create_opportunity": (
            handoff.status == Handoff.Status.ACCEPTED
            and opportunity is None
            and handoff.lead.status == "sql"
            and (is_receiver or user.is_admin)
        ),  # fmt: skip
        "reject_form": forms.get("reject") or RejectForm(reasons=services.reject_reasons(), zh=_zh()),
        "opp_form": forms.get("opp")
        or OpportunityForm(initial={"name": handoff.lead.company or handoff.lead.name}),
        "errors": errors,
        "currency": OrgSettings.get().currency,
    }


def handoff_response(request: HttpRequest, handoff_id: int, *, form_key: str | None = None, form=None,
                     error: str | None = None, status: int = 200, card: str | None = None,
                     card_template: str | None = None) -> HttpResponse:  # fmt: skip
    handoff = get_or_404(selectors.handoff_get, request.user, handoff_id)
    forms = {form_key: form} if form_key and form is not None else {}
    errors = {form_key: error} if form_key and error else {}
    context = handoff_context(request, handoff, forms=forms, errors=errors)
    if status < 400:
        if is_htmx(request):
            return render_partial(request, "handoffs/_handoff_body.html", context)
        return redirect_after_post(request, reverse("web:handoff", args=[handoff.pk]))
    if is_htmx(request) and card and card_template:
        return render_partial(request, card_template, context, status=status, retarget=f"#{card}")
    return render(request, "handoffs/handoff_detail.html", context, status=status)


@require_GET
@login_required
def handoff_detail(request: HttpRequest, handoff_id: int) -> HttpResponse:
    handoff = get_or_404(selectors.handoff_get, request.user, handoff_id)
    return render(request, "handoffs/handoff_detail.html", handoff_context(request, handoff))


DECISION_CARD = {"card": "decision-card", "card_template": "handoffs/_decision_card.html"}


@require_POST
@login_required
def accept(request: HttpRequest, handoff_id: int) -> HttpResponse:
    handoff = get_or_404(selectors.handoff_get, request.user, handoff_id)
    try:
        services.handoff_accept(handoff, request.user)
    except DomainError as exc:
        return handoff_response(request, handoff_id, form_key="accept", status=exc.status, error=exc.message,
                                **DECISION_CARD)  # fmt: skip
    messages.success(request, _("Accepted: %(lead)s is now an SQL.") % {"lead": handoff.lead})
    return handoff_response(request, handoff_id)


@require_POST
@login_required
def reject(request: HttpRequest, handoff_id: int) -> HttpResponse:
    handoff = get_or_404(selectors.handoff_get, request.user, handoff_id)
    form = RejectForm(request.POST, reasons=services.reject_reasons(), zh=_zh())
    fail = {"form_key": "reject", "form": form, **DECISION_CARD}
    if not form.is_valid():
        return handoff_response(
            request, handoff_id, status=422, error=_("A rejection needs a reason."), **fail
        )
    data = form.cleaned_data
    try:
        services.handoff_reject(handoff, request.user, reason=data["reason"], note=data["note"],
                                nurture_until=data["nurture_until"])  # fmt: skip
    except DomainError as exc:
        return handoff_response(request, handoff_id, status=exc.status, error=exc.message, **fail)
    messages.success(
        request,
        _("Rejected: %(lead)s goes back to nurturing and the SDR is told why.") % {"lead": handoff.lead},
    )
    if is_htmx(request):
        return handoff_response(request, handoff_id)
    return redirect_after_post(request, reverse("web:inbox"))


@require_POST
@login_required
def dispatch(request: HttpRequest, handoff_id: int) -> HttpResponse:
    """Regional flow: the director passes the handoff to an AE."""
    from baton.org.models import User

    handoff = get_or_404(selectors.handoff_get, request.user, handoff_id)
    to = User.objects.filter(pk=request.POST.get("to") or 0, is_active=True).first()
    if to is None:
        return handoff_response(request, handoff_id, form_key="dispatch", status=422,
                                error=_("Choose the AE who receives it."), **DECISION_CARD)  # fmt: skip
    try:
        services.handoff_dispatch(handoff, request.user, to, note=request.POST.get("note", "")[:2000])
    except DomainError as exc:
        return handoff_response(request, handoff_id, form_key="dispatch", status=exc.status, error=exc.message,
                                **DECISION_CARD)  # fmt: skip
    messages.success(
        request, _("Dispatched to %(ae)s; their acceptance clock has started.") % {"ae": to.label}
    )
    return handoff_response(request, handoff_id)
