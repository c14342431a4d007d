"""The data migration: every lead's BANT record becomes answers, the org's required count the default gate;
and back again."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from baton import localcache

BEFORE = [("qualification", "0001_initial"), ("handoffs", "0004_kpi_indexes"), ("org", "0002_pool_rules")]
AT = datetime(2026, 10, 5, 8, 30, tzinfo=UTC)


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)  # a fresh one sees the applied state


def applied_apps(executor: MigrationExecutor):
    """The historical models of what is applied now (other apps stay at their latest migrations)."""
    applied = [key for key in executor.loader.applied_migrations if key in executor.loader.graph.nodes]
    return executor.loader.project_state(applied, at_end=True).apps


def latest() -> list:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_bant_records_move_into_answers_and_the_required_count_into_the_default_gate():
    executor = migrate(BEFORE)
    try:
        old = applied_apps(executor)
        User, Lead = old.get_model("org", "User"), old.get_model("leads", "Lead")
        Qualification, OrgSettings = (
            old.get_model("handoffs", "Qualification"),
            old.get_model("org", "OrgSettings"),
        )
        OrgSettings.objects.update_or_create(pk=1, defaults={"handoff_bant_min": 2})
        sam = User.objects.create(username="sam")
        one, two = (
            Lead.objects.create(name=f"Lead {n}", created_at=AT, status_changed_at=AT) for n in (1, 2)
        )
        Qualification.objects.create(lead=one, budget="met", authority="not_met", need="unknown", timing="unknown",
                                     notes={"budget": "500k approved", "need": "  pilot first  "}, updated_by=sam,
                                     updated_at=AT)  # fmt: skip
        Qualification.objects.create(lead=two, updated_at=AT)  # all unknown, no notes: nothing to copy

        migrate(latest())
        localcache.clear()
        from baton.qualification.models import CriterionAnswer, Framework, GateRule

        assert list(Framework.objects.values_list("key", flat=True)) == ["bant", "champ", "meddic", "profile"]
        answers = CriterionAnswer.objects.order_by("criterion__position")
        assert [(a.lead_id, a.criterion.key, a.state, a.note, a.set_by_id, a.set_at) for a in answers] == [
            (one.pk, "budget", "met", "500k approved", sam.pk, AT),
            (one.pk, "authority", "not_met", "", sam.pk, AT),
            (one.pk, "need", "unknown", "pilot first", sam.pk, AT),
        ]
        rule = GateRule.objects.get()
        assert (rule.team_id, rule.framework.key, rule.kind, rule.count) == (None, "bant", "at_least", 2)

        # And back: one BANT row per lead from the latest answers, the count in the org settings.
        old = applied_apps(migrate(BEFORE))
        rows = old.get_model("handoffs", "Qualification").objects.all()
        assert [
            (q.lead_id, q.budget, q.authority, q.need, q.timing, q.notes, q.updated_by_id) for q in rows
        ] == [
            (
                one.pk,
                "met",
                "not_met",
                "unknown",
                "unknown",
                {"budget": "500k approved", "need": "pilot first"},
                sam.pk,
            )
        ]
        assert old.get_model("org", "OrgSettings").objects.get(pk=1).handoff_bant_min == 2
    finally:
        migrate(latest())
        localcache.clear()
