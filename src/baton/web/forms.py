"""Forms of the web UI. They parse and check the shape of the input; the services enforce the rules."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from baton import clock
from baton.leads.models import Touch

DATETIME_LOCAL = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def local_now_minute() -> str:
    return timezone.localtime(clock.now()).strftime("%Y-%m-%dT%H:%M")


class TouchForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Touch.Channel.choices, initial=Touch.Channel.CALL)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Touch.Direction.choices, initial=Touch.Direction.OUTBOUND
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Touch.Outcome.choices, initial=Touch.Outcome.CONNECTED
    )
    duration_minutes = forms.IntegerField(label=_("Duration (min)"), min_value=0, max_value=24 * 60, required=False,
                                          initial=0)  # fmt: skip
    occurred_at = forms.DateTimeField(
        label=_("When"), input_formats=DATETIME_LOCAL, widget=DateTimeLocalInput()
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=10000,
                            widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("What was said, next step…")}))  # fmt: skip

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "touch_%s")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("occurred_at", local_now_minute())

    def occurred_at_value(self, not_before=None):
        """The moment of the touch, from a minute-precision input.

        The current minute means "now" (the form's default). A time in the minute the lead arrived
        means "as soon as it arrived", not a moment before it existed.
        """
        value = self.cleaned_data["occurred_at"]
        now = clock.now()
        if value == now.replace(second=0, microsecond=0):
            return now
        if not_before is not None and not_before - timedelta(minutes=1) < value < not_before:
            return not_before
        return value


class HandoffForm(forms.Form):
    note = forms.CharField(label=_("Note for the AE"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Context the AE should know (optional)")}))  # fmt: skip

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "handoff_%s")
        super().__init__(*args, **kwargs)


class DisqualifyForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300,
                             widget=forms.TextInput(attrs={"placeholder": _("Why is this lead not a fit?")}))  # fmt: skip

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "dq_%s")
        super().__init__(*args, **kwargs)


class RejectForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("What should the SDR know?")}))  # fmt: skip
    nurture_until = forms.DateField(label=_("Nurture until"), required=False, widget=DateInput())

    def __init__(self, *args, reasons=(), zh=False, **kwargs):
        kwargs.setdefault("auto_id", "reject_%s")
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", _("Choose a reason…"))] + [
            (r.code, r.label_zh if zh and r.label_zh else r.label) for r in reasons
        ]


class OpportunityForm(forms.Form):
    name = forms.CharField(label=_("Opportunity name"), required=False, max_length=200)
    amount = forms.DecimalField(label=_("Amount"), min_value=0, max_digits=14, decimal_places=2)
    expected_close = forms.DateField(label=_("Expected close"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "opp_%s")
        super().__init__(*args, **kwargs)


class MoveForm(forms.Form):
    stage = forms.TypedChoiceField(label=_("Stage"), coerce=int)
    lost_reason = forms.CharField(label=_("Lost reason"), required=False, max_length=200,
                                  widget=forms.TextInput(attrs={"placeholder": _("Why was it lost?")}))  # fmt: skip

    def __init__(self, *args, stages=(), zh=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [(s.pk, s.name_zh if zh and s.name_zh else s.name) for s in stages]


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The end of the period must not be before its start."))
        return data
