"""Web pages of routing: Settings → Routing (the active policy of each kind, versions, the draft editor,
replay, activation), the month's eligible list and leaves, territories, and the unrouted leads.

Ops admins change everything; managers (sales directors, the VP, the SDR director) read and replay. The
unrouted leads are for the SDR director and ops admins (the ``routing_unrouted`` notification links there)."""

import json
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from baton import clock
from baton.core import routing as core
from baton.core.errors import DomainError, InvalidInput, NotFound
from baton.org.models import SDR_ROLES, OrgSettings, Role
from baton.routing import selectors, services
from baton.routing.forms import EligibleForm, LeaveForm, MonthForm, PolicyForm, ReplayForm, TerritoryForm
from baton.routing.models import RoutingPolicy
from baton.web.shortcuts import is_htmx, redirect_after_post, render_partial, role_required

KINDS = [
    (RoutingPolicy.Kind.LEAD, gettext_lazy("Inbound leads → SDRs")),
    (RoutingPolicy.Kind.HANDOFF, gettext_lazy("Handoffs → AEs")),
]


def _admin_only(user) -> bool:
    return False  # role_required lets admins (sales ops) through, nobody else


def _kind(kind: str) -> str:
    if kind not in RoutingPolicy.Kind.values:
        raise Http404
    return kind


def _settings_url(kind: str, anchor: str = "") -> str:
    return f"{reverse('web:routing_settings')}?kind={kind}" + (f"#{anchor}" if anchor else "")


def _pretty(definition: dict) -> str:
    return json.dumps(definition, indent=2, ensure_ascii=False)


def _nav(request: HttpRequest, kind: str = "") -> dict:
    """What the routing pages' tabs need."""
    see_unrouted = selectors.can_see_unrouted(request.user)
    return {
        "active": "routing",
        "kinds": [(k, label, k == kind) for k, label in KINDS],
        "can_see_unrouted": see_unrouted,
        "unrouted_count": selectors.unrouted_count() if see_unrouted else 0,
        "can_write": selectors.can_write(request.user),
    }


# --- Settings → Routing ----------------------------------------------------------------------------


def settings_context(request: HttpRequest, kind: str, *, form: PolicyForm | None = None, problems=None,
                     replay=None, replay_form: ReplayForm | None = None, replay_error: str = "") -> dict:  # fmt: skip
    active = selectors.policy_current(kind)
    draft = selectors.policy_draft(kind)
    if form is None:
        source = draft or active
        definition = source.definition if source else services.DEFAULT_POLICIES[kind]
        form = PolicyForm(initial={"definition": _pretty(definition), "note": draft.note if draft else "",
                                   "version": draft.version if draft else None})  # fmt: skip
    return {
        **_nav(request, kind),
        "kind": kind,
        "current": active,
        "current_rows": selectors.policy_rows(active.definition) if active else [],
        "draft": draft,
        "draft_rows": selectors.policy_rows(draft.definition) if draft else [],
        "history": list(selectors.policies(kind)[:50]),
        "form": form,
        "problems": problems or [],
        "replay": replay,
        "replay_people": _replay_people(replay) if replay else [],
        "replay_form": replay_form or ReplayForm(initial={"version": draft.version if draft else None}),
        "replay_error": replay_error,
        "fields": list(core.FIELDS),
        "operators": list(core.OPERATORS),
        "strategies": [(s, selectors.strategy_label(s)) for s in core.STRATEGIES],
        "destinations": list(core.DESTINATIONS),
    }


def _replay_people(replay: services.Replay) -> list[dict]:
    """Per person: items as routed, items under the replayed policy, and the difference."""
    names = sorted(set(replay.actual) | set(replay.would), key=lambda n: (n == "—", n))
    return [{"name": n, "actual": replay.actual.get(n, 0), "would": replay.would.get(n, 0),
             "delta": replay.would.get(n, 0) - replay.actual.get(n, 0)} for n in names]  # fmt: skip


@require_GET
@role_required(selectors.can_read)
def settings_page(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind") or RoutingPolicy.Kind.LEAD
    if kind not in RoutingPolicy.Kind.values:
        kind = RoutingPolicy.Kind.LEAD
    return render(request, "routing/settings.html", settings_context(request, kind))


@require_POST
@role_required(_admin_only)
def draft_save(request: HttpRequest, kind: str) -> HttpResponse:
    """A new draft, or the draft's new definition; every problem listed when it is not valid."""
    kind = _kind(kind)
    form = PolicyForm(request.POST)
    if not form.is_valid():
        context = settings_context(request, kind, form=form)
        return render(request, "routing/settings.html", context, status=422)
    data = form.cleaned_data
    try:
        row = services.policy_draft_save(kind, data["definition"], actor=request.user, note=data["note"],
                                         version=data.get("version"))  # fmt: skip
    except InvalidInput as exc:
        problems = exc.details.get("problems") or [exc.message]
        context = settings_context(request, kind, form=form, problems=problems)
        return render(request, "routing/settings.html", context, status=422)
    except DomainError as exc:
        context = settings_context(request, kind, form=form, problems=[exc.message])
        return render(request, "routing/settings.html", context, status=exc.status)
    messages.success(request, _("Draft version %(v)s saved.") % {"v": row.version})
    return redirect_after_post(request, _settings_url(kind, "routing-draft"))


@require_POST
@role_required(_admin_only)
def activate(request: HttpRequest, kind: str, version: int) -> HttpResponse:
    kind = _kind(kind)
    try:
        services.policy_activate(kind, version, actor=request.user)
    except DomainError as exc:
        problems = exc.details.get("problems") if exc.details else None
        messages.error(request, "; ".join(problems) if problems else exc.message)
    else:
        messages.success(request, _("Version %(v)s is active; the previous one is retired.") % {"v": version})
    return redirect_after_post(request, _settings_url(kind))


@require_http_methods(["GET", "POST"])
@role_required(selectors.can_read)
def replay(request: HttpRequest, kind: str) -> HttpResponse:
    """Who would have got the latest items: a stored version (GET ?version=) or the editor's policy (POST).
    Writes nothing."""
    kind = _kind(kind)
    form = ReplayForm(request.POST if request.method == "POST" else request.GET)
    result, error = None, ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            definition = data.get("definition")  # the editor's policy wins over the draft it came from
            result = services.policy_replay(kind, definition, version=None if definition else data.get("version"),
                                            last=data["last"])  # fmt: skip
        except InvalidInput as exc:
            error = "; ".join(exc.details.get("problems") or [exc.message])
        except NotFound as exc:
            error = exc.message
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    status = 200 if result is not None else 422
    editor = PolicyForm(request.POST) if request.method == "POST" and request.POST.get("definition") else None
    context = settings_context(
        request, kind, form=editor, replay=result, replay_form=form, replay_error=error
    )
    if is_htmx(request):
        return render_partial(request, "routing/_replay.html", context, status=status)
    return render(request, "routing/settings.html", context, status=status)


# --- The month's eligible list and leaves ----------------------------------------------------------


def _this_month() -> str:
    return clock.now().astimezone(ZoneInfo(OrgSettings.get().timezone)).strftime("%Y-%m")


def eligible_context(
    request: HttpRequest, month: str, *, form=None, leave_form=None, error: str = ""
) -> dict:
    people = selectors.assignable_people()
    listed = set(services.eligible_list(month))
    groups = defaultdict(list)
    for person in people:
        roles = person.role_set()
        group = _("Account executives") if roles & {Role.AE, Role.AM} else _("SDRs")
        if roles & set(SDR_ROLES) and roles & {Role.AE, Role.AM}:
            group = _("SDRs and account executives")
        groups[str(group)].append(person)
    return {
        **_nav(request),
        "month": month,
        "month_form": MonthForm(initial={"month": month}),
        "form": form or EligibleForm(initial={"month": month, "users": sorted(listed)}, people=people),
        "listed": listed,
        "has_list": bool(listed),
        "groups": sorted(groups.items()),
        "leave_form": leave_form or LeaveForm(people=people),
        "leaves": list(selectors.leaves_upcoming(clock.now())),
        "error": error,
    }


@require_http_methods(["GET", "POST"])
@role_required(selectors.can_read)
def eligible_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        month_form = MonthForm(request.GET or {"month": _this_month()})
        month = month_form.cleaned_data["month"] if month_form.is_valid() else _this_month()
        return render(request, "routing/eligible.html", eligible_context(request, month))
    if not selectors.can_write(request.user):
        raise PermissionDenied
    form = EligibleForm(request.POST, people=selectors.assignable_people())
    if not form.is_valid():
        month = request.POST.get("month") if MonthForm(request.POST).is_valid() else _this_month()
        return render(
            request, "routing/eligible.html", eligible_context(request, month, form=form), status=422
        )
    month = form.cleaned_data["month"]
    try:
        names = services.eligible_list_set(month, form.cleaned_data["users"], actor=request.user)
    except DomainError as exc:
        return render(request, "routing/eligible.html",
                      eligible_context(request, month, form=form, error=exc.message), status=exc.status)  # fmt: skip
    if names:
        messages.success(
            request,
            _("The eligible list for %(month)s has %(n)s people.") % {"month": month, "n": len(names)},
        )
    else:
        messages.success(
            request,
            _("No eligible list for %(month)s: everyone otherwise eligible receives.") % {"month": month},
        )
    return redirect_after_post(request, f"{reverse('web:routing_eligible')}?month={month}")


@require_POST
@role_required(_admin_only)
def leave_new(request: HttpRequest) -> HttpResponse:
    form = LeaveForm(request.POST, people=selectors.assignable_people())
    month = _this_month()
    if not form.is_valid():
        return render(
            request, "routing/eligible.html", eligible_context(request, month, leave_form=form), status=422
        )
    data = form.cleaned_data
    try:
        services.leave_add(
            data["user"], data["starts_at"], data["ends_at"], actor=request.user, note=data["note"]
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return render(request, "routing/eligible.html", eligible_context(request, month, leave_form=form),
                      status=exc.status)  # fmt: skip
    messages.success(request, _("Leave recorded for %(who)s.") % {"who": data["user"].label})
    return redirect_after_post(request, reverse("web:routing_eligible") + "#leaves")


# --- Territories -----------------------------------------------------------------------------------


def territories_context(request: HttpRequest, *, form=None, editing=None, error: str = "") -> dict:
    return {
        **_nav(request),
        "territories": list(selectors.territories()),
        "form": form or TerritoryForm(initial=TerritoryForm.initial_of(editing) if editing else None),
        "editing": editing,
        "error": error,
    }


@require_http_methods(["GET", "POST"])
@role_required(selectors.can_read)
def territories_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        editing = None
        if request.GET.get("edit", "").isdigit():
            try:
                editing = selectors.territory_get(int(request.GET["edit"]))
            except NotFound:
                raise Http404
        return render(request, "routing/territories.html", territories_context(request, editing=editing))
    if not selectors.can_write(request.user):
        raise PermissionDenied
    form = TerritoryForm(request.POST)
    if not form.is_valid():
        return render(
            request, "routing/territories.html", territories_context(request, form=form), status=422
        )
    try:
        territory = services.territory_save(form.cleaned_data["name"], form.cleaned_data["owner"],
                                            actor=request.user, **form.lists())  # fmt: skip
    except DomainError as exc:
        return render(request, "routing/territories.html", territories_context(request, form=form, error=exc.message),
                      status=exc.status)  # fmt: skip
    messages.success(request, _("Territory %(name)s saved.") % {"name": territory.name})
    return redirect_after_post(request, reverse("web:routing_territories"))


# --- Unrouted leads --------------------------------------------------------------------------------


@require_GET
@role_required(selectors.can_see_unrouted)
def unrouted(request: HttpRequest) -> HttpResponse:
    leads = selectors.unrouted_leads()
    return render(request, "routing/unrouted.html", {
        **_nav(request), "leads": leads, "total": selectors.unrouted_count(),
        "retry_minutes": int(services.RETRY_AFTER.total_seconds() // 60),
    })  # fmt: skip
