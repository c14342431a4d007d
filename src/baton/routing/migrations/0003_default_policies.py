"""Version 1 of each routing policy: what Baton did before policies were configurable (inbound leads to
the inbound SDRs by round robin; handoffs to the AEs of the lead's region by round robin)."""

from django.db import migrations

DEFINITIONS = {
    "lead": {"rules": [], "fallback": {
        "key": "fallback", "name": "Inbound SDRs, round robin", "conditions": [],
        "destination": {"type": "role", "role": "sdr_inbound", "pool": "inbound-sdr"},
        "strategy": "round_robin", "options": {}}},
    "handoff": {"rules": [], "fallback": {
        "key": "fallback", "name": "The AEs of the lead's region, round robin", "conditions": [],
        "destination": {"type": "region_team", "role": "ae"}, "strategy": "round_robin", "options": {}}},
}  # fmt: skip


def create(apps, schema_editor):
    from django.utils import timezone

    RoutingPolicy = apps.get_model("routing", "RoutingPolicy")
    now = timezone.now()
    for kind, definition in DEFINITIONS.items():
        RoutingPolicy.objects.get_or_create(kind=kind, version=1, defaults={
            "state": "active", "definition": definition, "note": "built-in", "created_at": now,
            "activated_at": now})  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("routing", "0002_policies_territories")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
