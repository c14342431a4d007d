"""Import pages: upload a lead file, watch its progress, read the outcome and download the rejects."""

import secrets
import shutil
import threading
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from baton.core.errors import DomainError
from baton.imports import selectors
from baton.imports.mapping import PRESETS
from baton.imports.services import ASSIGN_CHOICES, import_leads, upload_stage
from baton.web.shortcuts import redirect_after_post, role_required

MAX_UPLOAD = 200 * 1024 * 1024


def _start_in_background(path: Path, folder: Path, *, mapping, actor, dry_run: bool, assign: str):
    """Run the import in a thread (the page polls its progress); wait until its job exists or it failed."""
    started = threading.Event()
    outcome: dict = {}

    def run() -> None:
        try:
            import_leads(path, mapping=mapping, actor=actor, dry_run=dry_run, assign=assign,
                         on_start=lambda job: (outcome.__setitem__("job", job), started.set()))  # fmt: skip
        except DomainError as exc:
            outcome["error"] = exc.message
        except Exception as exc:  # reported on the page; the job (if any) says failed
            outcome.setdefault("error", f"{type(exc).__name__}: {exc}")
        finally:
            started.set()
            shutil.rmtree(folder, ignore_errors=True)
            connection.close()

    threading.Thread(target=run, daemon=True, name="baton-import").start()
    started.wait(timeout=120)
    return outcome.get("job"), outcome.get("error", "")


@role_required(selectors.can_import)
def import_page(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        preset = request.POST.get("mapping", "baton")
        toml = request.FILES.get("mapping_file")
        dry_run = request.POST.get("dry_run") == "on"
        assign = request.POST.get("assign", "route")
        if upload is None:
            error = _("Choose a CSV or XLSX file.")
        elif upload.size and upload.size > MAX_UPLOAD:
            error = _("The file is larger than 200 MB; import it with the command line.")
        elif assign not in ASSIGN_CHOICES or (toml is None and preset not in PRESETS):
            error = _("Unknown option.")
        else:
            folder = Path(settings.DATA_DIR) / "imports" / "uploads" / secrets.token_hex(8)
            folder.mkdir(parents=True)
            try:
                text = toml.read().decode("utf-8-sig") if toml is not None else ""
                path, mapping = upload_stage(folder, upload, mapping=preset, mapping_toml=text)
            except (DomainError, UnicodeDecodeError) as exc:
                shutil.rmtree(folder, ignore_errors=True)
                error = getattr(exc, "message", _("The mapping file must be UTF-8 text."))
            else:
                job, error = _start_in_background(path, folder, mapping=mapping, actor=request.user,
                                                  dry_run=dry_run, assign=assign)  # fmt: skip
                if job is not None:
                    return redirect_after_post(request, reverse("web:import_job", args=[job.pk]))
    jobs = selectors.visible_jobs(request.user)[:20]
    return render(request, "imports/import.html",
                  {"active": "leads", "jobs": jobs, "presets": PRESETS, "error": error},
                  status=422 if error else 200)  # fmt: skip


def _job_or_404(request: HttpRequest, job_id: int):
    job = selectors.visible_jobs(request.user).filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


@require_GET
@login_required
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    template = "imports/_job.html" if request.headers.get("HX-Request") else "imports/job.html"
    return render(request, template, {"active": "leads", "job": job, "progress": selectors.job_progress(job)})


@require_GET
@login_required
def import_rejects(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    if not job.rejects_file or not Path(job.rejects_file).is_file():
        raise Http404
    return FileResponse(open(job.rejects_file, "rb"), as_attachment=True,  # noqa: SIM115
                        filename=f"import-{job.pk}-rejects.csv", content_type="text/csv; charset=utf-8")  # fmt: skip
