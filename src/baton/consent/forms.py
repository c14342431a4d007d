"""Forms of the consent pages. They check the shape of the input; the services enforce the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from baton.consent.models import Channel, ConsentSettings
from baton.consent.services import NOTE_MAX, REASON_MAX


class SuppressionForm(forms.Form):
    domain = forms.CharField(label=_("Domain"), max_length=253,
                             widget=forms.TextInput(attrs={"placeholder": "example.com", "autocomplete": "off"}))  # fmt: skip
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX,
                             widget=forms.TextInput(attrs={"placeholder": _("Why nobody there may be contacted")}))  # fmt: skip

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "sup_%s")
        super().__init__(*args, **kwargs)


class ConsentSettingsForm(forms.ModelForm):
    class Meta:
        model = ConsentSettings
        fields = ["opt_in_required_email", "opt_in_required_call", "opt_in_required_message"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "cs_%s")
        super().__init__(*args, **kwargs)

    def required_channels(self) -> list[str]:
        return [f.removeprefix("opt_in_required_") for f in self.Meta.fields if self.cleaned_data.get(f)]


class OptOutForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.ALL)
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX,
                           widget=forms.TextInput(attrs={"placeholder": _("How and when they asked (optional)")}))  # fmt: skip

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "optout_%s")
        super().__init__(*args, **kwargs)
