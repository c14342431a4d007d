"""``baton demo``: the reference organisation and one simulated quarter, then the web UI.

The database is rebuilt from scratch on every run (SQLite in ``./data/demo`` unless BATON_DATA_DIR
says otherwise); on PostgreSQL the demo refuses a database that already holds leads.
"""

import os
import sys
import time
from datetime import datetime
from pathlib import Path

MARKER = ".baton-demo"


def _sqlite_files(name: Path) -> list[Path]:
    return [name, name.with_name(name.name + "-wal"), name.with_name(name.name + "-shm")]


def _prepare_database(console) -> bool:
    """Empty the demo database (SQLite) or check that it is empty (PostgreSQL). False: refused."""
    from django.conf import settings
    from django.db import connection

    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        name = Path(db["NAME"]).resolve()
        marker = name.parent / MARKER
        if name.exists() and not marker.exists():
            console.print(
                f"[red]error:[/] {name} holds a Baton database that the demo did not create.\n"
                "The demo rebuilds its database from scratch on every run; it will not delete this one.\n"
                "Unset BATON_DATA_DIR (the demo then uses ./data/demo) or point it at an empty folder."
            )
            return False
        connection.close()
        for path in _sqlite_files(name):
            path.unlink(missing_ok=True)
        marker.write_text("This database is rebuilt by `baton demo` on every run.\n")
        return True
    from baton.leads.models import Lead
    from baton.org.models import User

    tables = set(connection.introspection.table_names())
    for model, what in ((Lead, "leads"), (User, "users")):
        if model._meta.db_table in tables and model.objects.exists():
            console.print(
                f"[red]error:[/] the database {db.get('NAME')!r} already holds {what}. The demo only fills an "
                "empty database: create a new one for it, or unset DATABASE_URL to use SQLite in ./data/demo."
            )
            return False
    return True


def run(
    seed: int = 1, serve: bool = True, port: int = 8000, leads: int = 20000, end: datetime | None = None
) -> int:
    os.environ.setdefault("BATON_DATA_DIR", str(Path("data") / "demo"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baton.settings")
    import django

    django.setup()

    from django.core.management import call_command
    from django.db import transaction
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from baton.demo.org import DEMO_PASSWORD, build_org
    from baton.demo.simulate import end_of_demo, simulate

    console = Console()
    if leads < 1:
        console.print("[red]error:[/] --leads must be at least 1")
        return 2
    started = time.perf_counter()
    if not _prepare_database(console):
        return 2
    end = end_of_demo(end)
    with console.status("Creating the database…"):
        call_command("migrate", interactive=False, verbosity=0)
    with console.status("Building the organisation…"), transaction.atomic():
        org = build_org(DEMO_PASSWORD)
    console.print(f"[green]✓[/] Organisation: {len(org.users)} people in {len(org.teams)} teams")

    columns = (
        SpinnerColumn(), TextColumn("[bold]Simulating[/] {task.fields[day]}"), BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
        TextColumn("{task.fields[stats]}"),
    )  # fmt: skip
    console.print(
        f"Simulating {leads:,} leads over the 13 weeks to {end:%Y-%m-%d %H:%M} UTC. Every capture, touch, "
        "handoff and deal goes through Baton's own services (about 90 s for 20,000 leads)."
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("simulate", total=1.0, day="", stats="")

        def progress(done: float, at: datetime, stats: dict) -> None:
            text = (f"leads {stats['leads']:,} · MQL {stats['mqls']:,} · SQL {stats['sqls']:,} · "
                    f"opps {stats['opportunities']:,} · won {stats['won']:,}")  # fmt: skip
            bar.update(task, completed=done, day=f"{at:%Y-%m-%d}", stats=text)

        summary = simulate(org, seed=seed, leads=leads, end=end, progress=progress)
    elapsed = time.perf_counter() - started
    _print_summary(console, summary, elapsed, org, port, serve)
    if summary.errors:
        console.print(
            f"[yellow]note:[/] {sum(summary.errors.values())} simulated actions were refused: {summary.errors}"
        )
    if serve:
        from baton.server import serve as serve_http

        console.print(f"Serving on [bold]http://127.0.0.1:{port}/[/] (Ctrl+C to stop)")
        sys.stdout.flush()
        serve_http(host="127.0.0.1", port=port)
    return 0


def _print_summary(console, s, elapsed: float, org, port: int, serve: bool) -> None:
    from rich.table import Table

    from baton.demo.org import DEMO_PASSWORD

    def rate(a: int, b: int) -> str:
        return f"{a / b:.0%}" if b else "–"

    closed = s.won + s.lost
    table = Table(
        title=f"Simulated quarter {s.start[:10]} → {s.end[:16]} UTC (seed {s.seed})", show_header=False
    )
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_column(style="dim")
    table.add_row("Leads", f"{s.leads:,}", f"{s.inbound:,} inbound · {s.outbound:,} outbound")
    table.add_row("Touches", f"{s.touches:,}", f"{s.touches / max(s.leads, 1):.1f} per lead")
    table.add_row("MQLs (handoffs)", f"{s.mqls:,}", f"{rate(s.mqls, s.leads)} of leads")
    table.add_row(
        "SQLs (accepted)", f"{s.sqls:,}", f"{rate(s.sqls, s.mqls)} of MQLs · {s.rejected:,} rejected"
    )
    table.add_row("Handoffs overdue", f"{s.handoffs_overdue:,}", f"{s.pending_handoffs:,} still pending")
    table.add_row("Opportunities", f"{s.opportunities:,}", f"{s.open_opportunities:,} open")
    table.add_row("Won", f"{s.won:,}", f"win rate {rate(s.won, closed)} · {s.lost:,} lost")
    table.add_row("Bookings", f"¥{float(s.bookings):,.0f}", f"open pipeline ¥{float(s.open_pipeline):,.0f}")
    table.add_row("Time taken", f"{elapsed:.0f} s", f"simulation {s.elapsed_seconds:.0f} s")
    table.add_row("Fingerprint", s.digest(), "same seed and --end: same data")
    console.print(table)

    logins = Table(title="Log in (password for everybody: " + DEMO_PASSWORD + ")")
    logins.add_column("user")
    logins.add_column("who")
    for user, role in (
        (org.admin, "ops admin"), (org.sdr_inbound[0], "inbound SDR"), (org.all_aes[0], "AE"),
        (org.sales_directors["East"], "sales director"), (org.vp, "sales VP"),
    ):  # fmt: skip
        logins.add_row(user.username, f"{user.display_name} — {role}")
    console.print(logins)
    console.print(f"URL: [bold]http://127.0.0.1:{port}/[/]")
