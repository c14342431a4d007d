"""Web pages of the pipeline: the opportunity board, an opportunity, and creating one from an SQL."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from baton.core.errors import DomainError
from baton.handoffs.selectors import handoff_get
from baton.handoffs.views import handoff_response
from baton.org.models import OrgSettings
from baton.pipeline import selectors, services
from baton.pipeline.models import Stage
from baton.web.forms import MoveForm, OpportunityForm
from baton.web.shortcuts import get_or_404, is_htmx, redirect_after_post, render_partial


def _zh() -> bool:
    return (get_language() or "").startswith("zh")


def _board_context(request: HttpRequest, *, failed=None) -> dict:
    """``failed``: (opportunity id, bound form, error) of a move that did not go through."""
    user = request.user
    columns = selectors.board(user)
    open_stages = [stage for stage, _items in columns]
    cards = []
    for stage, items in columns:
        entries = []
        for opp in items:
            form, error = None, None
            if failed and failed[0] == opp.pk:
                form, error = failed[1], failed[2]
            entries.append({
                "opp": opp,
                "can_move": stage.kind == Stage.Kind.OPEN and (opp.owner_id == user.pk or user.is_admin),
                "form": form or MoveForm(initial={"stage": stage.pk}, stages=open_stages, zh=_zh(),
                                         auto_id=f"move{opp.pk}_%s"),
                "error": error,
            })  # fmt: skip
        cards.append({"stage": stage, "entries": entries, "total": sum(o.amount for o in items)})
    return {"active": "pipeline", "columns": cards, "currency": OrgSettings.get().currency}


@require_GET
@login_required
def board_view(request: HttpRequest) -> HttpResponse:
    return render(request, "pipeline/board.html", _board_context(request))


@require_GET
@login_required
def opportunity_detail(request: HttpRequest, opp_id: int) -> HttpResponse:
    opp = get_or_404(selectors.opportunity_get, request.user, opp_id)
    changes = list(
        opp.stage_changes.select_related("from_stage", "to_stage", "changed_by").order_by(
            "-changed_at", "-id"
        )
    )
    return render(request, "pipeline/opportunity_detail.html", {
        "active": "pipeline", "opp": opp, "changes": changes, "currency": OrgSettings.get().currency,
    })  # fmt: skip


@require_POST
@login_required
def move(request: HttpRequest, opp_id: int) -> HttpResponse:
    opp = get_or_404(selectors.opportunity_get, request.user, opp_id)
    form = MoveForm(request.POST, stages=services.stages(), zh=_zh(), auto_id=f"move{opp.pk}_%s")
    error, status = None, 200
    if not form.is_valid():
        error, status = _("Choose a stage."), 422
    else:
        try:
            opp = services.opportunity_move(opp, request.user, stage_id=form.cleaned_data["stage"],
                                            lost_reason=form.cleaned_data["lost_reason"])  # fmt: skip
        except DomainError as exc:
            error, status = exc.message, exc.status
    if error:
        context = _board_context(request, failed=(opp.pk, form, error))
        if is_htmx(request):
            return render_partial(request, "pipeline/_board.html", context, status=status)
        return render(request, "pipeline/board.html", context, status=status)
    messages.success(request, _("%(opp)s moved to %(stage)s.") % {
        "opp": opp.name, "stage": (opp.stage.name_zh if _zh() and opp.stage.name_zh else opp.stage.name)})  # fmt: skip
    if is_htmx(request):
        return render_partial(request, "pipeline/_board.html", _board_context(request))
    return redirect_after_post(request, reverse("web:pipeline"))


@require_POST
@login_required
def opportunity_new(request: HttpRequest, handoff_id: int) -> HttpResponse:
    """Create the opportunity of an accepted handoff (from the handoff page)."""
    handoff = get_or_404(handoff_get, request.user, handoff_id)
    form = OpportunityForm(request.POST)
    fail = {
        "form_key": "opp",
        "form": form,
        "card": "opportunity-card",
        "card_template": "handoffs/_opportunity_card.html",
    }
    if not form.is_valid():
        return handoff_response(request, handoff_id, status=422, error=_("Please correct the fields marked below."),
                                **fail)  # fmt: skip
    data = form.cleaned_data
    try:
        opp, created = services.opportunity_create(handoff.lead, request.user, amount=data["amount"], name=data["name"],
                                                   expected_close=data["expected_close"])  # fmt: skip
    except DomainError as exc:
        return handoff_response(request, handoff_id, status=exc.status, error=exc.message, **fail)
    if created:
        messages.success(request, _("Opportunity %(name)s created.") % {"name": opp.name})
    return handoff_response(request, handoff_id)
