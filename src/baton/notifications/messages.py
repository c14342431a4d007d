"""Notification verbs, in one place: their translatable texts, the groups people switch e-mail on and off
by, the e-mail subjects, and the labels of the SLA policies the SLA verbs name.

A verb's ``params`` fill its text at display time, in the reader's language. Missing parameters show as
"…" rather than breaking the text. ISO 8601 instants in ``due_at`` (shown as ``due``; it wins over a
preformatted ``due``), ``due``, ``since`` and ``until`` are shown in the reader's time zone.
"""

import contextlib
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "lead_assigned": _("New lead assigned to you: %(lead)s (%(source)s)"),
    "leads_recycled": _("%(count)s of your leads went back to the public pool: no touch for %(days)s days"),
    "targets_inbound_conflict": _(
        "%(sdr)s wanted %(count)s of your inbound accounts as outbound targets "
        "(%(companies)s); they stay yours"
    ),
    "leads_imported": _("%(count)s leads from the import of %(file)s were assigned to you"),
    "handoff_received": _("%(sdr)s handed off %(lead)s to you; accept or reject by %(due)s"),
    "handoff_accepted": _("%(ae)s accepted your handoff of %(lead)s"),
    "handoff_rejected": _("%(ae)s rejected your handoff of %(lead)s: %(reason)s"),
    "handoff_overdue": _("Handoff of %(lead)s to %(ae)s is past its %(hours)s-hour acceptance SLA"),
    "routing_failed": _("No eligible rep for %(lead)s in pool %(pool)s: it waits in the pool"),
    "routing_unrouted": _(
        "%(count)s new lead(s) could not be routed: %(why)s. Baton tries again every 10 minutes; "
        "see the unrouted leads"
    ),
    "rep_removed": _(
        "%(who)s was removed: %(moved)s pending handoff(s) re-routed, %(stuck)s left without a receiver, "
        "%(rerouted)s new lead(s) re-routed, %(pool)s lead(s) back in the public pool"
    ),
    "handoff_dispatch": _("%(sdr)s handed off %(lead)s to your region: dispatch it to a rep by %(due)s"),
    "handoff_dispatched": _("%(director)s dispatched %(lead)s to %(ae)s"),
    # The SLA engine's (sla.services). params: count (clocks in the notice), policy (its name), due_at (an
    # instant: the first due), since (the first breach), until (a penalty's end), why, who.
    "sla_reminder": _("SLA reminder: %(count)s due by %(due)s (%(policy)s)"),
    "sla_breached": _("SLA breached: %(count)s past due since %(since)s (%(policy)s)"),
    "sla_escalated": _(
        "Escalated to you: %(count)s of your team's SLA clocks past due since %(since)s (%(policy)s)"
    ),
    "sla_penalty": _("SLA penalty: you receive no new MQLs until %(until)s (%(why)s)"),
    "sla_penalty_report": _("SLA penalty: %(who)s receives no new MQLs until %(until)s (%(why)s)"),
    "sla_penalty_lifted": _("Your SLA penalty is over: you receive MQLs again"),
}

# Groups of verbs, for the e-mail preferences. A verb in no group is in "other".
GROUPS = {
    "handoff_received": (_("Handoffs sent to me"), ("handoff_received", "handoff_dispatch")),
    "handoff_decisions": (
        _("Decisions on my handoffs"),
        ("handoff_accepted", "handoff_rejected", "handoff_dispatched"),
    ),
    "sla": (
        _("SLA reminders, breaches and penalties"),
        ("sla_reminder", "sla_breached", "handoff_overdue", "sla_penalty", "sla_penalty_lifted"),
    ),
    "escalations": (
        _("Escalations"),
        ("sla_escalated", "sla_penalty_report", "routing_unrouted", "rep_removed"),
    ),
    "leads": (
        _("Lead assignments, recycling and imports"),
        ("lead_assigned", "leads_recycled", "leads_imported", "targets_inbound_conflict", "routing_failed"),
    ),
    "other": (_("Everything else"), ()),
}
EMAIL_DEFAULT_GROUPS = ("handoff_received", "sla", "escalations")
GROUP_OF = {verb: key for key, (_label, verbs) in GROUPS.items() for verb in verbs}

# Verbs with their own e-mail templates (templates/notifications/email/<name>.txt and .html); the others
# use generic.txt / generic.html around the text above.
EMAIL_TEMPLATES = {
    "handoff_received": "handoff_received",
    "sla_reminder": "sla_reminder",
    "sla_breached": "sla_breached",
    "sla_escalated": "escalated",
}
EMAIL_SUBJECTS = {
    "handoff_received": _("Handoff: %(lead)s, accept or reject by %(due)s"),
    "sla_reminder": _("SLA reminder: %(policy)s, due by %(due)s"),
    "sla_breached": _("SLA breached: %(policy)s"),
    "sla_escalated": _("Escalated to you: %(policy)s was missed"),
}

# Built-in SLA policies by key (sla.Policy.key), should a verb name one by its key rather than its name.
POLICY_LABELS = {
    "speed_to_lead": _("Speed to lead"),
    "acceptance": _("Handoff acceptance"),
    "director_dispatch": _("Director dispatch"),
    "manager_feedback": _("Manager feedback"),
}

# The event a webhook receives for "Send test event"; not a notification verb.
TEST_EVENT = "ping"
WILDCARD = "*"


def group_of(verb: str) -> str:
    return GROUP_OF.get(verb, "other")


def known_verbs() -> list[str]:
    return list(MESSAGES)


INSTANTS = ("due", "since", "until")  # ISO 8601 instants in these parameters are shown in the reader's zone


class _Params(dict):
    def __missing__(self, key):
        return "…"


def format_instant(value: datetime) -> str:
    """An instant in the current time zone (the reader's), e.g. "2026-11-25 09:30 CST"."""
    local = timezone.localtime(value)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def display_params(params: dict) -> dict:
    """The parameters as shown: a ``due_at`` instant as ``due`` in the reader's zone, a policy key as its
    label in the reader's language."""
    shown = _Params(params or {})
    if "due_at" in shown:  # the instant wins over a preformatted "due" (shown in the reader's zone)
        shown["due"] = shown["due_at"]
    for key in INSTANTS:
        if isinstance(shown.get(key), str):
            with contextlib.suppress(ValueError):
                shown[key] = format_instant(datetime.fromisoformat(shown[key]))
    policy = shown.get("policy")
    if isinstance(policy, str) and policy in POLICY_LABELS:
        shown["policy"] = str(POLICY_LABELS[policy])
    return shown


def _fill(template, params: dict) -> str:
    try:
        return str(template) % display_params(params)
    except (TypeError, ValueError):
        return str(template)


def render(verb: str, params: dict) -> str:
    template = MESSAGES.get(verb)
    if template is None:
        return verb
    return _fill(template, params)


def subject(verb: str, params: dict) -> str:
    """An e-mail's subject line, in the active language."""
    template = EMAIL_SUBJECTS.get(verb)
    text = _fill(template, params) if template is not None else render(verb, params)
    text = " ".join(text.split())
    return text if len(text) <= 150 else text[:149] + "…"
