"""Translatable labels for values that are stored as codes (statuses, KPI keys, BANT criteria, ...)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

STATUS_LABELS = {
    "new": _("New"),
    "working": _("Working"),
    "nurturing": _("Nurturing"),
    "mql": _("MQL"),
    "sql": _("SQL"),
    "converted": _("Converted"),
    "disqualified": _("Disqualified"),
}

# Badges show lead statuses, handoff statuses and opportunity stage kinds.
BADGE_LABELS = {
    **STATUS_LABELS,
    "pending": _("Pending"),
    "accepted": _("Accepted"),
    "rejected": _("Rejected"),
    "open": _("Open"),
    "won": _("Won"),
    "lost": _("Lost"),
}

CRITERIA = (
    ("budget", _("Budget"), _("Is there a budget for this purchase?")),
    ("authority", _("Authority"), _("Does the contact decide, or know who does?")),
    ("need", _("Need"), _("Is there a real problem we solve?")),
    ("timing", _("Timing"), _("Will they buy within the planning horizon?")),
)
CRITERION_LABELS = {key: label for key, label, _help in CRITERIA}

# KPI catalogue (spec §5): key → (label, format). Formats: count, rate, money, minutes, days, number.
KPIS = {
    "leads": (_("Leads"), "count"),
    "mqls": (_("MQLs"), "count"),
    "sqls": (_("SQLs"), "count"),
    "opps_created": (_("Opportunities"), "count"),
    "won": (_("Won"), "count"),
    "lost": (_("Lost"), "count"),
    "bookings": (_("Bookings"), "money"),
    "asp": (_("Average deal size"), "money"),
    "pipeline_created": (_("New pipeline"), "money"),
    "pipeline_per_opp": (_("Pipeline per opportunity"), "money"),
    "mql_rate": (_("MQL rate"), "rate"),
    "follow_up_rate": (_("Follow-up rate"), "rate"),
    "mql_to_sql_rate": (_("MQL → SQL"), "rate"),
    "acceptance_within_sla_rate": (_("Decided within SLA"), "rate"),
    "sql_to_opp_rate": (_("SQL → opportunity"), "rate"),
    "opps_per_mql": (_("Opportunities per MQL"), "number"),
    "win_rate": (_("Win rate"), "rate"),
    "stage2_reach_rate": (_("Reached stage 2"), "rate"),
    "speed_to_lead_median_min": (_("Speed to lead (median)"), "minutes"),
    "speed_to_lead_p90_min": (_("Speed to lead (p90)"), "minutes"),
    "speed_to_lead_within_5min": (_("Reached within 5 min"), "rate"),
    "touches": (_("Touches"), "count"),
    "calls": (_("Calls"), "count"),
    "emails": (_("E-mails"), "count"),
    "messages": (_("Messages"), "count"),
    "reply_rate": (_("Reply rate"), "rate"),
    "meaningful_conversation_rate": (_("Meaningful conversations"), "rate"),
    "meetings_booked": (_("Meetings booked"), "count"),
    "meetings_held": (_("Meetings held"), "count"),
    "sdr_sourced_opps": (_("SDR-sourced opportunities"), "count"),
    "sdr_sourced_bookings": (_("SDR-sourced bookings"), "money"),
    "sdr_sourced_bookings_share": (_("SDR-sourced share"), "rate"),
    "sales_cycle_median_days": (_("Sales cycle (median)"), "days"),
    "touches_per_win": (_("Touches per win"), "number"),
    "sla_strikes": (_("SLA strikes"), "count"),
    "suspensions": (_("Suspensions"), "count"),
    "acceptance_rate": (_("Acceptance rate"), "rate"),
    "opportunity_rate": (_("Opportunity rate"), "rate"),
    "won_revenue": (_("Won revenue"), "money"),
    "sla_compliance": (_("SLA compliance"), "rate"),
    "sla_compliance_speed_to_lead": (_("SLA: speed to lead"), "rate"),
    "sla_compliance_acceptance": (_("SLA: handoff acceptance"), "rate"),
    "sla_compliance_director_dispatch": (_("SLA: director dispatch"), "rate"),
    "sla_compliance_manager_feedback": (_("SLA: manager feedback"), "rate"),
    "sla_system_delay_share": (_("SLA misses caused by the system"), "rate"),
}

# The tiles at the top of the manager dashboard, in order.
DASHBOARD_TILES = (
    "leads", "mqls", "sqls", "opps_created", "won", "bookings",
    "mql_to_sql_rate", "sql_to_opp_rate", "win_rate", "speed_to_lead_median_min",
    "follow_up_rate", "acceptance_within_sla_rate",
)  # fmt: skip
LEADERBOARD_COLUMNS = (
    "leads", "touches", "mqls", "sqls", "mql_to_sql_rate", "opps_created", "won", "bookings",
    "speed_to_lead_median_min", "sla_compliance",
)  # fmt: skip
# The SLA card of the manager dashboard: compliance overall and per built-in policy, then the counts.
SLA_COMPLIANCE_ROWS = (
    "sla_compliance", "sla_compliance_speed_to_lead", "sla_compliance_acceptance",
    "sla_compliance_director_dispatch", "sla_compliance_manager_feedback",
)  # fmt: skip
SLA_COUNTS = ("sla_strikes", "suspensions", "sla_system_delay_share")
BY_SOURCE_COLUMNS = ("leads", "mqls", "mql_rate", "acceptance_rate", "opportunity_rate", "won", "won_revenue")
FUNNEL = (("leads", _("Leads")), ("mqls", _("MQLs")), ("sqls", _("SQLs")), ("opps_created", _("Opportunities")),
          ("won", _("Won")))  # fmt: skip


def kpi_label(key: str) -> str:
    entry = KPIS.get(key)
    return str(entry[0]) if entry else key.replace("_", " ")


def kpi_format(key: str) -> str:
    entry = KPIS.get(key)
    if entry:
        return entry[1]
    if key.endswith("_rate") or key.endswith("_share"):
        return "rate"
    return "number"


# Routing skip reasons produced by baton.routing (English codes in the stored explanation).
SKIP_REASONS = {
    "inactive": _("inactive"),
    "out of office": _("out of office"),
}

# Labels of the default scoring rules (stored in the database in English): listed here so that
# makemessages collects them and the lead page can show them translated.
SCORING_RULE_LABELS = (
    gettext_noop("Decision maker (title)"),
    gettext_noop("Manager (title)"),
    gettext_noop("Target industry"),
    gettext_noop("Company size ≥ 200"),
    gettext_noop("Company size ≥ 50"),
    gettext_noop("Has a phone number"),
    gettext_noop("High-intent channel"),
    gettext_noop("Event or case-study channel"),
    gettext_noop("Content or ad channel"),
    gettext_noop("Replied"),
    gettext_noop("Meaningful call"),
    gettext_noop("Meeting held"),
    gettext_noop("Reached out to us"),
)
