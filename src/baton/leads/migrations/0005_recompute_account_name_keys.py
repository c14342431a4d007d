"""Recompute Account.name_key with the current normalize.company_key (full-width text, nested legal
forms and branches are now folded), so that name matching finds accounts stored before the change."""

from django.db import migrations


def recompute(apps, schema_editor):
    from baton.core.normalize import company_key

    Account = apps.get_model("leads", "Account")
    batch = []
    for account in Account.objects.only("pk", "name", "name_key").iterator(chunk_size=2000):
        key = company_key(account.name) if account.name else ""
        if key != account.name_key:
            account.name_key = key
            batch.append(account)
        if len(batch) >= 2000:
            Account.objects.bulk_update(batch, ["name_key"])
            batch = []
    if batch:
        Account.objects.bulk_update(batch, ["name_key"])


class Migration(migrations.Migration):
    dependencies = [("leads", "0004_merges_and_event_kinds")]
    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
