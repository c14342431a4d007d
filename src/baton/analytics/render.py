"""`baton kpi --format table`: a KPI report as rich tables."""

from rich.console import Console
from rich.table import Table

from baton.core import kpis as K

SECTIONS: list[tuple[str, list[str]]] = [
    ("Funnel", ["leads", "mqls", "mql_rate", "follow_up_rate", "sqls", "mql_to_sql_rate",
                "acceptance_within_sla_rate", "sql_to_opp_rate"]),
    ("Speed to lead", ["speed_to_lead_median_min", "speed_to_lead_p90_min", "speed_to_lead_within_5min"]),
    ("Activity", ["touches", "calls", "emails", "messages", "meetings_booked", "meetings_held", "reply_rate",
                  "meaningful_conversation_rate"]),
    ("Pipeline", ["opps_created", "opps_per_mql", "pipeline_created", "pipeline_per_opp", "stage2_reach_rate"]),
    ("Bookings", ["won", "bookings", "asp", "win_rate", "sales_cycle_median_days"]),
    ("SDR-sourced", ["sdr_sourced_opps", "sdr_sourced_bookings", "sdr_sourced_bookings_share"]),
    ("SLA", ["sla_compliance", *[f"sla_compliance_{key}" for key in K.SLA_POLICY_KEYS], "sla_strikes",
             "sla_system_delay_share", "suspensions"]),
]  # fmt: skip

REP_COLUMNS = [
    ("leads", "Leads"), ("mqls", "MQLs"), ("sqls", "SQLs"), ("mql_to_sql_rate", "MQL→SQL"),
    ("touches", "Touches"), ("meetings_booked", "Meetings"), ("speed_to_lead_median_min", "STL min"),
    ("opps_created", "Opps"), ("won", "Won"), ("bookings", "Bookings"), ("win_rate", "Win rate"),
    ("sdr_sourced_bookings", "SDR-sourced"), ("sla_compliance", "SLA"), ("sla_strikes", "Strikes"),
]  # fmt: skip

NONE = "—"


def format_value(key: str, value, currency: str = "") -> str:
    """A KPI value for people: 42.5%, 3.25 min, 11.5 d, CNY 12,345.00; — for null."""
    if value is None:
        return NONE
    unit = K.BY_KEY[key].unit if key in K.BY_KEY else K.COUNT
    if unit == K.FRACTION:
        return f"{value * 100:.1f}%"
    if unit == K.MINUTES:
        return f"{value:,.2f} min"
    if unit == K.DAYS:
        return f"{value:,.2f} d"
    if unit == K.AMOUNT:
        return format_money(value, currency)
    if unit == K.RATIO:
        return f"{value:.2f}"
    return f"{value:,}"


def format_money(value: str | None, currency: str = "") -> str:
    if value is None:
        return NONE
    whole, _, cents = str(value).partition(".")
    sign = "-" if whole.startswith("-") else ""
    amount = f"{sign}{int(whole.lstrip('-')):,}.{cents or '00'}"
    return f"{currency} {amount}".strip()


def _rep_cell(key: str, value) -> str:
    """Compact cells for the per-rep table: the unit is in the column header."""
    if value is not None and K.BY_KEY[key].unit == K.MINUTES:
        return f"{value:,.1f}"
    return format_value(key, value, "")


def _pct(value) -> str:
    return NONE if value is None else f"{value * 100:.1f}%"


def print_report(report: dict, *, console: Console | None = None) -> None:
    console = console or Console()
    period, currency = report["period"], report.get("currency", "")
    status = "" if period.get("complete", True) else " (period still running)"
    title = f"KPIs {period['from']} → {period['to']} ({period['timezone']}), as of {period['as_of']}{status}"

    main = Table(title=title, title_justify="left", show_lines=False)
    main.add_column("KPI")
    main.add_column("Value", justify="right")
    main.add_column("Key", style="dim")
    values = report["kpis"]
    for section, keys in SECTIONS:
        main.add_row(f"[bold]{section}[/bold]", "", "")
        for key in keys:
            if key in values:
                main.add_row("  " + K.BY_KEY[key].label, format_value(key, values[key], currency), key)
    console.print(main)

    sources = report.get("by_source") or {}
    if sources:
        table = Table(title="By source", title_justify="left")
        for name in (
            "Source",
            "Leads",
            "MQLs",
            "MQL rate",
            "Accepted",
            "Opp rate",
            "Won",
            "Won revenue",
            "SLA",
        ):
            table.add_column(name, justify="left" if name == "Source" else "right")
        for row in sorted(sources.values(), key=lambda r: (-r["leads"], r["label"])):
            table.add_row(
                row["label"], f"{row['leads']:,}", f"{row['mqls']:,}", _pct(row["mql_rate"]),
                _pct(row["acceptance_rate"]), _pct(row["opportunity_rate"]), f"{row['won']:,}",
                format_money(row["won_revenue"], currency), _pct(row.get("sla_compliance")),
            )  # fmt: skip
        console.print(table)

    reps = report.get("by_rep")
    if reps is not None:
        table = Table(title="By rep", title_justify="left")
        table.add_column("Rep", no_wrap=True)
        table.add_column("Roles", style="dim", max_width=18, overflow="ellipsis", no_wrap=True)
        for _, label in REP_COLUMNS:
            table.add_column(label, justify="right", no_wrap=True)
        for row in reps:
            cells = [_rep_cell(key, row["kpis"].get(key)) for key, _ in REP_COLUMNS]
            table.add_row(row["name"], ", ".join(row["roles"]), *cells)
        if not reps:
            table.add_row("(no reps)", "", *[""] * len(REP_COLUMNS))
        console.print(table)
