"""rows_insert and rows_update write exactly what the ORM would, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest

from baton.dbutil import rows_insert, rows_update
from baton.leads.models import Lead, LeadEvent

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _lead(i: int) -> Lead:
    return Lead(name=f"L{i}", email=f"l{i}@x.com", company_size=None if i % 2 else i, created_at=T0,
                status_changed_at=T0, notes="引号 ' \" ; -- " * (i % 3))  # fmt: skip


@pytest.mark.django_db
def test_rows_insert_sets_keys_and_stores_every_field():
    leads = rows_insert(Lead, [_lead(i) for i in range(1203)])  # three statements
    assert len({lead.pk for lead in leads}) == 1203
    stored = Lead.objects.in_bulk([lead.pk for lead in leads])
    for lead in leads:
        row = stored[lead.pk]
        assert (row.name, row.email, row.company_size, row.notes, row.created_at) == (
            lead.name, lead.email, lead.company_size, lead.notes, lead.created_at)  # fmt: skip
    events = rows_insert(LeadEvent, [LeadEvent(lead=leads[0], kind="captured", occurred_at=T0,
                                               data={"k": [1, "二"], "n": None})])  # fmt: skip
    assert LeadEvent.objects.get(pk=events[0].pk).data == {"k": [1, "二"], "n": None}
    assert rows_insert(Lead, []) == []


@pytest.mark.django_db
def test_rows_update_writes_back_only_the_named_fields():
    leads = rows_insert(Lead, [_lead(i) for i in range(700)])
    for i, lead in enumerate(leads):
        lead.score, lead.grade = i, "A1" if i % 2 else ""
        lead.routed_at = T0 + timedelta(minutes=i) if i % 3 else None
        lead.name = "not written"
    rows_update(Lead, leads, ["score", "grade", "routed_at"])
    stored = Lead.objects.in_bulk([lead.pk for lead in leads])
    for i, lead in enumerate(leads):
        row = stored[lead.pk]
        assert (row.score, row.grade, row.routed_at) == (i, lead.grade, lead.routed_at)
        assert row.name == f"L{i}"
    rows_update(Lead, leads[:1], ["score"])  # the single-row path
    assert Lead.objects.get(pk=leads[0].pk).score == 0
