"""Forms of the qualification card and settings. They parse the input's shape; the services enforce rules."""

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from baton.core import qualification as rules
from baton.qualification.models import CriterionState, GateRule
from baton.qualification.selectors import FrameworkInfo, FrameworkProgress

MAX_GATE_RULES = 4


def zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


def pick(en: str, zh_text: str) -> str:
    return zh_text if zh() and zh_text else en


class AnswersForm(forms.Form):
    """One framework's criteria: a state (met / not met / unknown) and a note each."""

    def __init__(self, *args, framework: FrameworkProgress, **kwargs):
        kwargs.setdefault("auto_id", f"{framework.key}_%s")
        super().__init__(*args, **kwargs)
        self.framework = framework
        for row in framework.rows:
            c = row.criterion
            label = pick(c.label, c.label_zh)
            self.fields[c.key] = forms.ChoiceField(
                label=label, help_text=pick(c.description, c.description_zh), choices=CriterionState.choices,
                widget=forms.RadioSelect, initial=row.state,
            )  # fmt: skip
            self.fields[f"{c.key}_note"] = forms.CharField(
                label=_("Note on %(criterion)s") % {"criterion": label}, required=False, max_length=2000,
                initial=row.note, widget=forms.TextInput(attrs={"placeholder": _("Note")}),
            )  # fmt: skip

    def criteria(self):
        """(state field, note field, row) triples for the template."""
        return [(self[r.criterion.key], self[f"{r.criterion.key}_note"], r) for r in self.framework.rows]

    def answers(self) -> dict[str, tuple[str, str]]:
        return {
            r.criterion.key: (
                self.cleaned_data[r.criterion.key],
                self.cleaned_data[f"{r.criterion.key}_note"],
            )
            for r in self.framework.rows
        }


class FrameworkNewForm(forms.Form):
    key = forms.SlugField(
        label=_("Key"), max_length=40, help_text=_("lower-case letters, digits and _; fixed")
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=120, required=False)
    description = forms.CharField(label=_("Description"), max_length=1000, required=False)
    description_zh = forms.CharField(label=_("Description (Chinese)"), max_length=1000, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "fwnew_%s")
        super().__init__(*args, **kwargs)


class FrameworkEditForm(forms.Form):
    """The framework's texts and active flag, every criterion's texts, active flag and order, and one new
    criterion (optional)."""

    name = forms.CharField(label=_("Name"), max_length=120)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=120, required=False)
    description = forms.CharField(label=_("Description"), max_length=1000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    description_zh = forms.CharField(label=_("Description (Chinese)"), max_length=1000, required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    active = forms.BooleanField(label=_("Active"), required=False)
    new_key = forms.CharField(label=_("Key"), max_length=40, required=False)
    new_label = forms.CharField(label=_("Label"), max_length=120, required=False)
    new_label_zh = forms.CharField(label=_("Label (Chinese)"), max_length=120, required=False)
    new_description = forms.CharField(label=_("Description"), max_length=1000, required=False)
    new_description_zh = forms.CharField(label=_("Description (Chinese)"), max_length=1000, required=False)

    def __init__(self, *args, framework: FrameworkInfo, **kwargs):
        kwargs.setdefault("auto_id", "fw_%s")
        initial = {
            "name": framework.name, "name_zh": framework.name_zh, "description": framework.description,
            "description_zh": framework.description_zh, "active": framework.active,
        }  # fmt: skip
        for c in framework.criteria:
            initial.update({
                f"c{c.id}_label": c.label, f"c{c.id}_label_zh": c.label_zh, f"c{c.id}_description": c.description,
                f"c{c.id}_description_zh": c.description_zh, f"c{c.id}_active": c.active,
                f"c{c.id}_position": c.position,
            })  # fmt: skip
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.framework = framework
        for c in framework.criteria:
            p = f"c{c.id}_"
            self.fields[p + "label"] = forms.CharField(label=_("Label"), max_length=120)
            self.fields[p + "label_zh"] = forms.CharField(
                label=_("Label (Chinese)"), max_length=120, required=False
            )
            self.fields[p + "description"] = forms.CharField(
                label=_("Description"), max_length=1000, required=False
            )
            self.fields[p + "description_zh"] = forms.CharField(
                label=_("Description (Chinese)"), max_length=1000, required=False
            )
            self.fields[p + "active"] = forms.BooleanField(label=_("Active"), required=False)
            self.fields[p + "position"] = forms.IntegerField(label=_("Order"), min_value=0, max_value=100000)

    def criterion_rows(self):
        """Per criterion: its text fields (in the table's column order) and its active box."""
        texts = ("label", "label_zh", "description", "description_zh", "position")
        return [
            {
                "criterion": c,
                "fields": [self[f"c{c.id}_{n}"] for n in texts],
                "active": self[f"c{c.id}_active"],
            }
            for c in self.framework.criteria
        ]

    def clean(self):
        data = super().clean()
        if data.get("new_key") or data.get("new_label"):
            if not data.get("new_key"):
                self.add_error("new_key", _("A new criterion needs a key."))
            if not data.get("new_label"):
                self.add_error("new_label", _("A new criterion needs a label."))
        return data

    def changes(self) -> tuple[dict, list[dict]]:
        data = self.cleaned_data
        fields = {n: data[n] for n in ("name", "name_zh", "description", "description_zh", "active")}
        criteria = []
        for c in self.framework.criteria:
            p = f"c{c.id}_"
            spec = {"key": c.key, **{n: data[p + n] for n in ("label", "label_zh", "description", "description_zh",
                                                                  "active", "position")}}  # fmt: skip
            criteria.append(spec)
        if data.get("new_key"):
            criteria.append({"key": data["new_key"].strip(), "label": data["new_label"],
                             "label_zh": data["new_label_zh"], "description": data["new_description"],
                             "description_zh": data["new_description_zh"]})  # fmt: skip
        return fields, criteria


class GateForm(forms.Form):
    """Up to four rules; an empty row is ignored. Threshold: "3" (at least) or "2/3" (more than)."""

    def __init__(self, *args, frameworks=(), current=(), **kwargs):
        kwargs.setdefault("auto_id", "gate_%s")
        initial = {}
        for i, rule in enumerate(current):
            initial[f"r{i}_framework"] = rule.framework
            initial[f"r{i}_kind"] = rule.kind
            initial[f"r{i}_threshold"] = (
                str(rule.count) if rule.kind == rules.AT_LEAST else f"{rule.numerator}/{rule.denominator}"
            )
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        choices = [("", _("— none —"))] + [(f.key, pick(f.name, f.name_zh)) for f in frameworks]
        for i in range(MAX_GATE_RULES):
            self.fields[f"r{i}_framework"] = forms.ChoiceField(
                label=_("Framework"), choices=choices, required=False
            )
            self.fields[f"r{i}_kind"] = forms.ChoiceField(
                label=_("Rule"), choices=GateRule.Kind.choices, required=False, initial=rules.AT_LEAST
            )
            self.fields[f"r{i}_threshold"] = forms.CharField(
                label=_("Threshold"), max_length=10, required=False,
                widget=forms.TextInput(attrs={"placeholder": _("3 or 2/3"), "size": 6}),
            )  # fmt: skip

    def rows(self):
        return [
            (self[f"r{i}_framework"], self[f"r{i}_kind"], self[f"r{i}_threshold"])
            for i in range(MAX_GATE_RULES)
        ]

    def clean(self):
        data = super().clean()
        parsed = []
        for i in range(MAX_GATE_RULES):
            framework = data.get(f"r{i}_framework")
            if not framework:
                continue
            try:
                rule = rules.parse_threshold(data.get(f"r{i}_kind") or "", data.get(f"r{i}_threshold") or "")
            except ValueError:
                self.add_error(
                    f"r{i}_threshold",
                    _("Type a whole number for 'at least' (3) or a fraction for 'more than' (2/3)."),
                )
                continue
            parsed.append(rules.GateRule(framework, rule.kind, rule.count, rule.numerator, rule.denominator))
        self.parsed = parsed
        return data
