"""POST a lead file, read the job and its rejects. The import runs in the request (all or nothing)."""

import tempfile
from datetime import datetime
from pathlib import Path

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from baton.core.errors import InvalidInput, NotAllowed, NotFound
from baton.imports import selectors
from baton.imports.models import ImportJob
from baton.imports.services import ASSIGN_CHOICES, import_leads, upload_stage

router = Router(tags=["imports"])
MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # larger files: use `baton import leads` on the server


class ImportJobOut(Schema):
    id: int
    status: str
    file_name: str
    mapping_name: str
    dry_run: bool
    rows: int
    imported: int
    merged: int
    unchanged: int
    rejected: int
    warnings: list[str]
    error: str
    has_rejects: bool
    started_at: datetime
    finished_at: datetime | None
    seconds: float | None

    @staticmethod
    def resolve_has_rejects(job: ImportJob) -> bool:
        return bool(job.rejects_file)


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    job = selectors.visible_jobs(request.auth).filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"no import {job_id}")
    return job


@router.post("/leads", response={201: ImportJobOut}, summary="Import leads from a CSV or XLSX file")
def import_leads_api(
    request: HttpRequest,
    file: File[UploadedFile],
    mapping: Form[str] = "baton",
    mapping_toml: Form[str] = "",
    dry_run: Form[bool] = False,
    assign: Form[str] = "route",
):
    """`mapping` is a preset (baton, salesforce, hubspot, chinese); or send a TOML mapping file's text as
    `mapping_toml`. Every row is imported, merged, unchanged or rejected (GET …/rejects lists them)."""
    user = request.auth
    if not selectors.can_import(user):
        raise NotAllowed("importing leads needs the ops admin, marketer or SDR director role")
    if assign not in ASSIGN_CHOICES:
        raise InvalidInput(f"unknown assign {assign!r}; expected one of {', '.join(ASSIGN_CHOICES)}")
    if file.size and file.size > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_UPLOAD_BYTES // 2**20} MB; import it with the CLI")
    with tempfile.TemporaryDirectory(prefix="baton-import-") as tmp:
        target, rules = upload_stage(Path(tmp), file, mapping=mapping, mapping_toml=mapping_toml)
        job = import_leads(target, mapping=rules, actor=user, dry_run=dry_run, assign=assign)
    return Status(201, job)


@router.get("", response=list[ImportJobOut], summary="Recent imports")
def list_imports(request: HttpRequest, limit: int = 50):
    return list(selectors.visible_jobs(request.auth)[: max(1, min(limit, 500))])


@router.get("/{job_id}", response=ImportJobOut, summary="One import")
def get_import(request: HttpRequest, job_id: int):
    return _job(request, job_id)


@router.get("/{job_id}/rejects", summary="The rejected rows (CSV: line, reason, the row's values)")
def get_rejects(request: HttpRequest, job_id: int):
    job = _job(request, job_id)
    if not job.rejects_file or not Path(job.rejects_file).is_file():
        raise NotFound(f"import {job_id} has no rejected rows")
    return FileResponse(
        open(job.rejects_file, "rb"),  # noqa: SIM115 (FileResponse closes it)
        as_attachment=True,
        filename=f"import-{job.pk}-rejects.csv",
        content_type="text/csv; charset=utf-8",
    )
