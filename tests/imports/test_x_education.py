"""The real X Education lead export, read and mapped with examples/mappings/x-education.toml.

The data lives outside the repository: BATON_SAMPLE_DATA names its folder, else ``../shared/data`` beside
the checkout. It is not part of the project (only the mapping is), so without it the test skips, in CI too.
"""

import os
from collections import Counter
from pathlib import Path

import pytest

from baton.imports.mapping import SOURCE_CODES, load_mapping
from baton.imports.reader import open_table

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("BATON_SAMPLE_DATA") or ROOT.parent / "shared" / "data")
LEADS = DATA / "x-education" / "Leads.csv"
MAPPING = ROOT / "examples" / "mappings" / "x-education.toml"


@pytest.fixture(scope="module")
def leads_csv() -> Path:
    if not LEADS.is_file():
        pytest.skip(f"the X Education export is not at {LEADS} (set BATON_SAMPLE_DATA to its data folder)")
    return LEADS


def test_every_row_is_read_and_mapped(leads_csv):
    table = open_table(leads_csv)
    assert (table.format, table.encoding, table.delimiter) == ("csv", "utf-8", ",")
    assert len(table.headers) == 37

    plan = load_mapping(MAPPING).apply(table.headers)
    assert plan.missing == () and plan.absent == () and plan.warnings == []
    assert plan.ignored == ()
    assert set(plan.mapped) | set(plan.unmapped) == set(table.headers)

    rows = list(table.rows())
    with leads_csv.open(newline="") as f:
        physical_lines = sum(1 for _ in f)
    # Every line after the header is one lead: no row is dropped, merged or in trouble.
    assert [row.line for row in rows] == list(range(2, physical_lines + 1))
    assert len(rows) == 9240
    assert all(row.ok for row in rows)

    captures = [plan.row(row.values) for row in rows]
    assert [plan.row_problems(c) for c in captures] == [[]] * len(rows)

    by_number = {row.values["Lead Number"]: row.values for row in rows}
    assert len(by_number) == len(rows)
    for capture in captures:
        number = capture["extra"]["lead_number"]
        assert capture["name"] == f"Lead {number}"
        assert capture["external_id"] == by_number[number]["Prospect ID"]
        assert capture["source"] in SOURCE_CODES
        assert isinstance(capture["do_not_email"], bool) and isinstance(capture["do_not_call"], bool)
        assert capture["extra"]["Converted"] in ("0", "1")
        kept = [v for k, v in capture.items() if k != "extra"] + list(capture["extra"].values())
        assert "Select" not in kept and "unknown" not in kept
    assert len({c["external_id"] for c in captures}) == len(rows)

    assert Counter(c["do_not_email"] for c in captures)[True] == 734
    assert Counter(c["do_not_call"] for c in captures)[True] == 2
    assert sum(c["extra"]["Converted"] == "1" for c in captures) == 3561
    sources = Counter(c["source"] for c in captures)
    assert sources["chat"] == 1757  # Olark Chat and Live Chat
    assert sources["seo"] == 1154
    assert sum(sources.values()) == len(rows)
    # The raw channel is kept: in source_detail when Lead Source had it, else via Lead Origin.
    assert all(c.get("source_detail") for c in captures if c["source"] == "other")


@pytest.mark.django_db
def test_the_whole_export_imports_and_a_second_run_changes_nothing(leads_csv):
    from baton.imports.services import import_leads
    from baton.leads.models import Lead

    first = import_leads(leads_csv, mapping=MAPPING, assign="pool")
    assert (first.status, first.rows, first.imported, first.rejected) == ("done", 9240, 9240, 0)
    again = import_leads(leads_csv, mapping=MAPPING, assign="pool")
    assert (again.imported, again.merged, again.unchanged) == (0, 0, 9240)
    assert Lead.objects.count() == 9240
    assert Lead.objects.filter(extra__Converted="1").count() == 3561
