"""Director dispatch also stops when the director rejects the handoff or it is re-routed; acceptance
stops when a handoff is re-routed away from its AE (that AE's clock ends, the new AE's starts)."""

from django.db import migrations

STOPS = {
    "director_dispatch": ["dispatched", "handoff_rejected", "handoff_cancelled", "rerouted"],
    "acceptance": ["handoff_accepted", "handoff_rejected", "handoff_cancelled", "rerouted"],
    "speed_to_lead": ["first_touch", "disqualified", "reassigned", "rerouted", "dispatched"],
}


def update(apps, schema_editor):
    Policy = apps.get_model("sla", "Policy")
    for key, stops in STOPS.items():
        Policy.objects.filter(key=key).update(stop_events=stops)


class Migration(migrations.Migration):
    dependencies = [("sla", "0002_builtins")]
    operations = [migrations.RunPython(update, migrations.RunPython.noop)]
