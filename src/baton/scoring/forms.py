"""Forms of the scoring settings. They turn the page's text fields into the JSON shapes the services
take (rules, grades, bands); the services check the rules of the model."""

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from baton.core import scoring as core

SEPARATORS = ("，", ";", "；")
KIND_CHOICES = [("fit", _("Fit")), ("engagement", _("Engagement"))]
OP_CHOICES = [
    ("eq", _("is")), ("in", _("is one of")), ("contains", _("contains")), ("gte", "≥"), ("lte", "≤"),
    ("between", _("between (low, high)")), ("present", _("is filled in")), ("count", _("count of")),
]  # fmt: skip
BAND_CHOICES = [(core.HANDOFF_READY, _("Handoff-ready")), (core.SDR_QUEUE, _("SDR queue"))]
FIT_CHOICES = [(x, x) for x in core.FIT_LETTERS]
ENGAGEMENT_CHOICES = [(x, x) for x in core.ENGAGEMENT_DIGITS]


def value_text(op: str, value) -> str:
    """A rule's value as the form shows it."""
    if op == "between" and isinstance(value, list | tuple) and len(value) == 2:
        return ", ".join("" if v is None else _number_text(v) for v in value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if op in ("present", "count"):
        return ""
    return "" if value is None else _number_text(value) if isinstance(value, int | float) else str(value)


def _number_text(v) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _number(text: str):
    try:
        value = float(text)
    except ValueError:
        return text  # the service says what is wrong with it
    return int(value) if value.is_integer() else value


def parse_value(op: str, text: str):
    """The form's text as the value the op takes: a list for 'in'/'contains' (comma-separated), a
    number for ≥/≤, [low, high] for between (either may be empty), nothing for present/count."""
    text = (text or "").strip()
    for sep in SEPARATORS:
        text = text.replace(sep, ",")
    if op in ("present", "count"):
        return ""
    if op in ("in", "contains"):
        items = [t.strip() for t in text.split(",") if t.strip()]
        return items if op == "in" or len(items) != 1 else items[0]
    if op in ("gte", "lte"):
        return _number(text)
    if op == "between":
        parts = [t.strip() for t in text.split(",")]
        if len(parts) != 2:
            return text
        return [None if not p else _number(p) for p in parts]
    return text


class ModelMetaForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    fit_a = forms.IntegerField(label=_("Fit A from"))
    fit_b = forms.IntegerField(label=_("Fit B from"))
    fit_c = forms.IntegerField(label=_("Fit C from"))
    engagement_1 = forms.IntegerField(label=_("Engagement 1 from"))
    engagement_2 = forms.IntegerField(label=_("Engagement 2 from"))
    engagement_3 = forms.IntegerField(label=_("Engagement 3 from"))

    def grades(self) -> dict:
        d = self.cleaned_data
        return {"fit": [d["fit_a"], d["fit_b"], d["fit_c"]],
                "engagement": [d["engagement_1"], d["engagement_2"], d["engagement_3"]]}  # fmt: skip


class RuleForm(forms.Form):
    # Initial values on every field, so that an extra row left as it is counts as unchanged (ignored).
    kind = forms.ChoiceField(label=_("Kind"), choices=KIND_CHOICES, initial="fit")
    field = forms.CharField(
        label=_("Fact"), max_length=60, widget=forms.TextInput(attrs={"list": "scoring-fields"})
    )
    op = forms.ChoiceField(label=_("Test"), choices=OP_CHOICES, initial="eq")
    value = forms.CharField(label=_("Value"), required=False, max_length=4000)
    points = forms.IntegerField(label=_("Points"))
    cap = forms.IntegerField(label=_("Cap"), required=False)
    half_life_days = forms.FloatField(label=_("Half-life (days)"), required=False)
    label = forms.CharField(label=_("Label"), max_length=120)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def as_rule(self) -> dict:
        d = self.cleaned_data
        return {"kind": d["kind"], "field": d["field"].strip(), "op": d["op"], "value": parse_value(d["op"], d["value"]),
                "points": d["points"], "cap": d["cap"], "half_life_days": d["half_life_days"], "label": d["label"],
                "active": d["active"]}  # fmt: skip

    @staticmethod
    def initial_of(rule) -> dict:
        return {"kind": rule.kind, "field": rule.field, "op": rule.op, "value": value_text(rule.op, rule.value),
                "points": rule.points, "cap": rule.cap, "half_life_days": rule.half_life_days, "label": rule.label,
                "active": rule.active}  # fmt: skip


class BandForm(forms.Form):
    band = forms.ChoiceField(label=_("Band"), choices=[("", "—"), *BAND_CHOICES], required=False, initial="")
    fit = forms.ChoiceField(label=_("Fit at least"), choices=FIT_CHOICES, initial="D")
    engagement = forms.ChoiceField(label=_("Engagement at least"), choices=ENGAGEMENT_CHOICES, initial="4")
    min_total = forms.IntegerField(label=_("Score at least"), initial=0, min_value=0)


RuleFormSet = formset_factory(RuleForm, extra=2, can_delete=True)
BandFormSet = formset_factory(BandForm, extra=1, can_delete=True)
