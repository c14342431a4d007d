"""Forms of Settings → SLA. They read what people type (hours and minutes, percentages, spans per weekday,
lists of dates); the services check the rules and name every problem."""

import re
from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from baton.core.calendar import WEEKDAYS
from baton.core.errors import InvalidInput
from baton.sla.hours import spans_format, spans_parse
from baton.sla.models import Calendar, Policy

WEEKDAY_LABELS = {
    "mon": _("Monday"), "tue": _("Tuesday"), "wed": _("Wednesday"), "thu": _("Thursday"), "fri": _("Friday"),
    "sat": _("Saturday"), "sun": _("Sunday"),
}  # fmt: skip
ACTION_LABELS = {
    "notify": _("Notify the person"),
    "escalate_manager": _("Escalate to their manager"),
    "escalate_director": _("Escalate to the director"),
    "reroute": _("Re-route"),
    "strike": _("Strike"),
}
DATETIME_LOCAL = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
MAX_HOURS = 720
COUNTED = [
    ("working_hours", _("working hours of the team's calendar")),
    ("working_days", _("whole working days of the team's calendar (48 hours = two working days)")),
    ("wall_clock", _("wall-clock time")),
]


def _actions():
    from baton.sla.services import ACTIONS

    return [(a, ACTION_LABELS.get(a, a)) for a in ACTIONS]


def policy_counted(policy: Policy) -> str:
    if not policy.business_time:
        return "wall_clock"
    return "working_days" if policy.working_days else "working_hours"


class PolicyForm(forms.Form):
    target_hours = forms.IntegerField(label=_("Hours"), min_value=0, max_value=MAX_HOURS,
                                      widget=forms.NumberInput(attrs={"class": "narrow"}))  # fmt: skip
    target_minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=59,
                                        widget=forms.NumberInput(attrs={"class": "narrow"}))  # fmt: skip
    counted = forms.ChoiceField(label=_("Counted in"), choices=COUNTED, widget=forms.RadioSelect)
    # xgettext:no-python-format
    reminders = forms.CharField(label=_("Reminders (% of the target)"), required=False, max_length=100,
                                widget=forms.TextInput(attrs={"placeholder": "50, 80"}))  # fmt: skip
    breach_actions = forms.MultipleChoiceField(label=_("On a breach"), required=False, choices=_actions,
                                               widget=forms.CheckboxSelectMultiple)  # fmt: skip
    active = forms.BooleanField(
        label=_("Active"), required=False, help_text=_("an inactive policy starts no clocks")
    )

    def __init__(self, *args, policy: Policy, **kwargs):
        kwargs.setdefault("prefix", f"p-{policy.key}")
        kwargs.setdefault("auto_id", "%s")
        if not kwargs.get("data") and not args:
            hours, rest = divmod(policy.target_seconds, 3600)
            kwargs["initial"] = {
                "target_hours": hours, "target_minutes": rest // 60, "counted": policy_counted(policy),
                "reminders": ", ".join(f"{r * 100:g}" for r in policy.reminders),
                "breach_actions": list(policy.breach_actions), "active": policy.active,
            }  # fmt: skip
        super().__init__(*args, **kwargs)
        self.policy = policy

    def clean_reminders(self) -> list[float]:
        out = []
        for part in (p.strip() for p in re.split(r"[,;\s]+", self.cleaned_data["reminders"] or "")):
            if not part:
                continue
            try:
                value = float(part.rstrip("%"))
            except ValueError:
                raise forms.ValidationError(_("“%(value)s” is not a percentage.") % {"value": part})
            if not 0 < value < 100:
                # xgettext:no-python-format
                raise forms.ValidationError(_("A reminder is between 0 and 100% of the target."))
            out.append(round(value / 100, 4))
        return out

    def clean(self):
        data = super().clean()
        if (
            "target_hours" in data
            and "target_minutes" in data
            and not (data["target_hours"] or data["target_minutes"])
        ):
            self.add_error("target_minutes", _("The target must be longer than zero."))
        return data

    def changes(self) -> dict:
        d = self.cleaned_data
        return {"target_seconds": d["target_hours"] * 3600 + d["target_minutes"] * 60,
                "business_time": d["counted"] != "wall_clock", "working_days": d["counted"] == "working_days",
                "reminders": d["reminders"],
                "breach_actions": d["breach_actions"], "active": d["active"]}  # fmt: skip


def _dates_text(values) -> str:
    return "\n".join(values or [])


class CalendarForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    zone = forms.CharField(label=_("Time zone"), max_length=60, initial="Asia/Shanghai",
                           widget=forms.TextInput(attrs={"list": "sla-zones", "autocomplete": "off"}))  # fmt: skip
    holiday_country = forms.CharField(label=_("Public holidays of"), required=False, max_length=8,
                                      help_text=_("a country code such as CN (with China's make-up working days), "
                                                  "HK or SG; empty: none"),
                                      widget=forms.TextInput(attrs={"list": "sla-countries", "autocomplete": "off"}))  # fmt: skip
    holiday_subdivision = forms.CharField(label=_("Subdivision"), required=False, max_length=16,
                                          help_text=_("a province or state, where its holidays differ"))  # fmt: skip
    extra_days_off = forms.CharField(label=_("Extra days off"), required=False, max_length=5000,
                                     help_text=_("the organisation's own, one date (YYYY-MM-DD) a line"),
                                     widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-12-24\n2026-12-31"}))  # fmt: skip
    extra_working_days = forms.CharField(label=_("Extra working days"), required=False, max_length=5000,
                                         help_text=_("worked on Monday's hours, one date (YYYY-MM-DD) a line"),
                                         widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-12-27"}))  # fmt: skip
    is_default = forms.BooleanField(label=_("Default calendar"), required=False,
                                    help_text=_("teams without a calendar of their own work on it"))  # fmt: skip

    def __init__(self, *args, calendar: Calendar | None = None, **kwargs):
        kwargs.setdefault("auto_id", "cal_%s")
        if calendar is not None:  # also when bound: disabled fields (the name) keep their initial value
            kwargs["initial"] = {
                "name": calendar.name, "zone": calendar.zone, "holiday_country": calendar.holiday_country,
                "holiday_subdivision": calendar.holiday_subdivision,
                "extra_days_off": _dates_text(calendar.extra_days_off),
                "extra_working_days": _dates_text(calendar.extra_working_days), "is_default": calendar.is_default,
                **{f"hours_{d}": spans_format(calendar.hours.get(d)) for d in WEEKDAYS},
            }  # fmt: skip
        super().__init__(*args, **kwargs)
        self.calendar = calendar
        for day in WEEKDAYS:
            self.fields[f"hours_{day}"] = forms.CharField(
                label=WEEKDAY_LABELS[day], required=False, max_length=200,
                widget=forms.TextInput(attrs={"placeholder": "09:00-12:00, 13:00-18:00" if day not in ("sat", "sun") else ""}),
            )  # fmt: skip
        if not self.is_bound and calendar is None:
            for day in WEEKDAYS[:5]:
                self.initial.setdefault(f"hours_{day}", "09:00-18:00")
        if calendar is not None:
            self.fields["name"].disabled = True  # a calendar is found by its name
            if calendar.is_default:
                self.fields["is_default"].disabled = True
                self.fields["is_default"].help_text = _("make another calendar the default to change this")

    def weekday_fields(self):
        return [self[f"hours_{d}"] for d in WEEKDAYS]

    def clean(self):
        data = super().clean()
        for day in WEEKDAYS:
            key = f"hours_{day}"
            if key in data:
                try:
                    data[key] = spans_parse(data[key], where=str(WEEKDAY_LABELS[day]))
                except InvalidInput as exc:
                    self.add_error(key, exc.message)
        return data

    def values(self) -> dict:
        d = self.cleaned_data
        return {
            "zone": d["zone"], "hours": {day: d[f"hours_{day}"] for day in WEEKDAYS if d.get(f"hours_{day}")},
            "holiday_country": d["holiday_country"], "holiday_subdivision": d["holiday_subdivision"],
            "extra_days_off": split_dates(d["extra_days_off"]), "extra_working_days": split_dates(d["extra_working_days"]),
            "is_default": d["is_default"],
        }  # fmt: skip


def split_dates(text: str) -> list[str]:
    return [v for v in re.split(r"[\s,;]+", text or "") if v]


class TeamCalendarForm(forms.Form):
    calendar = forms.ChoiceField(label=_("Calendar"), required=False)

    def __init__(self, *args, team, calendars, default, current=None, **kwargs):
        kwargs.setdefault("prefix", f"team-{team.pk}")
        kwargs.setdefault("auto_id", "%s")
        kwargs.setdefault("initial", {"calendar": current.name if current else ""})
        super().__init__(*args, **kwargs)
        label = (
            _("Default (%(name)s)") % {"name": default.name} if default else _("Default (wall-clock time)")
        )
        self.fields["calendar"].choices = [("", label)] + [(c.name, c.name) for c in calendars]
        self.team = team


class PreviewForm(forms.Form):
    calendar = forms.ChoiceField(label=_("Calendar"))
    start = forms.CharField(label=_("From"), required=False, help_text=_("empty: now; in the calendar's time zone"),
                            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))  # fmt: skip
    hours = forms.FloatField(label=_("Business hours"), min_value=0, max_value=MAX_HOURS, initial=48,
                             widget=forms.NumberInput(attrs={"step": "any", "class": "narrow"}))  # fmt: skip

    def __init__(self, *args, calendars, **kwargs):
        kwargs.setdefault("auto_id", "preview_%s")
        super().__init__(*args, **kwargs)
        self.fields["calendar"].choices = [(str(c.pk), c.name) for c in calendars]
        default = next((c for c in calendars if c.is_default), calendars[0] if calendars else None)
        if default is not None:
            self.initial.setdefault("calendar", str(default.pk))

    def clean_start(self) -> datetime | None:
        text = (self.cleaned_data.get("start") or "").strip()
        if not text:
            return None
        for fmt in DATETIME_LOCAL:
            try:
                return datetime.strptime(text, fmt)  # naive: read in the calendar's zone
            except ValueError:
                continue
        raise forms.ValidationError(_("Enter a date and time, e.g. 2026-09-30 17:00."))
