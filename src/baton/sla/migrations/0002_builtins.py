"""The built-in SLA policies (spec §4.5) and a default calendar: China, Monday–Friday 09:00–18:00 with
the public holidays and make-up working days."""

from django.db import migrations

POLICIES = [
    ("speed_to_lead", "Speed to lead: first touch within 5 minutes", "lead_assigned",
     ["first_touch", "disqualified", "reassigned"], 5 * 60, False, [0.6], ["notify"]),
    ("acceptance", "Handoff acceptance within 48 business hours", "handoff_created",
     ["handoff_accepted", "handoff_rejected", "handoff_cancelled"], 48 * 3600, True, [0.5, 0.8],
     ["notify", "escalate_manager", "strike"]),
    ("director_dispatch", "Director dispatches a regional handoff within 4 business hours", "dispatch_requested",
     ["dispatched", "handoff_cancelled"], 4 * 3600, True, [0.5], ["notify", "escalate_manager"]),
    ("manager_feedback", "Manager answers an escalation within 8 business hours", "escalated",
     ["escalation_answered"], 8 * 3600, True, [0.5], ["notify"]),
]  # fmt: skip


def create(apps, schema_editor):
    from django.utils import timezone

    Policy = apps.get_model("sla", "Policy")
    Calendar = apps.get_model("sla", "Calendar")
    for key, name, start, stops, target, business, reminders, actions in POLICIES:
        Policy.objects.get_or_create(key=key, defaults={
            "name": name, "start_event": start, "stop_events": stops, "target_seconds": target,
            "business_time": business, "reminders": reminders, "breach_actions": actions})  # fmt: skip
    if not Calendar.objects.filter(is_default=True).exists():
        Calendar.objects.create(
            name="China office hours", zone="Asia/Shanghai", holiday_country="CN", is_default=True,
            hours={d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}, updated_at=timezone.now(),
        )  # fmt: skip


def remove(apps, schema_editor):
    apps.get_model("sla", "Policy").objects.filter(key__in=[p[0] for p in POLICIES]).delete()
    apps.get_model("sla", "Calendar").objects.filter(name="China office hours").delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
