"""``baton score train``: a predictive model trained on the team's own history, stored and reported."""

import json
import sys
from datetime import datetime

from baton.core.errors import DomainError


def train_json(record) -> dict:
    """The CLI's and the API's view of a training: the record and, when trained, the full report."""
    out = {
        "ok": record.status != record.Status.REFUSED,
        "version": record.version,
        "outcome": record.outcome,
        "status": record.status,
        "active": record.status == record.Status.ACTIVE,
        "as_of": record.as_of.isoformat(),
        "trained_at": record.trained_at.isoformat(),
        "rows": record.rows,
        "positives": record.positives,
        "seconds": record.seconds,
    }
    if record.status == record.Status.REFUSED:
        out.update(error=record.fallback_reason, code=record.fallback_code, fallback="rules")
        return out
    return {**out, **record.report, "fingerprint": record.fingerprint}


def run_train(
    outcome: str, *, as_of: datetime | None = None, activate: bool = False, window_days: int | None = None,
    as_json: bool = False,
) -> int:  # fmt: skip
    """Exit status 0 with the report; 2 with the reason when training is refused (too little history, a
    single outcome, no usable field: rule scoring stays) or the arguments cannot be used."""
    from baton.scoring.services import predictive_model_train

    try:
        record = predictive_model_train(outcome, as_of=as_of, activate=activate, window_days=window_days)
    except DomainError as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": exc.message, "code": exc.code}, ensure_ascii=False))
        else:
            print(f"error: {exc.message}", file=sys.stderr)
        return 2
    body = train_json(record)
    if as_json:
        print(json.dumps(body, ensure_ascii=False))
    elif record.status == record.Status.REFUSED:
        print(f"not trained: {record.fallback_reason}", file=sys.stderr)
        print(
            "Predictive scoring stays off for this outcome; leads are scored by the rules alone.",
            file=sys.stderr,
        )
    else:
        print_train_report(body)
    return 2 if record.status == record.Status.REFUSED else 0


def print_train_report(report: dict) -> None:
    from rich.console import Console

    from baton.scoring.evaluate import print_figures

    console = Console()
    console.print(
        f"[bold]Predictive model version {report['version']}[/bold], outcome {report['outcome']!r}: "
        f"{report['definition']}"
    )
    console.print(
        f"{report['rows']:,} leads decided by {report['as_of'][:16]} UTC, {report['positives']:,} positive "
        f"({report['positive_rate']:.1%}); time-ordered hold-out: the newest {report['holdout']:.0%} by decision "
        f"time: {report['train_rows']:,} to train, {report['test_rows']:,} to test"
    )
    print_figures(console, report)
    if report["active"]:
        console.print(
            f"[green]Active:[/green] version {report['version']} now scores leads ({report['outcome']})."
        )
    else:
        console.print(
            f"Stored as version {report['version']}, not active: activate it with --activate, in Settings → "
            f"Scoring, or POST /api/v1/scoring/predictive/models/{report['version']}/activate."
        )
