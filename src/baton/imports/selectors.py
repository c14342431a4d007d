from baton.imports.models import ImportJob
from baton.org.models import Role

IMPORT_ROLES = (Role.OPS_ADMIN, Role.MARKETER, Role.SDR_DIRECTOR)


def can_import(user) -> bool:
    return user.is_admin or user.has_role(*IMPORT_ROLES)


def visible_jobs(user):
    """Admins and sales ops see every import; others the ones they ran."""
    jobs = ImportJob.objects.select_related("created_by")
    return jobs if user.is_admin else jobs.filter(created_by=user)


def job_progress(job: ImportJob) -> dict:
    """Rows done and expected while an import runs (from its progress file); the counts once it ended."""
    import json

    from baton.imports.services import progress_file

    if job.status != ImportJob.Status.RUNNING:
        return {"rows": job.rows, "expected": job.rows, "percent": 100}
    try:
        data = json.loads(progress_file(job).read_text())
    except (OSError, ValueError):
        data = {"rows": 0, "expected": 0}
    expected = max(data.get("expected") or 0, data.get("rows") or 0)
    percent = int(100 * data["rows"] / expected) if expected else 0
    return {"rows": data.get("rows", 0), "expected": expected, "percent": min(percent, 99)}
