from datetime import date

import pytest
from analytics.kpi_world import build_world
from rich.console import Console

from baton.analytics.render import format_money, format_value, print_report
from baton.analytics.selectors import kpi_report
from baton.core import kpis as K

pytestmark = pytest.mark.django_db


def render(report) -> str:
    console = Console(record=True, width=200, color_system=None)
    print_report(report, console=console)
    return console.export_text()


def test_the_table_shows_every_kpi_by_source_and_by_rep():
    world = build_world(9, tz="Asia/Shanghai", n_leads=80)
    report = kpi_report(world.start, world.end, as_of=world.as_of, by_rep=True)
    text = render(report)
    for d in K.CATALOGUE:
        assert d.label in text and d.key in text
    assert "By source" in text and "By rep" in text and "Sdr1" in text
    assert "Asia/Shanghai" in text
    assert format_money(report["kpis"]["pipeline_created"], report["currency"]) in text


def test_an_empty_report_renders_nulls_as_dashes():
    text = render(kpi_report(date(2024, 1, 1), date(2024, 1, 2), by_rep=True, rep_ids=set()))
    assert "—" in text and "(no reps)" in text and "By source" not in text


def test_value_formats():
    assert format_value("mql_rate", 0.4251) == "42.5%"
    assert format_value("mql_rate", None) == "—"
    assert format_value("leads", 12345) == "12,345"
    assert format_value("speed_to_lead_median_min", 3.25) == "3.25 min"
    assert format_value("sales_cycle_median_days", 11.5) == "11.50 d"
    assert format_value("bookings", "1234567.80", "CNY") == "CNY 1,234,567.80"
    assert format_value("opps_per_mql", 0.1379) == "0.14"
    assert format_money("-5.00") == "-5.00"
