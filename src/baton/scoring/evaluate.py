"""``baton score evaluate``: the predictive-scoring pipeline and its report, on any labelled CSV file.

Reading the file is here; everything else is ``baton.core.predictive``, the same code that scores leads.
"""

import csv
import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from baton.core.errors import InvalidInput

ENCODINGS = ("utf-8-sig", "gb18030")  # UTF-8 with or without a BOM, else what Chinese Excel saves (GBK)
DELIMITERS = (",", ";", "\t", "|")


def read_csv(path: str | Path) -> list[dict[str, str]]:
    """The rows of a CSV file with a header row, as dicts; InvalidInput when it cannot be used."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}", code="no_file")
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a folder, not a CSV file", code="no_file")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", code="no_file")
    if not data.strip():
        raise InvalidInput(f"{path} is empty", code="empty_file")
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise InvalidInput(
            f"{path} is a spreadsheet workbook, not a text file; save it as CSV", code="bad_encoding"
        )
    if b"\0" in data[:65536]:
        raise InvalidInput(
            f"{path} is not a text file (or is UTF-16); save it as CSV UTF-8", code="bad_encoding"
        )
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput(f"{path} is neither UTF-8 nor GBK text; save it as CSV UTF-8", code="bad_encoding")
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    delimiter = max(DELIMITERS, key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        table = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise InvalidInput(f"{path} is not valid CSV (line {reader.line_num}: {exc})", code="bad_csv")
    if not table:
        raise InvalidInput(f"{path} is empty", code="empty_file")
    headers = _headers(table[0])
    if len(table) == 1:
        raise InvalidInput(f"{path} has a header row but no data rows", code="empty_file")
    return [dict(zip(headers, row + [""] * (len(headers) - len(row)), strict=False)) for row in table[1:]]


def _headers(row: list[str]) -> list[str]:
    """Trimmed names; blank ones become "column N", repeated ones get " (2)", " (3)"…"""
    out: list[str] = []
    for i, raw in enumerate(row, start=1):
        name = " ".join(raw.split()) or f"column {i}"
        base, n = name, 1
        while name in out:
            n += 1
            name = f"{base} ({n})"
        out.append(name)
    return out


def _resolve(name: str, columns: list[str]) -> str:
    """A column named on the command line: exact, else ignoring case and spacing; unknown names as given."""
    if name in columns:
        return name
    wanted = " ".join(name.split()).casefold()
    matches = [c for c in columns if c.casefold() == wanted]
    return matches[0] if len(matches) == 1 else name


def parse_time(text: str | None) -> datetime | None:
    """An ISO date or date-time (a naive one is UTC), for a time-ordered hold-out."""
    if text is None or not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{text!r} is not an ISO date or time (e.g. 2026-03-02 or 2026-03-02T09:30)")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def evaluate_file(
    path: str | Path,
    target: str,
    *,
    exclude: list[str] | None = None,
    holdout: float = 0.3,
    seed: int = 1,
    positive: str | None = None,
    time_column: str | None = None,
) -> dict:
    from baton.core import predictive

    rows = read_csv(path)
    columns = list(rows[0])
    target = _resolve(target, columns)
    excluded = [_resolve(name, columns) for name in exclude or []]
    times = None
    if time_column:
        time_column = _resolve(time_column, columns)
        if time_column not in columns:
            raise InvalidInput(f"no column named {time_column!r} for --time", code="unknown_column")
        times = [parse_time(row.get(time_column)) for row in rows]
    report = predictive.evaluate_table(rows, target, exclude=excluded, positive=positive, time_column=time_column,
                                       times=times, holdout=holdout, seed=seed)  # fmt: skip
    return {"file": str(path), **report}


def run_evaluate(
    path: str,
    target: str,
    *,
    exclude: str = "",
    holdout: float = 0.3,
    seed: int = 1,
    positive: str | None = None,
    time_column: str | None = None,
    as_json: bool = False,
) -> int:
    """Exit status 0 with the report, 2 with a message when the file or the history cannot be used."""
    names = [n.strip() for n in exclude.split(",") if n.strip()] if exclude else []
    try:
        report = evaluate_file(path, target, exclude=names, holdout=holdout, seed=seed, positive=positive,
                               time_column=time_column)  # fmt: skip
    except InvalidInput as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": exc.message, "code": exc.code}, ensure_ascii=False))
        else:
            print(f"error: {exc.message}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps({"ok": True, **report}, ensure_ascii=False))
    else:
        print_report(report)
    return 0


def _num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def print_report(report: dict) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    split = (
        f"time-ordered hold-out: the newest {report['holdout']:.0%} by {escape(repr(report['time_column']))}"
        if report["split"] == "time"
        else f"stratified random hold-out of {report['holdout']:.0%} (seed {report['seed']})"
    )
    console.print(
        f"[bold]Predictive scoring[/bold] of {escape(report['file'])}, outcome {escape(repr(report['target']))}"
    )
    console.print(
        f"{report['rows']:,} labelled rows ({report['unlabelled_rows']:,} without an outcome left out), "
        f"{report['positives']:,} positive ({report['positive_rate']:.1%}); {split}: "
        f"{report['train_rows']:,} to train, {report['test_rows']:,} to test"
    )
    print_figures(console, report)


def print_figures(console, report: dict) -> None:
    """The hold-out figures beside the baseline, calibration, top factors, fields used and warnings."""
    from rich.markup import escape
    from rich.table import Table

    metrics = Table(title="Hold-out figures")
    metrics.add_column("metric")
    metrics.add_column("model", justify="right")
    metrics.add_column("naive Bayes baseline", justify="right")
    metrics.add_row("ROC AUC (higher is better)", _num(report["roc_auc"]), _num(report["baseline_roc_auc"]))
    metrics.add_row("PR AUC (higher is better)", _num(report["pr_auc"]), _num(report["baseline_pr_auc"]))
    metrics.add_row("Brier score (lower is better)", _num(report["brier"]), _num(report["baseline_brier"]))
    console.print(metrics)
    console.print(f"Brier score of always predicting the base rate: {_num(report['base_rate_brier'])}")

    calibration = Table(title="Calibration (hold-out)")
    for name in ("predicted", "leads", "mean predicted", "observed rate"):
        calibration.add_column(name, justify="right")
    for band in report["calibration"]:
        calibration.add_row(f"{band['lower']:.1f}–{band['upper']:.1f}", f"{band['count']:,}",
                            _num(band["mean_predicted"]), _num(band["observed_rate"]))  # fmt: skip
    console.print(calibration)

    factors = Table(title="Top factors (drop in hold-out ROC AUC when the field is shuffled)")
    factors.add_column("field")
    factors.add_column("importance", justify="right")
    for item in report["top_factors"]:
        factors.add_row(escape(item["feature"]), _num(item["importance"], 4))
    console.print(factors)

    kinds = [f["kind"] for f in report["features"]]
    console.print(
        f"{len(kinds)} fields used ({kinds.count('numeric')} numeric, {kinds.count('categorical')} categorical)"
    )
    if report["dropped"]:
        dropped = Table(title="Fields not used")
        dropped.add_column("field")
        dropped.add_column("reason")
        for item in report["dropped"]:
            dropped.add_row(escape(item["name"]), escape(item["reason"]))
        console.print(dropped)
    for warning in report["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
