"""Template helpers of the web UI: times and countdowns, badges, labels of stored codes, KPI values."""

from datetime import datetime, timedelta
from decimal import Decimal

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from baton import clock
from baton.core import sla
from baton.leads.models import Source, Touch
from baton.qualification.models import CriterionState
from baton.web import labels

register = template.Library()

SOURCE_LABELS = dict(Source.choices)
CHANNEL_LABELS = dict(Touch.Channel.choices)
OUTCOME_LABELS = dict(Touch.Outcome.choices)
DIRECTION_LABELS = dict(Touch.Direction.choices)
STATE_LABELS = dict(CriterionState.choices)
CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}


def is_zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


@register.filter
def ago(value: datetime | None) -> str:
    """'3 minutes' between ``value`` and Baton's clock (for "captured 3 minutes ago")."""
    if not value:
        return ""
    now = clock.now()
    if (now - value).total_seconds() < 60:
        return gettext("less than a minute")
    return timesince(value, now, depth=1)


@register.filter
def localized(obj, attr: str = "name") -> str:
    """``obj.<attr>_zh`` when the UI is in Chinese and it is set, else ``obj.<attr>``."""
    if obj is None:
        return ""
    if is_zh():
        zh = getattr(obj, f"{attr}_zh", "")
        if zh:
            return zh
    return getattr(obj, attr, "")


@register.filter
def localized_item(item, key: str = "name") -> str:
    """``item[key + "_zh"]`` when the UI is in Chinese and it is set, else ``item[key]`` (stored dicts)."""
    if not item:
        return ""
    if is_zh() and item.get(f"{key}_zh"):
        return item[f"{key}_zh"]
    return item.get(key) or ""


def format_remaining(seconds: int) -> str:
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


@register.simple_tag
def countdown(due_at: datetime | None, css: str = "") -> str:
    """A live countdown (static/baton/baton.js ticks it every second); red 'overdue' past due."""
    if not due_at:
        return ""
    left = sla.countdown(due_at, clock.now())
    if left.overdue:
        text = gettext("overdue %(time)s") % {"time": format_remaining(left.remaining_seconds)}
        css = f"{css} overdue"
    else:
        text = format_remaining(left.remaining_seconds)
        if left.remaining_seconds < 3600:
            css = f"{css} due-soon"
    return format_html(
        '<time class="countdown {}" datetime="{}" data-due="{}" title="{}">{}</time>',
        css.strip(), due_at.isoformat(), due_at.isoformat(), gettext("due %(at)s") % {"at": _local(due_at)}, text,
    )  # fmt: skip


def _local(value: datetime) -> str:
    from django.utils import timezone

    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


@register.simple_tag
def speed_to_lead(lead) -> str:
    """The speed-to-lead state of a lead: time to first touch, or the live 5-minute countdown."""
    target = timedelta(minutes=sla.SPEED_TO_LEAD_MINUTES)
    if lead.first_touch_at:
        took = lead.first_touch_at - lead.created_at
        minutes = max(0, int(took.total_seconds() // 60))
        ok = took <= target
        return format_html(
            '<span class="stl {}" title="{}">{}</span>',
            "stl-ok" if ok else "stl-late",
            gettext("first outbound touch %(minutes)s min after capture") % {"minutes": minutes},
            (gettext("touched in %(minutes)s min") % {"minutes": minutes}),
        )
    if lead.status != "new":
        return format_html('<span class="stl muted">{}</span>', "—")
    return format_html(
        '<span class="stl">{} {}</span>', gettext("call within"), countdown(lead.created_at + target)
    )


@register.filter
def status_label(status: str) -> str:
    return str(labels.BADGE_LABELS.get(status, status))


@register.simple_tag
def status_badge(status: str) -> str:
    return format_html('<span class="badge status-{}">{}</span>', status, status_label(status))


@register.simple_tag
def grade_badge(score, grade: str) -> str:
    letter = (grade or "?")[:1]
    return format_html(
        '<span class="score" title="{}"><span class="grade grade-{}">{}</span> {}</span>',
        gettext("Score %(score)s, grade %(grade)s") % {"score": score, "grade": grade or "—"},
        letter.lower(), grade or "—", score,
    )  # fmt: skip


@register.filter
def source_label(code: str) -> str:
    return str(SOURCE_LABELS.get(code, code or "—"))


@register.filter
def channel_label(code: str) -> str:
    return str(CHANNEL_LABELS.get(code, code))


@register.filter
def outcome_label(code: str) -> str:
    return str(OUTCOME_LABELS.get(code, code))


@register.filter
def direction_label(code: str) -> str:
    return str(DIRECTION_LABELS.get(code, code))


@register.filter
def state_label(code: str) -> str:
    return str(STATE_LABELS.get(code, code))


@register.filter
def criterion_label(code: str) -> str:
    return str(labels.CRITERION_LABELS.get(code, code))


@register.filter
def skip_reason(text: str) -> str:
    if text in labels.SKIP_REASONS:
        return str(labels.SKIP_REASONS[text])
    if text.startswith("suspended until"):
        return gettext("suspended (SLA penalty) until %(when)s") % {
            "when": text.split(" ")[2][:16].replace("T", " ")
        }
    return text


@register.filter
def factor_label(label: str) -> str:
    """A score factor's label, translated; count rules carry a '×N' suffix that is kept."""
    base, sep, count = (label or "").rpartition(" ×")
    if sep and count.isdigit():
        return f"{gettext(base)} ×{count}"
    return gettext(label) if label else ""


@register.filter
def get_item(mapping, key):
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def minutes(seconds) -> str:
    try:
        seconds = int(seconds or 0)
    except (TypeError, ValueError):
        return ""
    if seconds <= 0:
        return ""
    mins, secs = divmod(seconds, 60)
    return gettext("%(m)s min") % {"m": mins} if not secs else f"{mins}:{secs:02d}"


def _number(value, decimals: int = 0) -> str:
    return f"{value:,.{decimals}f}"


@register.simple_tag
def money(value, currency: str = "", decimals: int = 0) -> str:
    if value is None:
        return "—"
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} " if currency else "")
    return f"{symbol}{_number(amount, decimals)}"


@register.simple_tag
def kpi(value, key: str, currency: str = "") -> str:
    """A KPI value formatted by its kind; rates are fractions; None (empty denominator) is '—'."""
    if value is None or value == "":
        return "—"
    kind = labels.kpi_format(key)
    try:
        if kind == "rate":
            return f"{float(value) * 100:.1f}%"
        if kind == "money":
            return money(value, currency)
        if kind == "minutes":
            return gettext("%(n)s min") % {"n": _trim(float(value))}
        if kind == "days":
            return gettext("%(n)s d") % {"n": _trim(float(value))}
        if kind == "count":
            return _number(int(value))
        return _trim(float(value))
    except (TypeError, ValueError, ArithmeticError):
        return str(value)


def _trim(number: float) -> str:
    return f"{number:,.1f}".removesuffix(".0")


@register.filter
def kpi_label(key: str) -> str:
    return labels.kpi_label(key)


@register.simple_tag
def funnel_svg(kpis: dict) -> str:
    """The relay funnel (leads → MQLs → SQLs → opportunities → won) as an inline SVG bar chart."""
    steps = [(str(label), int(kpis.get(key) or 0)) for key, label in labels.FUNNEL]
    top = max([v for _l, v in steps] + [1])
    label_w, bar_w, row_h, gap, value_w = 120, 380, 30, 10, 150
    width = label_w + bar_w + value_w
    height = len(steps) * (row_h + gap) - gap
    palette = ("#4f46e5", "#5b54e8", "#6d5ef0", "#0e9384", "#079455")
    rows = []
    for i, (label, value) in enumerate(steps):
        y = i * (row_h + gap)
        w = max(2, round(bar_w * value / top)) if value else 2
        conversion = ""
        if i > 0:
            previous = steps[i - 1][1]
            conversion = f"{value / previous * 100:.0f}%" if previous else "—"
        rows.append((label, value, y, w, palette[i % len(palette)], conversion))
    body = format_html_join(
        "",
        '<g><text x="{}" y="{}" class="f-label" text-anchor="end">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" rx="4" fill="{}"><title>{}: {}</title></rect>'
        '<text x="{}" y="{}" class="f-value">{}</text>'
        '<text x="{}" y="{}" class="f-conv">{}</text></g>',
        (
            (label_w - 10, y + row_h / 2 + 4, label, label_w, y, w, row_h, color, label, value,
             label_w + w + 8, y + row_h / 2 + 4, f"{value:,}",
             label_w + w + 8 + 9 * len(f"{value:,}") + 10, y + row_h / 2 + 4,
             (gettext("%(pct)s of previous") % {"pct": conv}) if conv else "")
            for label, value, y, w, color, conv in rows
        ),
    )  # fmt: skip
    summary = ", ".join(f"{label} {value}" for label, value in steps)
    return format_html(
        '<svg class="funnel" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}">'
        "<title>{}</title>{}</svg>",
        width, height, summary, _("Funnel"), body,
    )  # fmt: skip


@register.filter
def role_labels(roles) -> str:
    from baton.org.models import Role

    names = dict(Role.choices)
    return ", ".join(str(names.get(r, r)) for r in roles or ())
