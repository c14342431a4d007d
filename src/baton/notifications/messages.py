"""Translatable texts of in-app notifications, keyed by verb."""

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
}


def render(verb: str, params: dict) -> str:
    template = MESSAGES.get(verb)
    if template is None:
        return verb
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)
