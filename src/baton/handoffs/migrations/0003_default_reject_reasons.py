from django.db import migrations

DEFAULT_REASONS = [
    ("no_budget", "No budget", "没有预算"),
    ("not_decision_maker", "Not the decision maker", "不是决策人"),
    ("no_need", "No real need", "没有真实需求"),
    ("bad_timing", "Timing too far out", "时间太远"),
    ("wrong_territory", "Wrong region or territory", "区域不符"),
    ("existing_customer", "Already a customer or in an open deal", "已是客户或已有商机"),
    ("bad_data", "Wrong or unreachable contact data", "联系方式错误或无法联系"),
    ("competitor", "Competitor or partner, not a buyer", "竞争对手或合作伙伴"),
    ("other", "Other (see note)", "其他（见备注）"),
]


def create(apps, schema_editor):
    RejectReason = apps.get_model("handoffs", "RejectReason")
    if not RejectReason.objects.exists():
        RejectReason.objects.bulk_create(
            RejectReason(code=c, label=en, label_zh=zh, position=i) for i, (c, en, zh) in enumerate(DEFAULT_REASONS)
        )


class Migration(migrations.Migration):
    dependencies = [("handoffs", "0002_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
