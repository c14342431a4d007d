"""Reading and cleaning an import file's rows: no database, so that a large file is read in a second
process (the machine's other core) while the importing process matches and writes."""

import logging
import pickle
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from baton.core import normalize
from baton.core.errors import InvalidInput
from baton.imports.mapping import RowValueError, load_mapping
from baton.imports.reader import Row

log = logging.getLogger(__name__)

BATCH_ROWS = 2000
DO_NOT_CONTACT = {"do_not_email": "email", "do_not_call": "call"}


@dataclass
class Item:
    line: int
    clean: dict
    created_at: datetime | None
    opt_outs: list[str] = field(default_factory=list)  # channels the file says not to use
    lead_id: int | None = None  # the new lead this row became
    lead: object = None  # the lead this row was merged into (held, or an earlier row's)
    matched_by: str = ""


def _batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def parse_created_at(text: str, now: datetime) -> datetime:
    """An ISO date or date-time (also with '/' or a space); naive values are in the server's time zone."""
    value = text.strip().replace("/", "-")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"created_at: {text!r} is not a date (expected e.g. 2026-03-01 or 2026-03-01 09:30)")
    from django.utils import timezone

    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    if parsed > now:
        raise ValueError(f"created_at: {text!r} is in the future")
    return parsed


def rows_prepare(
    rows: list[Row], plan, *, require_contact: bool, region: str, now: datetime, scoring: list | None = None
) -> tuple[list[Item], list[tuple[int, str, dict]]]:
    """Rows of the file → cleaned items and rejected rows (line, reason, values). No database: this runs
    in the reading process when the file is large (see prepared_batches). With ``scoring`` (the rules),
    each item also carries its score key, so the importer scores each distinct profile once."""
    from baton.core.scoring import score_key  # Django modules: imported once Django is set up
    from baton.leads.services import capture_clean
    from baton.scoring.services import facts_from_values

    items: list[Item] = []
    rejected: list[tuple[int, str, dict]] = []
    for row in rows:
        if row.problem is not None:
            rejected.append((row.line, row.problem.reason, row.values))
            continue
        try:
            capture = plan.row(row.values)
            reasons = plan.row_problems(capture)
            if reasons:
                raise ValueError("; ".join(reasons))
            external_id = capture.pop("external_id", "")
            extra = capture.pop("extra", {})
            opt_outs = [channel for flag, channel in DO_NOT_CONTACT.items() if capture.pop(flag, False)]
            if "status" in capture:
                extra["status"] = capture.pop("status")
            created_at = capture.pop("created_at", None)
            created = parse_created_at(created_at, now) if created_at else None
            clean = capture_clean(capture, default_region=region, require_contact=require_contact)
        except RowValueError as exc:
            rejected.append((row.line, "; ".join(exc.reasons), row.values))
            continue
        except InvalidInput as exc:
            rejected.append((row.line, exc.message.removeprefix("the lead is not valid: "), row.values))
            continue
        except ValueError as exc:
            rejected.append((row.line, str(exc), row.values))
            continue
        clean["external_id"], clean["extra"] = external_id[:200], extra
        if clean.get("company"):  # account matching's key, computed here: off the writing process
            clean["_company_key"] = normalize.company_key(clean["company"])
        if scoring is not None:
            clean["_score_key"] = score_key(scoring, facts_from_values(clean))
        items.append(Item(row.line, clean, created, opt_outs=opt_outs))
    return items, rejected


# Files with at least this many rows are read and cleaned in a second process while this one matches
# and writes (the machine's other core); below it, starting that process costs more than it saves.
PARALLEL_MIN_ROWS = 20_000
PARALLEL_MIN_XLSX_BYTES = 2_000_000


def prepared_batches(
    table, mapping, region: str, now: datetime, *, parallel: bool, scoring: list | None = None
):
    """Yield (rows read, items, rejected rows) per batch of the file, in file order."""
    if not parallel:
        rules = load_mapping(mapping)
        plan = rules.apply(table.headers)
        for batch in _batches(table.rows(), BATCH_ROWS):
            yield len(batch), *rows_prepare(batch, plan, require_contact=rules.require_contact, region=region,
                                            now=now, scoring=scoring)  # fmt: skip
        return
    # A child process of its own (python -m baton.imports.prepare), not multiprocessing: nothing of this
    # process (threads of a web server, the __main__ module) is inherited or re-imported. Batches come
    # back pickled over its stdout; the pipe's buffer keeps memory flat.
    with tempfile.TemporaryFile() as errors:
        reader = subprocess.Popen([sys.executable, "-m", "baton.imports.prepare"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=errors)  # fmt: skip
        try:
            reader.stdin.write(pickle.dumps((table, mapping, region, now, scoring)))
            reader.stdin.close()
            while True:
                head = reader.stdout.read(8)
                if len(head) < 8:
                    reader.wait(timeout=10)
                    errors.seek(0)
                    tail = errors.read().decode("utf-8", "replace").strip().splitlines()[-1:]
                    raise RuntimeError(
                        f"the process reading the file stopped (exit code {reader.returncode})"
                        + (f": {tail[0]}" if tail else "")
                    )
                kind, payload = pickle.loads(reader.stdout.read(int.from_bytes(head, "big")))  # noqa: S301  # our own child
                if kind == "done":
                    return
                if kind == "error":
                    raise RuntimeError(f"reading the file failed: {payload}")
                rows, items, rejected = payload
                yield rows, [Item(*values) for values in items], rejected
        finally:
            if reader.poll() is None:
                reader.kill()
            reader.wait()
            reader.stdout.close()


def worth_a_process(table, expected_rows: int, size: int) -> bool:
    if table.format == "csv":
        return expected_rows >= PARALLEL_MIN_ROWS
    return size >= PARALLEL_MIN_XLSX_BYTES  # rows unknown before reading; a sheet of ~20,000 rows


def _frame(out, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(data).to_bytes(8, "big"))
    out.write(data)


def _child() -> None:
    """The reading process: arguments pickled on stdin, batches pickled on stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the importing process decides what an interrupt does
    out = sys.stdout.buffer
    try:
        import django

        django.setup()
        table, mapping, region, now, scoring = pickle.loads(sys.stdin.buffer.read())  # noqa: S301  # our parent
        for rows, items, rejected in prepared_batches(
            table, mapping, region, now, parallel=False, scoring=scoring
        ):
            # Tuples, not Item objects: they pickle and unpickle several times faster.
            _frame(
                out,
                (
                    "batch",
                    (rows, [(it.line, it.clean, it.created_at, it.opt_outs) for it in items], rejected),
                ),
            )
        _frame(out, ("done", None))
    except Exception as exc:  # reported to the importing process, which fails the job with it
        _frame(out, ("error", f"{type(exc).__name__}: {exc}"))
    out.flush()


if __name__ == "__main__":
    # Through the module's real name: the pickled items must name baton.imports.prepare.Item, not __main__'s.
    from baton.imports.prepare import _child as child

    child()
