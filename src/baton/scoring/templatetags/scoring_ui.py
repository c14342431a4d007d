from django import template
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy

from baton.scoring.forms import OP_CHOICES, value_text

register = template.Library()

BAND_LABELS = {
    "nurture": gettext_lazy("Nurture"),
    "sdr_queue": gettext_lazy("SDR queue"),
    "handoff_ready": gettext_lazy("Handoff-ready"),
}
OPS = dict(OP_CHOICES)


@register.filter
def band_label(band: str) -> str:
    return str(BAND_LABELS.get(band, band or "—"))


@register.simple_tag
def band_badge(band: str) -> str:
    if not band:
        return ""
    return format_html('<span class="badge band band-{}" title="{}">{}</span>', band,
                       gettext("Lifecycle band"), band_label(band))  # fmt: skip


@register.filter
def op_label(op: str) -> str:
    return str(OPS.get(op, op))


@register.filter
def rule_value(rule) -> str:
    return value_text(rule.op, rule.value)


@register.filter
def days(value) -> str:
    if value is None:
        return "—"
    return gettext("%(n)s d") % {"n": int(value) if float(value).is_integer() else round(float(value), 1)}


@register.filter
def thousands(value) -> str:
    """A whole number with thousands separators (1,240)."""
    if value is None or value == "":
        return "—"
    return f"{int(value):,}"


@register.filter
def effect_points(effect) -> str:
    """A change in probability as signed percentage points: +8 pts, −3 pts."""
    if effect is None:
        return "—"
    points = round(float(effect) * 100)
    sign = "+" if points > 0 else ("−" if points < 0 else "±")
    return gettext("%(sign)s%(n)s pts") % {"sign": sign, "n": abs(points)}


@register.filter
def feature_name(name: str) -> str:
    from baton.scoring.history import feature_label

    return feature_label(name)
