"""``baton import leads FILE``: the importer with a progress bar and a summary in the terminal."""

import json
import sys
from pathlib import Path


def run_import(
    file: str, *, mapping: str, dry_run: bool, assign: str, username: str | None, as_json: bool
) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from baton.core.errors import DomainError
    from baton.imports.services import import_leads
    from baton.org.models import User

    err = Console(stderr=True)
    actor = None
    if username:
        actor = User.objects.filter(username=username).first()
        if actor is None:
            err.print(f"[red]error:[/] no user named {username!r}")
            return 2
    if not Path(file).is_file():
        err.print(f"[red]error:[/] no such file: {file}")
        return 2
    columns = (TextColumn("[bold]Importing[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err, transient=as_json, disable=not err.is_terminal and as_json) as bar:
        task = bar.add_task("import", total=None)

        def progress(done: int, expected: int) -> None:
            bar.update(task, completed=done, total=expected or None)

        try:
            job = import_leads(
                file, mapping=mapping, actor=actor, dry_run=dry_run, assign=assign, progress=progress
            )
        except DomainError as exc:
            err.print(f"[red]error:[/] {exc.message}")
            return 2
    summary = {
        "import_id": job.pk, "status": job.status, "file": job.file_name, "mapping": job.mapping_name,
        "rows": job.rows, "imported": job.imported, "merged": job.merged, "unchanged": job.unchanged,
        "rejected": job.rejected, "rejects_file": job.rejects_file, "warnings": job.warnings,
        "error": job.error, "seconds": job.seconds,
    }  # fmt: skip
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        out = Console()
        verdict = {"done": "[green]done[/]", "dry_run": "[yellow]dry run: nothing was kept[/]",
                   "failed": "[red]failed: nothing was kept[/]"}[job.status]  # fmt: skip
        out.print(
            f"Import {job.pk} of {job.file_name} ({job.mapping_name}): {verdict} in {job.seconds:.1f} s"
        )
        out.print(
            f"  {job.rows:,} rows: {job.imported:,} imported · {job.merged:,} merged into existing leads · "
            f"{job.unchanged:,} unchanged · {job.rejected:,} rejected"
        )
        for warning in job.warnings:
            out.print(f"  [yellow]note:[/] {warning}")
        if job.rejects_file:
            out.print(f"  rejected rows with line numbers and reasons: {job.rejects_file}")
        if job.error:
            out.print(f"  [red]error:[/] {job.error}")
    sys.stdout.flush()
    return 1 if job.status == "failed" else 0
