"""Today's scoring rules become version 1, the active model; earlier snapshots were computed by it."""

from django.db import migrations
from django.utils import timezone

BANDS = [
    {"band": "handoff_ready", "fit": "A", "engagement": "2", "min_total": 0},
    {"band": "handoff_ready", "fit": "B", "engagement": "1", "min_total": 0},
    {"band": "sdr_queue", "fit": "B", "engagement": "3", "min_total": 0},
    {"band": "sdr_queue", "fit": "C", "engagement": "2", "min_total": 0},
    {"band": "sdr_queue", "fit": "D", "engagement": "1", "min_total": 0},
]


def forwards(apps, schema_editor):
    ScoringModel = apps.get_model("scoring", "ScoringModel")
    ScoringRule = apps.get_model("scoring", "ScoringRule")
    ScoreSnapshot = apps.get_model("scoring", "ScoreSnapshot")
    if ScoringModel.objects.exists():
        return
    model = ScoringModel.objects.create(
        version=1, name="Version 1", status="active", created_at=timezone.now(), activated_at=timezone.now(),
        notes="The scoring rules in use before scoring models were versioned.", bands=BANDS,
        fit_a=60, fit_b=40, fit_c=20, engagement_1=60, engagement_2=30, engagement_3=10,
    )
    ScoringRule.objects.filter(model=None).update(model=model)
    ScoreSnapshot.objects.filter(model_version=None).update(model_version=1)


class Migration(migrations.Migration):
    dependencies = [("scoring", "0003_versioned_models")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
