"""Web pages of leads: the SDR queue, the public pool, the lead list and the lead page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from baton import clock
from baton.core.errors import DomainError
from baton.core.lifecycle import LeadStatus
from baton.handoffs.selectors import lead_handoffs
from baton.leads import selectors, services
from baton.leads.models import Lead
from baton.org.models import OrgSettings
from baton.qualification.views import qualify_card_context
from baton.routing.selectors import display_names, latest_decisions
from baton.scoring.selectors import lead_probability
from baton.scoring.services import latest_snapshot, lead_score_explain
from baton.sla.selectors import lead_clocks, sla_panel
from baton.web.forms import DisqualifyForm, TouchForm
from baton.web.labels import STATUS_LABELS
from baton.web.shortcuts import (
    get_or_404,
    is_htmx,
    is_manager,
    is_sdr,
    redirect_after_post,
    render_partial,
    role_required,
)

OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.NURTURING)


# --- SDR queue and public pool -------------------------------------------------------------------


def _queue_context(request: HttpRequest) -> dict:
    leads = list(selectors.sdr_queue(request.user))
    return {
        "leads": leads,
        "untouched": sum(
            1 for lead in leads if lead.status == LeadStatus.NEW and lead.first_touch_at is None
        ),
        "pool_count": selectors.public_pool().count(),
    }


@require_GET
@role_required(is_sdr)
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "leads/queue.html", {"active": "queue", "tab": "queue", **_queue_context(request),
                                                "sla_panel": sla_panel(request.user)})  # fmt: skip


@require_GET
@role_required(is_sdr)
def queue_rows(request: HttpRequest) -> HttpResponse:
    """The queue table alone: polled every 15 s by the queue page."""
    return render(request, "leads/_queue_table.html", _queue_context(request))


def _pool_context(request: HttpRequest, **extra) -> dict:
    leads = list(selectors.public_pool())
    return {"active": "pool", "tab": "pool", "leads": leads, "pool_count": len(leads),
            "can_claim": request.user.is_admin or is_sdr(request.user), **extra}  # fmt: skip


@require_GET
@role_required(lambda u: is_sdr(u) or is_manager(u))
def pool(request: HttpRequest) -> HttpResponse:
    return render(request, "leads/pool.html", _pool_context(request))


@require_POST
@role_required(is_sdr)
def claim(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_or_404(selectors.lead_get, request.user, lead_id)
    try:
        services.lead_claim(lead, request.user)
    except DomainError as exc:
        if is_htmx(request):
            return render_partial(request, "leads/_pool_table.html", _pool_context(request, error=exc.message),
                                  status=exc.status, retarget="#pool-table")  # fmt: skip
        return render(
            request, "leads/pool.html", _pool_context(request, error=exc.message), status=exc.status
        )
    messages.success(request, _("You claimed %(lead)s. It is in your queue now.") % {"lead": lead})
    return redirect_after_post(request, reverse("web:lead", args=[lead.pk]))


# --- Lead list ------------------------------------------------------------------------------------


@require_GET
@login_required
def lead_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    if status not in STATUS_LABELS:
        status = ""
    try:
        page = max(0, int(request.GET.get("page", "0")))
    except ValueError:
        page = 0
    size = 50
    leads = list(
        selectors.leads_search(request.user, status=status or None, q=q, limit=size + 1, offset=page * size)
    )
    context = {
        "active": "leads", "leads": leads[:size], "q": q, "status": status, "statuses": STATUS_LABELS.items(),
        "page": page, "has_next": len(leads) > size, "prev_page": page - 1, "next_page": page + 1,
    }  # fmt: skip
    if is_htmx(request) and request.headers.get("HX-Target") == "lead-results":
        return render(request, "leads/_lead_results.html", context)
    return render(request, "leads/lead_list.html", context)


# --- Lead page ------------------------------------------------------------------------------------


def lead_context(
    request: HttpRequest, lead: Lead, *, forms: dict | None = None, errors: dict | None = None
) -> dict:
    """Everything the lead page shows. ``forms``/``errors`` carry a failed form back with its message."""
    user = request.user
    forms = forms or {}
    errors = errors or {}
    can_work = services.can_work(user, lead)
    routing = latest_decisions(lead)
    snapshot = latest_snapshot(lead)
    # The score as of now with the active model: decayed engagement, the band and why (not stored).
    live = lead_score_explain(lead)
    factors = live.factors_as_dicts()
    handoffs = list(lead_handoffs(lead))
    timeline = list(selectors.lead_timeline(lead)[:200])
    # Events and routing explanations name reps by username: show their display names (one query).
    usernames = {e.data.get("to") or e.data.get("ae") for e in timeline if e.kind in ("routed", "handoff")}
    for decision in routing:
        people = decision.explanation.get("candidates", []) + decision.explanation.get("skipped", [])
        usernames.update(c.get("username") for c in people)
    usernames.discard(None)
    names = display_names(usernames)
    return {
        "active": "leads" if not is_sdr(user) else "queue",
        "lead": lead,
        "can_work": can_work,
        "can_claim": lead.owner_id is None and (user.is_admin or is_sdr(user)),
        "snapshot": snapshot,
        "score_live": live,
        "fit_factors": [f for f in factors if f.get("kind") == "fit"],
        "engagement_factors": [f for f in factors if f.get("kind") == "engagement"],
        # Predictive scoring: the active model's probability of acceptance and its top factors, or why not.
        "prediction": lead_probability(lead),
        "routing": routing,
        "sla_clocks": lead_clocks(lead),
        "timeline": timeline,
        "currency": OrgSettings.get().currency,
        "names": names,
        "touches": list(selectors.lead_touches(lead)[:100]),
        "handoffs": handoffs,
        "can_disqualify": can_work and lead.status in OPEN_STATUSES,
        "dispatch_options": _dispatch_options(user, lead),
        "touch_form": forms.get("touch") or TouchForm(),
        "dq_form": forms.get("dq") or DisqualifyForm(),
        "errors": errors,
        **qualify_card_context(request, lead, forms=forms, errors=errors),
    }


def _dispatch_options(user, lead: Lead) -> list:
    """For a director holding a lead routing sent them to dispatch: the reps, each with why they cannot
    take it now ("" when they can)."""
    from baton.org.models import MANAGER_ROLES, SDR_ROLES, User
    from baton.routing.services import people_skip_reasons

    if lead.owner_id != user.pk or not user.has_role(*MANAGER_ROLES) or lead.status not in ("new", "working"):
        return []
    reps = User.objects.filter(roles__role__in=SDR_ROLES, is_active=True).exclude(pk=user.pk).distinct()
    reps = sorted(reps, key=lambda u: u.label)
    reasons = people_skip_reasons("lead", reps, clock.now())
    return [(u, reasons[u.pk]) for u in reps]


def lead_response(request: HttpRequest, lead_id: int, *, form_key: str | None = None, form=None,
                  error: str | None = None, status: int = 200, card: str | None = None,
                  card_template: str | None = None) -> HttpResponse:  # fmt: skip
    """The answer to a lead-page form.

    Success: the whole lead body (HTMX) or a redirect to the page (plain POST).
    Failure: the form's card with the error and the user's input (HTMX, retargeted to that card), or
    the whole page with the error (plain POST); a 4xx status either way.
    """
    lead = get_or_404(selectors.lead_get, request.user, lead_id)
    forms = {form_key: form} if form_key and form is not None else {}
    errors = {form_key: error} if form_key and error else {}
    context = lead_context(request, lead, forms=forms, errors=errors)
    if status < 400:
        if is_htmx(request):
            return render_partial(request, "leads/_lead_body.html", context)
        return redirect_after_post(request, reverse("web:lead", args=[lead.pk]))
    if is_htmx(request) and card and card_template:
        return render_partial(request, card_template, context, status=status, retarget=f"#{card}")
    return render(request, "leads/lead_detail.html", context, status=status)


@require_GET
@login_required
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_or_404(selectors.lead_get, request.user, lead_id)
    return render(request, "leads/lead_detail.html", lead_context(request, lead))


@require_POST
@login_required
def touch_create(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_or_404(selectors.lead_get, request.user, lead_id)
    form = TouchForm(request.POST)
    fail = {
        "form_key": "touch",
        "form": form,
        "card": "touch-card",
        "card_template": "leads/_touch_card.html",
    }
    if not form.is_valid():
        return lead_response(
            request, lead_id, status=422, error=_("Please correct the fields marked below."), **fail
        )
    data = form.cleaned_data
    try:
        services.touch_log(
            lead, request.user, channel=data["channel"], direction=data["direction"], outcome=data["outcome"],
            duration_seconds=(data["duration_minutes"] or 0) * 60, occurred_at=form.occurred_at_value(not_before=lead.created_at),
            notes=data["notes"],
        )  # fmt: skip
    except DomainError as exc:
        return lead_response(request, lead_id, status=exc.status, error=exc.message, **fail)
    messages.success(request, _("Touch logged."))
    return lead_response(request, lead_id)


@require_POST
@login_required
def disqualify(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_or_404(selectors.lead_get, request.user, lead_id)
    form = DisqualifyForm(request.POST)
    fail = {"form_key": "dq", "form": form, "card": "dq-card", "card_template": "leads/_disqualify_card.html"}
    if not form.is_valid():
        return lead_response(request, lead_id, status=422, error=_("A reason is required to disqualify a lead."),
                             **fail)  # fmt: skip
    try:
        services.lead_disqualify(lead, request.user, form.cleaned_data["reason"])
    except DomainError as exc:
        return lead_response(request, lead_id, status=exc.status, error=exc.message, **fail)
    messages.success(request, _("Lead disqualified."))
    return lead_response(request, lead_id)


# --- Duplicates -----------------------------------------------------------------------------------


def _duplicates_context(request: HttpRequest, **extra) -> dict:
    from baton.core.dedupe import survivor
    from baton.leads.duplicates import person_facts

    pairs = list(selectors.duplicates_open(request.user))
    for pair in pairs:
        pair.sides = (pair.lead, pair.other)
        pair.suggested = survivor(
            [person_facts(pair.lead, completeness=True), person_facts(pair.other, completeness=True)]
        )
    return {"active": "leads", "tab": "duplicates", "pairs": pairs, **extra}


@require_GET
@login_required
def duplicates(request: HttpRequest) -> HttpResponse:
    return render(request, "leads/duplicates.html", _duplicates_context(request))


@require_POST
@login_required
def duplicate_decide(request: HttpRequest, pair_id: int) -> HttpResponse:
    from baton.leads.duplicates import duplicate_dismiss, leads_merge
    from baton.leads.models import DuplicateCandidate

    pair = DuplicateCandidate.objects.filter(pk=pair_id).first()
    visible = pair is not None and selectors.leads_visible(request.user).filter(
        pk__in=[pair.lead_id, pair.other_id]).count() == 2  # fmt: skip
    if not visible:
        return render(request, "leads/duplicates.html", _duplicates_context(request, error=_("No such pair.")),
                      status=404)  # fmt: skip
    try:
        if request.POST.get("action") == "dismiss":
            duplicate_dismiss(pair.pk, actor=request.user)
            messages.success(request, _("Marked as not a duplicate."))
        else:
            keep = request.POST.get("survivor")
            survivor_id = int(keep) if keep and keep.isdigit() else None
            kept = leads_merge([pair.lead_id, pair.other_id], actor=request.user, survivor_id=survivor_id)
            messages.success(request, _("Merged into %(lead)s.") % {"lead": kept})
    except DomainError as exc:
        if is_htmx(request):
            return render_partial(request, "leads/_duplicates_table.html",
                                  _duplicates_context(request, error=exc.message), status=exc.status,
                                  retarget="#duplicates-table")  # fmt: skip
        return render(request, "leads/duplicates.html", _duplicates_context(request, error=exc.message),
                      status=exc.status)  # fmt: skip
    if is_htmx(request):
        return render_partial(request, "leads/_duplicates_table.html", _duplicates_context(request))
    return redirect_after_post(request, reverse("web:duplicates"))


# --- Outbound target lists ------------------------------------------------------------------------


def _is_outbound(user) -> bool:
    from baton.leads.targets import OUTBOUND_ROLES

    return user.is_admin or user.has_role(*OUTBOUND_ROLES)


@login_required
def targets(request: HttpRequest) -> HttpResponse:
    """Upload a target-account list (CSV/XLSX) and see which targets are yours to work."""
    import tempfile
    from pathlib import Path

    from baton.imports.services import upload_stage
    from baton.leads.models import TargetList
    from baton.leads.targets import targets_check, targets_from_file

    if not _is_outbound(request.user):
        return render(request, "leads/targets.html", {"active": "leads", "forbidden": True}, status=403)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        name = request.POST.get("name", "").strip()
        if upload is None:
            error = _("Choose a CSV or XLSX file.")
        else:
            with tempfile.TemporaryDirectory(prefix="baton-targets-") as tmp:
                path, _mapping = upload_stage(Path(tmp), upload)
                try:
                    made = targets_check(name or upload.name, targets_from_file(path), owner=request.user)
                except DomainError as exc:
                    error = exc.message
                else:
                    return redirect_after_post(request, reverse("web:target_list", args=[made.pk]))
    lists = TargetList.objects.filter(owner=request.user).order_by("-created_at")[:20]
    return render(request, "leads/targets.html", {"active": "leads", "lists": lists, "error": error},
                  status=422 if error else 200)  # fmt: skip


@require_GET
@login_required
def target_list(request: HttpRequest, list_id: int) -> HttpResponse:
    from django.http import Http404

    from baton.leads.models import TargetList

    found = TargetList.objects.filter(pk=list_id).first()
    if found is None or not (request.user.is_admin or found.owner_id == request.user.pk):
        raise Http404
    rows = list(found.targets.select_related("inbound_owner", "lead").order_by("line"))
    counts = {o: sum(1 for t in rows if t.outcome == o) for o in ("clear", "inbound", "duplicate", "invalid")}
    return render(request, "leads/target_list.html", {"active": "leads", "target_list": found, "rows": rows,
                                                       "counts": counts})  # fmt: skip


@require_POST
@login_required
def dispatch(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Director dispatch: pass the lead to a rep."""
    from baton.org.models import User

    lead = get_or_404(selectors.lead_get, request.user, lead_id)
    fail = {"form_key": "dispatch", "card": "dispatch-card", "card_template": "leads/_dispatch_card.html"}
    to = User.objects.filter(pk=request.POST.get("to") or 0, is_active=True).first()
    if to is None:
        return lead_response(request, lead_id, status=422, error=_("Choose the rep who receives it."), **fail)
    try:
        services.lead_dispatch(lead, request.user, to)
    except DomainError as exc:
        return lead_response(request, lead_id, status=exc.status, error=exc.message, **fail)
    messages.success(request, _("Dispatched to %(rep)s.") % {"rep": to.label})
    return redirect_after_post(request, reverse("web:lead_list"))
