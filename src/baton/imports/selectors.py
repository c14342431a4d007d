from baton.imports.models import ImportJob
from baton.org.models import Role

IMPORT_ROLES = (Role.OPS_ADMIN, Role.MARKETER, Role.SDR_DIRECTOR)


def can_import(user) -> bool:
    return user.is_admin or user.has_role(*IMPORT_ROLES)


def visible_jobs(user):
    """Admins and sales ops see every import; others the ones they ran."""
    jobs = ImportJob.objects.select_related("created_by")
    return jobs if user.is_admin else jobs.filter(created_by=user)
