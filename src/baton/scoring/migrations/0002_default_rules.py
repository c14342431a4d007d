from django.db import migrations

SENIOR = ["ceo", "cto", "cfo", "coo", "cio", "founder", "owner", "president", "vp", "vice president", "head of",
          "director", "总裁", "总经理", "ceo", "副总", "总监", "创始人", "董事", "负责人"]
MANAGER = ["manager", "lead", "经理", "主管"]

DEFAULT_RULES = [
    # kind, field, op, value, points, cap, label
    ("fit", "title", "contains", SENIOR, 30, None, "Decision maker (title)"),
    ("fit", "title", "contains", MANAGER, 15, None, "Manager (title)"),
    ("fit", "industry", "in", ["software", "internet", "manufacturing", "finance", "healthcare", "education",
                               "软件", "互联网", "制造", "金融", "医疗", "教育"], 15, None, "Target industry"),
    ("fit", "company_size", "gte", 200, 20, None, "Company size ≥ 200"),
    ("fit", "company_size", "gte", 50, 10, None, "Company size ≥ 50"),
    ("fit", "phone", "present", "", 5, None, "Has a phone number"),
    ("engagement", "source", "in", ["trial_signup", "hotline", "chat"], 30, None, "High-intent channel"),
    ("engagement", "source", "in", ["webinar_acceleration", "event_summit", "event_salon", "content_case_study"],
     20, None, "Event or case-study channel"),
    ("engagement", "source", "in", ["webinar_learning", "content_whitepaper", "content_survey", "content_video",
                                    "seo", "sem", "social_ads", "event_cohosted", "event_sponsored"],
     10, None, "Content or ad channel"),
    ("engagement", "behaviour.replied", "count", "", 10, 30, "Replied"),
    ("engagement", "behaviour.connected", "count", "", 10, 30, "Meaningful call"),
    ("engagement", "behaviour.meeting_held", "count", "", 20, 40, "Meeting held"),
    ("engagement", "behaviour.inbound", "count", "", 5, 20, "Reached out to us"),
]


def create(apps, schema_editor):
    ScoringRule = apps.get_model("scoring", "ScoringRule")
    if not ScoringRule.objects.exists():
        ScoringRule.objects.bulk_create(
            ScoringRule(kind=k, field=f, op=o, value=v, points=p, cap=c, label=label, position=i)
            for i, (k, f, o, v, p, c, label) in enumerate(DEFAULT_RULES)
        )


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
