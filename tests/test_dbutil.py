"""rows_insert and rows_update write exactly what the ORM would, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest

from baton.dbutil import newest_per_keys, rows_insert, rows_update, rows_where_in, rows_where_in_keys
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


@pytest.mark.django_db
def test_rows_update_of_one_row_writes_times_json_and_nulls():
    lead = rows_insert(Lead, [_lead(0)])[0]
    lead.routed_at, lead.extra, lead.company_size, lead.owner_id = (
        T0 + timedelta(hours=1),
        {"k": "值"},
        None,
        None,
    )
    rows_update(Lead, [lead], ["routed_at", "extra", "company_size", "owner"])
    row = Lead.objects.get(pk=lead.pk)
    assert (row.routed_at, row.extra, row.company_size, row.owner_id) == (
        T0 + timedelta(hours=1),
        {"k": "值"},
        None,
        None,
    )


@pytest.mark.django_db
def test_several_keys_read_at_once_as_one_key_at_a_time():
    leads = rows_insert(Lead, [_lead(i) for i in range(30)])
    for i, lead in enumerate(leads):
        lead.phone = f"+86138{i % 7:08d}"
    rows_update(Lead, leads, ["phone"])
    emails = {f"l{i}@x.com" for i in range(0, 30, 3)} | {"nobody@x.com"}
    phones = {f"+86138{i:08d}" for i in (1, 2)}
    columns = ("pk", "email", "phone", "created_at")
    both = rows_where_in_keys(Lead, {"email": emails, "phone": phones}, columns)
    assert sorted(both["email"]) == sorted(rows_where_in(Lead, "email", emails, columns))
    assert sorted(both["phone"]) == sorted(rows_where_in(Lead, "phone", phones, columns))
    assert len(both["email"]) == 10 and len(both["phone"]) == 9
    assert rows_where_in_keys(Lead, {"email": [], "phone": []}, columns) == {"email": [], "phone": []}
    newest = newest_per_keys(
        Lead, {"email": ["l3@x.com"], "phone": [f"+86138{1:08d}"]}, ("id", "name"), per_key=2
    )
    by_phone = [lead for lead in leads if lead.phone == f"+86138{1:08d}"]
    assert newest["email"] == [(leads[3].pk, "L3", "l3@x.com")]
    assert newest["phone"] == [
        (lead.pk, lead.name, lead.phone) for lead in sorted(by_phone, key=lambda x: -x.pk)[:2]
    ]
