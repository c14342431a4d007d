from django.db import migrations

DEFAULT_STAGES = [
    # name, name_zh, probability, kind
    ("Discovery", "需求挖掘", 10, "open"),
    ("Solution", "方案", 30, "open"),
    ("Proposal", "报价", 60, "open"),
    ("Negotiation", "谈判", 80, "open"),
    ("Won", "赢单", 100, "won"),
    ("Lost", "输单", 0, "lost"),
]


def create(apps, schema_editor):
    Stage = apps.get_model("pipeline", "Stage")
    if not Stage.objects.exists():
        Stage.objects.bulk_create(
            Stage(name=n, name_zh=zh, position=i, probability=p, kind=k) for i, (n, zh, p, k) in enumerate(DEFAULT_STAGES)
        )


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
