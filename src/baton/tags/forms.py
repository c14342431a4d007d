"""Forms of the tag pages. They check the shape of the input; the services enforce the rules."""

import json
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from baton.tags.models import Tag
from baton.tags.services import NAME_MAX, RULE_NAME_MAX

SEPARATORS = re.compile(r"[,，]")
CONDITION_EXAMPLE = json.dumps(
    {"all": [{"field": "industry", "op": "eq", "value": "manufacturing"},
             {"behaviour": "content_download", "op": "gte", "value": 2},
             {"behaviour": "event_attendance", "within_days": 30, "op": "gte", "value": 1}]},
    indent=2,
)  # fmt: skip


class LeadTagsForm(forms.Form):
    names = forms.CharField(
        label=_("Tag names"),
        max_length=1000,
        help_text=_("Separate several tags with commas, e.g. manufacturing, East China, CTO"),
        widget=forms.TextInput(attrs={"list": "tag-suggestions", "autocomplete": "off",
                                      "placeholder": _("industry, region, company, title…")}),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "leadtags_%s")
        super().__init__(*args, **kwargs)

    def names_list(self) -> list[str]:
        return [n.strip() for n in SEPARATORS.split(self.cleaned_data["names"]) if n.strip()]


class TagForm(forms.Form):
    name = forms.CharField(label=_("Tag name"), max_length=NAME_MAX)
    colour = forms.ChoiceField(label=_("Colour"), choices=Tag.Colour.choices, initial=Tag.Colour.GRAY)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "tag_%s")
        super().__init__(*args, **kwargs)


class TagRuleForm(forms.Form):
    name = forms.CharField(label=_("Rule name"), max_length=RULE_NAME_MAX)
    tag = forms.CharField(
        label=_("Sets the tag"), max_length=NAME_MAX, help_text=_("An automatic tag; a new name creates it.")
    )
    condition = forms.CharField(
        label=_("Condition (JSON)"),
        widget=forms.Textarea(
            attrs={"rows": 9, "spellcheck": "false", "class": "mono", "placeholder": CONDITION_EXAMPLE}
        ),
    )
    position = forms.IntegerField(
        label=_("Position"), required=False, help_text=_("Rules run in this order; empty: after the others.")
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "rule_%s")
        super().__init__(*args, **kwargs)

    def clean_condition(self):
        text = self.cleaned_data["condition"]
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("This is not valid JSON (line %(line)s, column %(col)s): %(msg)s"),
                params={"line": exc.lineno, "col": exc.colno, "msg": exc.msg},
            )
