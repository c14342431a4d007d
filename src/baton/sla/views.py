"""Settings → SLA: the policies (target, business time, reminders, breach actions, on/off), the business
calendars (zone, working spans per weekday, public holidays and make-up days, the org's own dates), which
team works on which calendar, and a preview of a due instant. Ops admins change; sales managers read.
Cards are HTMX partials: a change re-renders its card (errors next to the form), or without HTMX the
page reloads."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from baton import clock
from baton.core.errors import DomainError, NotFound
from baton.org.models import Team
from baton.sla import services
from baton.sla import settings_selectors as selectors
from baton.sla.forms import (
    ACTION_LABELS,
    CalendarForm,
    PolicyForm,
    PreviewForm,
    TeamCalendarForm,
    policy_counted,
    split_dates,
)
from baton.sla.hours import hours_format
from baton.sla.models import Calendar
from baton.web.shortcuts import is_htmx, is_manager, redirect_after_post, render_partial, role_required

DAY_KINDS = {
    "holiday": gettext_lazy("Public holiday"),
    "make_up": gettext_lazy("Make-up working day (Monday's hours)"),
    "day_off": gettext_lazy("Extra day off"),
    "working_day": gettext_lazy("Extra working day (Monday's hours)"),
}


def _admin_only(user) -> bool:
    return False  # role_required lets admins (sales ops) through, nobody else


def duration_text(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes = rest // 60
    parts = []
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes or not hours:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)


def _policy_preview(policy, default) -> dict | None:
    """When a clock of this policy starting now would be due (on the default calendar for business time)."""
    try:
        due = services.policy_due(policy, default, clock.now())
    except DomainError:
        return None
    counted = policy_counted(policy)
    if counted != "wall_clock" and default is None:
        counted = "wall_clock"
    return {"due": due, "counted": counted, "zone": default.zone if counted != "wall_clock" else None,
            "calendar": default.name if default else None}  # fmt: skip


def _upcoming(country, subdivision, days_off, working, zone) -> dict:
    try:
        today = clock.now().astimezone(ZoneInfo(zone)).date()
    except (ZoneInfoNotFoundError, ValueError):  # a zone typed in the form: its error is on the form itself
        today = clock.now().date()
    try:
        days = selectors.calendar_days(
            country, subdivision, days_off, working, after=today, language=get_language()
        )
    except DomainError as exc:
        return {"days": [], "error": exc.message, "country": country}
    return {"days": [(d, DAY_KINDS[d.kind]) for d in days], "error": None, "country": country}


def _context(request: HttpRequest, *, policy_forms=None, policy_errors=None, calendars_error=None,
             team_forms=None, team_errors=None, preview=None) -> dict:  # fmt: skip
    policy_forms, policy_errors = policy_forms or {}, policy_errors or {}
    team_forms, team_errors = team_forms or {}, team_errors or {}
    calendars = selectors.calendars()
    default = next((c for c in calendars if c.is_default), None)
    teams = selectors.team_calendars()
    return {
        "active": "sla",
        "is_admin": request.user.is_admin,
        "policy_rows": [
            {
                "policy": p,
                "form": policy_forms.get(p.key) or PolicyForm(policy=p),
                "error": policy_errors.get(p.key),
                "target": duration_text(p.target_seconds),
                "preview": _policy_preview(p, default),
                "actions": [ACTION_LABELS.get(a, a) for a in p.breach_actions],
                "reminders": [f"{r * 100:g}%" for r in p.reminders],
            }
            for p in selectors.policies()
        ],  # fmt: skip
        "calendars": [{"calendar": c, "hours": hours_format(c.hours)} for c in calendars],
        "calendars_error": calendars_error,
        "default": default,
        "team_rows": [
            {
                "row": r,
                "error": team_errors.get(r.team.pk),
                "form": team_forms.get(r.team.pk)
                or TeamCalendarForm(team=r.team, calendars=calendars, default=default, current=r.own),
            }
            for r in teams
        ],  # fmt: skip
        "preview_form": (preview or {}).get("form") or PreviewForm(calendars=calendars),
        "preview": preview,
    }


def _card(request: HttpRequest, template: str, *, status: int = 200, **context) -> HttpResponse:
    """After a change: the card (HTMX), else the page (errors) or a redirect to it (success)."""
    ctx = _context(request, **context)
    if is_htmx(request):
        return render_partial(request, template, ctx, status=status)
    if status >= 400:
        return render(request, "sla/settings.html", ctx, status=status)
    return redirect_after_post(request, reverse("web:sla_settings"))


@require_GET
@role_required(is_manager)
def settings_page(request: HttpRequest) -> HttpResponse:
    return render(request, "sla/settings.html", _context(request))


# --- Policies ------------------------------------------------------------------------------------------


@require_POST
@role_required(_admin_only)
def policy_save(request: HttpRequest, key: str) -> HttpResponse:
    try:
        policy = selectors.policy_get(key)
    except NotFound as exc:
        raise Http404(exc.message)
    form = PolicyForm(request.POST, policy=policy)
    template = "sla/settings_policies.html"
    if not form.is_valid():
        return _card(request, template, status=422, policy_forms={key: form},
                     policy_errors={key: _("Please correct the fields marked below.")})  # fmt: skip
    try:
        services.policy_update(key, actor=request.user, **form.changes())
    except DomainError as exc:
        return _card(
            request, template, status=exc.status, policy_forms={key: form}, policy_errors={key: exc.message}
        )
    messages.success(request, _("Policy saved: %(name)s.") % {"name": policy.label})
    return _card(request, template)


# --- Calendars -----------------------------------------------------------------------------------------


def _calendar_page(request, form, calendar=None, *, error=None, status=200) -> HttpResponse:
    if form.is_bound:
        data = form.data
        upcoming = _upcoming(data.get("holiday_country", "").strip().upper(), data.get("holiday_subdivision", "").strip(),
                             split_dates(data.get("extra_days_off", "")), split_dates(data.get("extra_working_days", "")),
                             data.get("zone", "") or (calendar.zone if calendar else "UTC"))  # fmt: skip
    elif calendar is not None:
        upcoming = _upcoming(calendar.holiday_country, calendar.holiday_subdivision, calendar.extra_days_off,
                             calendar.extra_working_days, calendar.zone)  # fmt: skip
    else:
        upcoming = _upcoming(form.initial.get("holiday_country", ""), "", [], [], "Asia/Shanghai")
    context = {
        "active": "sla",
        "calendar": calendar,
        "form": form,
        "error": error,
        "is_admin": request.user.is_admin,
        "upcoming": upcoming,
        "zones": sorted(_zones()),
        "countries": sorted(_countries()),
    }
    return render(request, "sla/settings_calendar.html", context, status=status)


def _zones() -> set[str]:
    from zoneinfo import available_timezones

    return available_timezones()


def _countries() -> list[str]:
    import holidays

    return list(holidays.list_supported_countries(include_aliases=False))


def _calendar_save(request: HttpRequest, form: CalendarForm, calendar=None) -> HttpResponse:
    if not form.is_valid():
        return _calendar_page(
            request, form, calendar, error=_("Please correct the fields marked below."), status=422
        )
    name = calendar.name if calendar else form.cleaned_data["name"].strip()
    if calendar is None and Calendar.objects.filter(name=name).exists():
        form.add_error("name", _("A calendar with this name exists: edit it instead."))
        return _calendar_page(
            request, form, calendar, error=_("Please correct the fields marked below."), status=422
        )
    try:
        cal, created = services.calendar_put(name, actor=request.user, **form.values())
    except DomainError as exc:
        return _calendar_page(request, form, calendar, error=exc.message, status=exc.status)
    if created:
        messages.success(request, _("Calendar %(name)s created.") % {"name": cal.name})
    else:
        messages.success(request, _("Calendar %(name)s saved.") % {"name": cal.name})
    return redirect_after_post(request, reverse("web:sla_calendar", args=[cal.pk]))


@require_http_methods(["GET", "POST"])
@role_required(_admin_only)
def calendar_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _calendar_page(request, CalendarForm())
    return _calendar_save(request, CalendarForm(request.POST))


def _calendar_or_404(pk: int):
    try:
        return selectors.calendar_by_pk(pk)
    except NotFound as exc:
        raise Http404(exc.message)


@require_http_methods(["GET", "POST"])
@role_required(is_manager)
def calendar_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Managers see the calendar and its coming days off; ops admins change it."""
    calendar = _calendar_or_404(pk)
    if request.method == "GET":
        return _calendar_page(request, CalendarForm(calendar=calendar), calendar)
    if not request.user.is_admin:
        raise PermissionDenied
    return _calendar_save(request, CalendarForm(request.POST, calendar=calendar), calendar)


@require_POST
@role_required(_admin_only)
def calendar_delete(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = _calendar_or_404(pk)
    template = "sla/settings_calendars.html"
    try:
        services.calendar_delete(calendar.name, request.user)
    except DomainError as exc:
        return _card(request, template, status=exc.status, calendars_error=exc.message)
    messages.success(request, _("Calendar %(name)s deleted.") % {"name": calendar.name})
    return _card(request, template)


@require_GET
@role_required(is_manager)
def holidays(request: HttpRequest) -> HttpResponse:
    """The coming public holidays and make-up days of what the calendar form holds (HTMX, as it is typed)."""
    q = request.GET
    upcoming = _upcoming(q.get("holiday_country", "").strip().upper(), q.get("holiday_subdivision", "").strip(),
                         split_dates(q.get("extra_days_off", "")), split_dates(q.get("extra_working_days", "")),
                         q.get("zone", "").strip() or "UTC")  # fmt: skip
    return render(request, "sla/settings_holidays.html", {"upcoming": upcoming})


# --- Teams and the preview -----------------------------------------------------------------------------


@require_POST
@role_required(_admin_only)
def team_save(request: HttpRequest, team_id: int) -> HttpResponse:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise Http404(f"no team {team_id}")
    calendars = selectors.calendars()
    default = next((c for c in calendars if c.is_default), None)
    form = TeamCalendarForm(request.POST, team=team, calendars=calendars, default=default)
    template = "sla/settings_teams.html"
    if not form.is_valid():
        return _card(request, template, status=422, team_forms={team.pk: form},
                     team_errors={team.pk: _("Please choose a calendar.")})  # fmt: skip
    name = form.cleaned_data["calendar"] or None
    try:
        services.calendar_assign(team.pk, name, request.user)
    except DomainError as exc:
        return _card(
            request,
            template,
            status=exc.status,
            team_forms={team.pk: form},
            team_errors={team.pk: exc.message},
        )
    if name:
        messages.success(
            request, _("%(team)s works on %(calendar)s.") % {"team": team.name, "calendar": name}
        )
    else:
        messages.success(request, _("%(team)s works on the default calendar.") % {"team": team.name})
    return _card(request, template)


@require_GET
@role_required(is_manager)
def preview(request: HttpRequest) -> HttpResponse:
    """ "48 business hours from now → due …" for a calendar (HTMX: the preview card)."""
    calendars = selectors.calendars()
    form = PreviewForm(request.GET, calendars=calendars)
    result, status = {"form": form}, 200
    if not form.is_valid():
        result["error"], status = _("Please correct the fields marked below."), 422
    else:
        cal = next(c for c in calendars if str(c.pk) == form.cleaned_data["calendar"])
        start = form.cleaned_data["start"] or clock.now()
        hours = form.cleaned_data["hours"]
        try:
            due = services.calendar_preview(cal, start, hours * 3600)
        except DomainError as exc:
            result["error"], status = exc.message, exc.status
        else:
            if start.tzinfo is None:
                start = start.replace(tzinfo=ZoneInfo(cal.zone))
            result.update(calendar=cal, start=start, due=due, hours=f"{hours:g}")
    ctx = _context(request, preview=result)
    if is_htmx(request):
        return render_partial(request, "sla/settings_preview.html", ctx, status=status)
    return render(request, "sla/settings.html", ctx, status=status)
