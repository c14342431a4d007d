"""Forms of the routing settings. They check the shape of the input; the services check the rules (a policy
is validated as a whole by ``routing.services.policy_draft_save``)."""

import json
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from baton.org.models import User
from baton.web.forms import DATETIME_LOCAL, DateTimeLocalInput

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(
            _("Not valid JSON (line %(line)s, column %(col)s): %(msg)s"),
            params={"line": exc.lineno, "col": exc.colno, "msg": exc.msg},
        )
    if not isinstance(value, dict):
        raise forms.ValidationError(_('A policy is a JSON object: {"rules": [...], "fallback": {...}}.'))
    return value


class PolicyForm(forms.Form):
    """A whole policy as JSON: a new draft, or a draft's new definition (``version``)."""

    definition = forms.CharField(
        label=_("Policy (JSON)"),
        widget=forms.Textarea(
            attrs={"rows": 22, "spellcheck": "false", "class": "mono", "autocomplete": "off"}
        ),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def clean_definition(self) -> dict:
        return _json_object(self.cleaned_data["definition"])


class ReplayForm(forms.Form):
    """Replay a stored version, or the definition in the editor (not saved)."""

    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    definition = forms.CharField(required=False, widget=forms.HiddenInput)
    last = forms.IntegerField(label=_("Latest items"), min_value=1, max_value=5000, initial=200)

    def clean_definition(self) -> dict | None:
        text = self.cleaned_data.get("definition") or ""
        return _json_object(text) if text.strip() else None

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("version") is None and data.get("definition") is None:
            raise forms.ValidationError(_("Choose a version to replay, or replay the policy in the editor."))
        return data


class MonthForm(forms.Form):
    month = forms.CharField(label=_("Month"), widget=forms.TextInput(attrs={"type": "month"}))

    def clean_month(self) -> str:
        month = self.cleaned_data["month"].strip()
        if not MONTH.match(month):
            raise forms.ValidationError(_("A month is written YYYY-MM."))
        return month


class EligibleForm(MonthForm):
    users = forms.MultipleChoiceField(
        label=_("Eligible reps"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].choices = [(p.username, p.label) for p in people]


class LeaveForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Who"), queryset=User.objects.none())
    starts_at = forms.DateTimeField(label=_("From"), input_formats=DATETIME_LOCAL, widget=DateTimeLocalInput)
    ends_at = forms.DateTimeField(label=_("Until (not included)"), input_formats=DATETIME_LOCAL,
                                  widget=DateTimeLocalInput)  # fmt: skip
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(pk__in=[p.pk for p in people]).order_by("username")

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("A leave ends after it starts."))
        return data


def _values(text: str) -> list[str]:
    return [v.strip() for v in re.split(r"[,，;\n]", text or "") if v.strip()]


class TerritoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.filter(is_active=True).order_by("username")
    )
    regions = forms.CharField(label=_("Regions"), required=False, help_text=_("separated by commas"))
    cities = forms.CharField(label=_("Cities"), required=False, help_text=_("separated by commas"))
    industries = forms.CharField(label=_("Industries"), required=False, help_text=_("separated by commas"))

    def lists(self) -> dict[str, list[str]]:
        return {key: _values(self.cleaned_data.get(key, "")) for key in ("regions", "cities", "industries")}

    @classmethod
    def initial_of(cls, territory) -> dict:
        return {"name": territory.name, "owner": territory.owner_id, "regions": ", ".join(territory.regions),
                "cities": ", ".join(territory.cities), "industries": ", ".join(territory.industries)}  # fmt: skip
