"""Seeding the built-in frameworks (BANT, CHAMP, MEDDIC, the profile checklist) from ``core.qualification``.

Used by the data migration (with its historical models) and by ``selectors.templates`` when a database
has none of them (a flushed test database): only missing frameworks are created, nothing is changed.
"""

from datetime import datetime

from baton.core.qualification import BUILTIN_FRAMEWORKS


def seed_builtins(framework_model, criterion_model, now: datetime) -> list[str]:
    """Create the built-in frameworks whose key does not exist yet; return their keys."""
    existing = set(framework_model.objects.values_list("key", flat=True))
    created = []
    for position, fw in enumerate(BUILTIN_FRAMEWORKS):
        if fw.key in existing:
            continue
        row = framework_model.objects.create(
            key=fw.key,
            name=fw.name,
            name_zh=fw.name_zh,
            description=fw.description,
            description_zh=fw.description_zh,
            builtin=True,
            position=(position + 1) * 10,
            created_at=now,
            updated_at=now,
        )
        criterion_model.objects.bulk_create(
            criterion_model(
                framework=row,
                key=c.key,
                label=c.label,
                label_zh=c.label_zh,
                description=c.description,
                description_zh=c.description_zh,
                position=(i + 1) * 10,
            )
            for i, c in enumerate(fw.criteria)
        )
        created.append(fw.key)
    return created
