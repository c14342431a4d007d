"""The manager dashboard: KPIs of a period (spec §5) for the part of the organisation the user may see, with
SLA compliance per policy and the overdue clocks of that part now."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from baton import clock
from baton.analytics.selectors import kpi_report
from baton.core import kpis as catalogue
from baton.core.errors import DomainError
from baton.org.models import OrgSettings
from baton.org.selectors import subtree_user_ids
from baton.sla.selectors import running_clocks
from baton.web import labels
from baton.web.forms import PeriodForm
from baton.web.shortcuts import is_manager

PRESETS = (
    ("this_month", gettext_lazy("This month")),
    ("last_month", gettext_lazy("Last month")),
    ("this_quarter", gettext_lazy("This quarter")),
    ("last_quarter", gettext_lazy("Last quarter")),
)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def preset_period(name: str, today: date) -> tuple[date, date]:
    """[start, end) of a named period containing (or before) ``today``."""
    month = today.replace(day=1)
    quarter = _quarter_start(today)
    if name == "this_month":
        return month, _add_months(month, 1)
    if name == "last_month":
        return _add_months(month, -1), month
    if name == "last_quarter":
        return _add_months(quarter, -3), quarter
    return quarter, _add_months(quarter, 3)


def scope_of(user) -> tuple[set[int] | None, str, bool]:
    """(rep_ids, description, show per-rep cuts): admins see the organisation, managers their subtree."""
    if user.is_admin:
        return None, _("Whole organisation"), True
    if is_manager(user):
        ids = subtree_user_ids(user)
        return ids, _("Your team (%(n)s people)") % {"n": len(ids)}, True
    return {user.pk}, _("Your own work"), False


def _delta(key: str, now, before) -> dict | None:
    """Change against the previous period of the same length, for the tiles."""
    if now is None or before is None:
        return None
    try:
        a, b = float(now), float(before)
    except (TypeError, ValueError):
        return None
    kind = labels.kpi_format(key)
    if kind == "rate":
        diff = (a - b) * 100
        text = f"{diff:+.1f} pp"
    elif b == 0:
        if a == 0:
            return None
        diff, text = a, _("new")
    else:
        diff = (a - b) / b * 100
        text = f"{diff:+.0f}%"
    if abs(diff) < 0.05:
        return {"text": "±0", "trend": "flat"}
    lower_is_better = (
        key.startswith("speed_to_lead")
        and key != "speed_to_lead_within_5min"
        or key.startswith("sales_cycle")
        or key in ("sla_strikes", "suspensions", "sla_system_delay_share")
    )
    good = (diff > 0) != lower_is_better
    return {"text": text, "trend": "good" if good else "bad"}


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    org = OrgSettings.get()
    today = clock.now().astimezone(ZoneInfo(org.timezone)).date()
    preset = request.GET.get("preset", "")
    error = None
    if "start" in request.GET or "end" in request.GET:
        form = PeriodForm(request.GET)
        if form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"] + timedelta(days=1)
            preset = ""
        else:
            start, end = preset_period("this_quarter", today)
    else:
        if preset not in dict(PRESETS):
            preset = "this_quarter"
        start, end = preset_period(preset, today)
        form = PeriodForm(initial={"start": start, "end": end - timedelta(days=1)})
    rep_ids, scope, show_reps = scope_of(user)
    try:
        report = kpi_report(start, end, by_rep=show_reps, rep_ids=rep_ids)
        length = end - start
        previous = kpi_report(start - length, start, rep_ids=rep_ids)["kpis"]
    except DomainError as exc:
        report, previous, error = None, {}, exc.message
    context = {
        "active": "dashboard", "form": form, "presets": PRESETS, "preset": preset, "scope": scope,
        "start": start, "end_inclusive": end - timedelta(days=1), "error": error, "report": report,
    }  # fmt: skip
    if report:
        kpis = report["kpis"]
        english = (get_language() or "en").startswith("en")
        definitions = {k.key: k.definition for k in catalogue.CATALOGUE} if english else {}
        sla_keys = (*labels.SLA_COMPLIANCE_ROWS, *labels.SLA_COUNTS)
        context.update(
            currency=report["currency"],
            tiles=[
                {
                    "key": key,
                    "label": labels.kpi_label(key),
                    "value": kpis.get(key),
                    "delta": _delta(key, kpis.get(key), previous.get(key)),
                    "title": definitions.get(key, ""),
                }
                for key in labels.DASHBOARD_TILES
            ],  # fmt: skip
            kpis=kpis,
            reps=sorted(
                report.get("by_rep") or [],
                key=lambda r: (-(r["kpis"].get("sqls") or 0), -(r["kpis"].get("mqls") or 0), r["name"]),
            ),
            rep_columns=[(key, labels.kpi_label(key)) for key in labels.LEADERBOARD_COLUMNS],
            sources=list((report.get("by_source") or {}).items()),
            source_columns=[(key, labels.kpi_label(key)) for key in labels.BY_SOURCE_COLUMNS],
            more=[
                (key, labels.kpi_label(key), kpis.get(key))
                for key in catalogue.KEYS
                if key not in labels.DASHBOARD_TILES and key not in sla_keys
            ],  # fmt: skip
            sla_rows=[
                {
                    "key": key,
                    "label": labels.kpi_label(key),
                    "value": kpis.get(key),
                    "delta": _delta(key, kpis.get(key), previous.get(key)),
                    "title": definitions.get(key, ""),
                }
                for key in sla_keys
            ],  # fmt: skip
        )
        overdue, overdue_total, _ = running_clocks(rep_ids, overdue_only=True)
        context.update(sla_overdue=overdue, sla_overdue_total=overdue_total)
    return render(request, "analytics/dashboard.html", context)
