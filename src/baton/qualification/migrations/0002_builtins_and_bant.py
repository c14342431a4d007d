"""Seed the built-in frameworks, copy every lead's BANT record into answers, and turn the organisation's
required BANT count (OrgSettings.handoff_bant_min) into the default handoff gate.

Reversible: going back writes one BANT row per lead from the latest answers and the count back into
the org settings (then handoffs 0005 and org 0003, which depend on this one, are unapplied first).
"""

from django.db import migrations

from baton import clock
from baton.qualification.builtins import seed_builtins

BANT_KEYS = ("budget", "authority", "need", "timing")
BATCH = 2000


def seed(apps, schema_editor):
    seed_builtins(apps.get_model("qualification", "Framework"), apps.get_model("qualification", "Criterion"),
                  clock.now())


def copy_bant(apps, schema_editor):
    """One answer per criterion that is not the default (unknown, no note), set by whoever last saved the
    BANT record, at that time. The earlier changes stay on the lead's timeline (qualified events)."""
    Qualification = apps.get_model("handoffs", "Qualification")
    Criterion = apps.get_model("qualification", "Criterion")
    CriterionAnswer = apps.get_model("qualification", "CriterionAnswer")
    criteria = {c.key: c.pk for c in Criterion.objects.filter(framework__key="bant", key__in=BANT_KEYS)}
    batch = []
    for q in Qualification.objects.order_by("pk").iterator(chunk_size=BATCH):
        notes = q.notes if isinstance(q.notes, dict) else {}
        for key in BANT_KEYS:
            state = getattr(q, key) or "unknown"
            note = str(notes.get(key) or "").strip()
            if state == "unknown" and not note:
                continue
            batch.append(CriterionAnswer(lead_id=q.lead_id, criterion_id=criteria[key], state=state, note=note,
                                         set_by_id=q.updated_by_id, set_at=q.updated_at))
        if len(batch) >= BATCH:
            CriterionAnswer.objects.bulk_create(batch)
            batch = []
    CriterionAnswer.objects.bulk_create(batch)


def default_gate(apps, schema_editor):
    OrgSettings = apps.get_model("org", "OrgSettings")
    Framework = apps.get_model("qualification", "Framework")
    GateRule = apps.get_model("qualification", "GateRule")
    settings = OrgSettings.objects.filter(pk=1).first()
    required = settings.handoff_bant_min if settings is not None else 3
    if not GateRule.objects.filter(team=None).exists():
        GateRule.objects.create(team=None, framework=Framework.objects.get(key="bant"), kind="at_least",
                                count=required, position=0, updated_at=clock.now())


def forwards(apps, schema_editor):
    seed(apps, schema_editor)
    copy_bant(apps, schema_editor)
    default_gate(apps, schema_editor)


def backwards(apps, schema_editor):
    Qualification = apps.get_model("handoffs", "Qualification")
    OrgSettings = apps.get_model("org", "OrgSettings")
    Framework = apps.get_model("qualification", "Framework")
    Criterion = apps.get_model("qualification", "Criterion")
    CriterionAnswer = apps.get_model("qualification", "CriterionAnswer")
    GateRule = apps.get_model("qualification", "GateRule")
    latest = {}
    answers = (CriterionAnswer.objects.filter(criterion__framework__key="bant", criterion__key__in=BANT_KEYS)
               .order_by("set_at", "id").values_list("lead_id", "criterion__key", "state", "note", "set_by_id", "set_at"))
    for lead_id, key, state, note, by, at in answers.iterator(chunk_size=BATCH):
        latest.setdefault(lead_id, {})[key] = (state, note, by, at)
    rows = []
    for lead_id, per_key in latest.items():
        last = max(per_key.values(), key=lambda v: v[3])
        rows.append(Qualification(
            lead_id=lead_id, **{k: per_key.get(k, ("unknown",))[0] for k in BANT_KEYS},
            notes={k: v[1] for k, v in per_key.items() if v[1]}, updated_by_id=last[2], updated_at=last[3],
        ))
    Qualification.objects.bulk_create(rows, batch_size=BATCH)
    rule = GateRule.objects.filter(team=None, framework__key="bant", kind="at_least").first()
    if rule is not None:
        OrgSettings.objects.filter(pk=1).update(handoff_bant_min=rule.count)
    CriterionAnswer.objects.all().delete()
    GateRule.objects.all().delete()
    Criterion.objects.all().delete()
    Framework.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("qualification", "0001_initial"),
        ("handoffs", "0004_kpi_indexes"),
        ("org", "0002_pool_rules"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
