"""Web pages of qualification: the lead page's qualification card (a tab per framework, HTMX) and the
settings of framework templates and handoff gates."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from baton.core.errors import DomainError
from baton.core.lifecycle import LeadStatus
from baton.leads.selectors import lead_get
from baton.leads.services import can_work as lead_can_work
from baton.org.models import Team
from baton.qualification import selectors, services
from baton.qualification.forms import AnswersForm, FrameworkEditForm, FrameworkNewForm, GateForm, pick
from baton.web.shortcuts import (
    get_or_404,
    is_htmx,
    is_manager,
    redirect_after_post,
    role_required,
)

CARD_TEMPLATE = "handoffs/_qualify_card.html"
CARD = {"card": "qualify-card", "card_template": CARD_TEMPLATE}


# --- The lead page card ------------------------------------------------------------------------------


def _default_tab(view: selectors.LeadQualification) -> str | None:
    """The first framework whose gate rule fails, else the first in the gate, else the first shown."""
    for r in view.gate.result.rules:
        if not r.passed and view.framework(r.rule.framework):
            return r.rule.framework
    for r in view.gate.result.rules:
        if view.framework(r.rule.framework):
            return r.rule.framework
    return view.frameworks[0].key if view.frameworks else None


def card_context(
    request: HttpRequest, lead, *, forms: dict | None = None, errors: dict | None = None
) -> dict:
    """What the qualification card shows: tabs with progress, the chosen framework's criteria (a form for
    those who may qualify), the gate with what is missing."""
    forms = forms or {}
    view = selectors.lead_qualification(lead)
    wanted = getattr(request, "qualification_tab", None) or request.GET.get("qf")
    current = view.framework(wanted) if wanted else None
    current = current or (view.framework(_default_tab(view)) if view.frameworks else None)
    form = forms.get("qual")
    if current is not None and (form is None or form.framework.key != current.key):
        form = AnswersForm(framework=current)
    gate = view.gate.result
    return {
        "qual": view,
        "qual_tab": current,
        "qual_form": form,
        "qual_error": (errors or {}).get("qual"),
        "can_qualify": services.can_qualify(request.user, lead),
        "gate": gate,
        "gate_source": view.gate.source,
        "gate_missing": view.gate_missing(),
        "gate_rules": [(r, view.framework(r.rule.framework)) for r in gate.rules],
    }


def qualify_card_context(request: HttpRequest, lead, *, forms: dict | None = None,
                         errors: dict | None = None) -> dict:  # fmt: skip
    """The whole card of the lead page: qualification, the gate, and the handoff form under it."""
    from baton.web.forms import HandoffForm

    forms = forms or {}
    can_work = lead_can_work(request.user, lead)
    context = card_context(request, lead, forms=forms, errors=errors)
    return {
        **context,
        "can_work": can_work,
        "can_handoff": can_work and context["gate"].passed and lead.status == LeadStatus.WORKING,
        "handoff_form": forms.get("handoff") or HandoffForm(),
    }


@require_GET
@login_required
def card(request: HttpRequest, lead_id: int, framework: str) -> HttpResponse:
    """One framework's tab of the card (HTMX); without HTMX, the lead page on that tab."""
    lead = get_or_404(lead_get, request.user, lead_id)
    if not is_htmx(request):
        return redirect_after_post(
            request, f"{reverse('web:lead', args=[lead.pk])}?qf={framework}#qualify-card"
        )
    request.qualification_tab = framework
    context = {"lead": lead, "errors": {}, **qualify_card_context(request, lead)}
    return render(request, CARD_TEMPLATE, context)


@require_POST
@login_required
def save(request: HttpRequest, lead_id: int, framework: str = "bant") -> HttpResponse:
    from baton.leads.views import lead_response

    lead = get_or_404(lead_get, request.user, lead_id)
    view = selectors.lead_qualification(lead)
    current = view.framework(framework)
    if current is None:
        raise Http404(f"no active qualification framework {framework!r}")
    request.qualification_tab = framework
    form = AnswersForm(request.POST, framework=current)
    fail = {"form_key": "qual", "form": form, **CARD}
    if not form.is_valid():
        return lead_response(request, lead_id, status=422,
                             error=_("Please choose met, not met or unknown for each criterion."), **fail)  # fmt: skip
    try:
        changed = services.criteria_set(lead, framework, form.answers(), request.user)
    except DomainError as exc:
        return lead_response(request, lead_id, status=exc.status, error=exc.message, **fail)
    name = pick(current.framework.name, current.framework.name_zh)
    if changed:
        messages.success(request, _("Qualification saved: %(framework)s.") % {"framework": name})
    else:
        messages.info(request, _("Nothing changed in %(framework)s.") % {"framework": name})
    if is_htmx(request):
        return lead_response(request, lead_id)
    return redirect_after_post(request, f"{reverse('web:lead', args=[lead.pk])}?qf={framework}#qualify-card")


# --- Settings: templates (ops admins) and gates (ops admins, managers) --------------------------------


def _admin_only(user) -> bool:
    return False  # role_required lets admins (sales ops) through, nobody else


def _gate_rows(user) -> list[dict]:
    editable = selectors.teams_gate_editable(user)
    teams = list(Team.objects.order_by("name")) if editable is None else editable
    gates = selectors.gates()
    rows = [{"team": None, "source": gates.for_team(None), "editable": user.is_admin}]
    rows += [{"team": t, "source": gates.for_team(t.pk), "editable": True} for t in teams]
    return rows


def _settings_context(request: HttpRequest, *, new_form=None, new_error=None) -> dict:
    tpl = selectors.templates()
    counts = selectors.answer_counts()
    return {
        "active": "qualification",
        "frameworks": [
            {
                "framework": f,
                "answers": sum(counts.get(c.id, 0) for c in f.criteria),
                "active_count": len(f.active_criteria),
            }
            for f in tpl.frameworks
        ],  # fmt: skip
        "frameworks_by_key": {f.key: f for f in tpl.frameworks},
        "gate_rows": _gate_rows(request.user),
        "is_admin": request.user.is_admin,
        "new_form": new_form or FrameworkNewForm(),
        "new_error": new_error,
    }


@require_GET
@role_required(is_manager)
def settings_page(request: HttpRequest) -> HttpResponse:
    return render(request, "qualification/settings.html", _settings_context(request))


@require_POST
@role_required(_admin_only)
def framework_new(request: HttpRequest) -> HttpResponse:
    form = FrameworkNewForm(request.POST)
    if not form.is_valid():
        context = _settings_context(
            request, new_form=form, new_error=_("Please correct the fields marked below.")
        )
        return render(request, "qualification/settings.html", context, status=422)
    try:
        fw = services.framework_create(request.user, **form.cleaned_data)
    except DomainError as exc:
        context = _settings_context(request, new_form=form, new_error=exc.message)
        return render(request, "qualification/settings.html", context, status=exc.status)
    messages.success(request, _("Framework %(name)s created. Add its criteria now.") % {"name": fw.name})
    return redirect_after_post(request, reverse("web:qualification_framework", args=[fw.key]))


def _framework_or_404(key: str) -> selectors.FrameworkInfo:
    fw = selectors.templates().get(key)
    if fw is None:
        raise Http404(f"no qualification framework {key!r}")
    return fw


def _framework_page(request, fw, form, *, error=None, status=200) -> HttpResponse:
    counts = selectors.answer_counts()
    context = {
        "active": "qualification",
        "framework": fw,
        "form": form,
        "rows": [{**row, "answers": counts.get(row["criterion"].id, 0)} for row in form.criterion_rows()],
        "error": error,
    }
    return render(request, "qualification/framework_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(_admin_only)
def framework_edit(request: HttpRequest, key: str) -> HttpResponse:
    fw = _framework_or_404(key)
    if request.method == "GET":
        return _framework_page(request, fw, FrameworkEditForm(framework=fw))
    form = FrameworkEditForm(request.POST, framework=fw)
    if not form.is_valid():
        return _framework_page(
            request, fw, form, error=_("Please correct the fields marked below."), status=422
        )
    fields, criteria = form.changes()
    try:
        services.framework_update(fw.key, request.user, criteria=criteria, **fields)
    except DomainError as exc:
        return _framework_page(request, fw, form, error=exc.message, status=exc.status)
    messages.success(request, _("Framework %(name)s saved.") % {"name": fields["name"]})
    return redirect_after_post(request, reverse("web:qualification_framework", args=[fw.key]))


@require_POST
@role_required(_admin_only)
def criterion_delete(request: HttpRequest, key: str, criterion: str) -> HttpResponse:
    fw = _framework_or_404(key)
    try:
        services.criterion_delete(fw.key, criterion, request.user)
    except DomainError as exc:
        return _framework_page(
            request, fw, FrameworkEditForm(framework=fw), error=exc.message, status=exc.status
        )
    messages.success(request, _("Criterion deleted."))
    return redirect_after_post(request, reverse("web:qualification_framework", args=[fw.key]))


def _gate_page(request, team, form, *, error=None, status=200) -> HttpResponse:
    context = {
        "active": "qualification",
        "team": team,
        "source": selectors.gates().for_team(team.pk if team else None),
        "form": form,
        "error": error,
        "frameworks_by_key": {f.key: f for f in selectors.templates().frameworks},
    }
    return render(request, "qualification/gate_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def gate_edit(request: HttpRequest, team_id: int | None = None) -> HttpResponse:
    team = None
    if team_id is not None:
        team = Team.objects.filter(pk=team_id).first()
        if team is None:
            raise Http404(f"no team {team_id}")
    if not selectors.can_edit_gate(request.user, team):
        raise PermissionDenied
    tpl = selectors.templates()
    source = selectors.gates().for_team(team.pk if team else None)
    own = source.rules if source.kind in ("team", "default") else ()
    if request.method == "GET":
        return _gate_page(request, team, GateForm(frameworks=tpl.active, current=own))
    form = GateForm(request.POST, frameworks=tpl.active, current=own)
    if not form.is_valid():
        return _gate_page(request, team, form, error=_("Please correct the fields marked below."), status=422)
    try:
        services.gate_set(team, form.parsed, request.user)
    except DomainError as exc:
        return _gate_page(request, team, form, error=exc.message, status=exc.status)
    if team is None:
        messages.success(request, _("Default handoff gate saved."))
    elif form.parsed:
        messages.success(request, _("Handoff gate of %(team)s saved.") % {"team": team.name})
    else:
        messages.success(request, _("%(team)s now uses the inherited handoff gate.") % {"team": team.name})
    return redirect_after_post(request, reverse("web:qualification_settings"))
