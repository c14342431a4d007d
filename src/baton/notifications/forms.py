"""Forms of the notification settings. They check the shape of the input; the services enforce the rules."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baton.notifications import messages
from baton.notifications.services import NAME_MAX


def _event_choices() -> list[tuple[str, str]]:
    return [(messages.WILDCARD, _("All events (*)"))] + [(v, v) for v in messages.known_verbs()]


class PreferencesForm(forms.Form):
    email_groups = forms.MultipleChoiceField(
        label=_("Send me an e-mail for"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(key, label) for key, (label, _verbs) in messages.GROUPS.items()],
    )
    language = forms.ChoiceField(
        label=_("Language of my e-mails and of Baton"),
        choices=[(code, name) for code, name in settings.LANGUAGES],
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "pref_%s")
        super().__init__(*args, **kwargs)


class WebhookForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("webhook", "Name"), max_length=NAME_MAX)
    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://crm.example.com/hooks/baton"}),
        help_text=_("Baton POSTs each event here as JSON, signed with the endpoint's secret."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), widget=forms.CheckboxSelectMultiple, choices=_event_choices
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "hook_%s")
        super().__init__(*args, **kwargs)
