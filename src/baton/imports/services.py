"""Lead import: a CSV or XLSX file and a column mapping in; every row imported, merged or rejected.

Semantics (docs/imports.md):

- Every data row ends as exactly one of: **imported** (a new lead), **merged** (it is a lead Baton
  already has — same external id, e-mail or phone, in the database or earlier in the file — and it
  filled some of that lead's empty fields), **unchanged** (the same, with nothing new), **rejected**
  (written to the rejects file with its line number and the reason).
- All or nothing: the whole file is applied in one transaction. Rejected rows do not stop it; anything
  else that fails (the file, the database, an interrupt) rolls every row back and the job ends
  ``failed`` with the reason. A dry run does all the work and rolls back at the end.
- Re-running the same file creates nothing new: its rows find the leads the first run created.
"""

import csv
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.db import transaction

from baton import clock
from baton.core.errors import InvalidInput
from baton.core.lifecycle import LeadStatus
from baton.core.scoring import score, score_key
from baton.dbutil import rows_insert_values, rows_update, rows_where_in
from baton.imports.mapping import load_mapping
from baton.imports.models import ImportJob
from baton.imports.prepare import Item, prepared_batches, worth_a_process
from baton.imports.reader import open_table
from baton.leads.duplicates import ColleagueMemo, LeadRecord, duplicates_detect
from baton.leads.models import Lead, LeadEvent, Source
from baton.leads.services import AccountMemo
from baton.notifications.services import NotificationRequest, notifications_send
from baton.org.models import OrgSettings
from baton.routing.models import RoutingDecision
from baton.scoring.models import ScoreSnapshot

log = logging.getLogger(__name__)

ASSIGN_CHOICES = ("route", "pool")
# Fields an import may fill on a lead it matched, when the lead has none (never overwritten).
MERGE_FIELDS = ("email", "phone", "company", "title", "industry", "company_size", "city", "region",
                "website_domain", "source_detail", "notes", "external_id")  # fmt: skip
Progress = Callable[[int, int], None]  # (rows done, rows expected)


class _DryRun(Exception):
    """Raised at the end of a dry run to roll its transaction back."""


@dataclass
class Counts:
    rows: int = 0
    imported: int = 0
    merged: int = 0
    unchanged: int = 0
    rejected: int = 0
    assigned: dict[int, int] = field(default_factory=dict)  # SDR id → leads routed to them
    scores: dict[tuple, object] = field(default_factory=dict)  # score_key → Score: each profile scored once
    rules: list = field(default_factory=list)  # the scoring rules
    # What matching learned in earlier batches (the import is one transaction: the only writer of its rows).
    accounts: AccountMemo = field(default_factory=AccountMemo)
    colleagues: ColleagueMemo = field(default_factory=ColleagueMemo)


def upload_stage(
    folder: Path, upload, *, mapping: str = "baton", mapping_toml: str = ""
) -> tuple[Path, str | Path]:
    """Write an uploaded file (Django UploadedFile) into ``folder`` and resolve the mapping: a preset
    name, or the uploaded TOML text (checked first, then written beside the file) — never a path on
    the server. Returns (file path, mapping for import_leads); raises InvalidInput."""
    from baton.imports.mapping import PRESETS, mapping_from_toml

    path = folder / Path(upload.name or "upload.csv").name
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    if mapping_toml.strip():
        mapping_from_toml(mapping_toml, name="uploaded mapping")
        rules = folder / "mapping.toml"
        rules.write_text(mapping_toml, encoding="utf-8")
        return path, rules
    if mapping.strip().lower() in PRESETS:
        return path, mapping
    raise InvalidInput(f"unknown mapping {mapping!r}; use a preset ({', '.join(PRESETS)}) or mapping_toml")


def file_facts(path: Path) -> tuple[str, int, int]:
    """SHA-256, size and newline count of a file, in one pass (the newlines size the progress bar)."""
    h = hashlib.sha256()
    size = lines = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
    return h.hexdigest(), size, lines


class RejectsFile:
    """The rejected rows with their line numbers and reasons, as CSV (UTF-8 with BOM, opens in Excel)."""

    def __init__(self, path: Path, headers: list[str]):
        self.path = path
        self.headers = headers
        self.count = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._file)
        self._writer.writerow(["line", "reason", *headers])

    def add(self, line: int, reason: str, values: dict[str, str]) -> None:
        self.count += 1
        self._writer.writerow([line, reason, *(values.get(h, "") for h in self.headers)])

    def close(self, keep: bool) -> str:
        self._file.close()
        if keep and self.count:
            return str(self.path)
        self.path.unlink(missing_ok=True)
        return ""


def import_leads(
    path: str | Path,
    *,
    mapping: str | Path,
    actor=None,
    dry_run: bool = False,
    assign: str = "route",
    progress: Progress | None = None,
    on_start: Callable[[ImportJob], None] | None = None,
) -> ImportJob:
    """Import a lead file (see the module docstring for the semantics). Returns the finished job.

    Raises InvalidInput (nothing is created, not even a job) when the file, the mapping or the options
    cannot be used at all: unreadable file, unknown mapping, no name column, an unknown option.
    """
    path = Path(path)
    if assign not in ASSIGN_CHOICES:
        raise InvalidInput(f"unknown assignment {assign!r}; expected one of {', '.join(ASSIGN_CHOICES)}")
    table = open_table(path)
    rules = load_mapping(mapping)
    plan = rules.apply(table.headers)
    if "name" in plan.missing or ("contact" in plan.missing and rules.require_contact):
        raise InvalidInput("this file cannot be imported with this mapping: " + "; ".join(plan.warnings))
    digest, size, lines = file_facts(path)
    started = time.perf_counter()
    now = clock.now()
    job = ImportJob.objects.create(
        file_name=path.name, file_digest=digest, file_size=size, mapping_name=rules.name, dry_run=dry_run,
        options={"assign": assign}, warnings=plan.warnings, created_by=actor, started_at=now,
    )  # fmt: skip
    previous = ImportJob.objects.filter(file_digest=digest, status=ImportJob.Status.DONE).exclude(pk=job.pk)
    if first := previous.order_by("started_at").first():
        job.warnings = [
            *job.warnings,
            f"this file was imported before (import {first.pk}); its rows are matched",
        ]
    rejects = RejectsFile(Path(settings.DATA_DIR) / "imports" / f"import-{job.pk}-rejects.csv", table.headers)
    # Rows expected, for the progress bar: newlines for CSV (quoted line breaks overcount a little);
    # unknown for XLSX (the bar grows with the rows).
    expected = max(0, lines - table.header_line) if table.format == "csv" else 0
    progress_path = progress_file(job)
    _write_progress(progress_path, 0, expected)
    if on_start:
        on_start(job)
    counts = Counts()
    status, error = ImportJob.Status.DONE, ""
    try:
        with transaction.atomic():
            region = OrgSettings.get().default_phone_region
            from baton.tags.services import rules_load as tag_rules_load

            tagging = bool(tag_rules_load())  # tag rules run on the imported leads, if there are any
            from baton.scoring.services import rules_load as scoring_rules_load

            counts.rules = scoring_rules_load()  # one set of rules for the whole file, read once
            prepared = prepared_batches(
                table,
                mapping,
                region,
                now,
                parallel=worth_a_process(table, expected, size),
                scoring=counts.rules,
            )
            for rows, items, rejected in prepared:
                counts.rows += rows
                for line, reason, values in rejected:
                    rejects.add(line, reason, values)
                counts.rejected = rejects.count
                if items:
                    _import_batch(items, counts, job, actor, now, assign, tagging)
                _write_progress(progress_path, counts.rows, max(expected, counts.rows))
                if progress:
                    progress(counts.rows, max(expected, counts.rows))
            _notify_assigned(counts, job, now)
            if dry_run:
                raise _DryRun
    except _DryRun:
        status = ImportJob.Status.DRY_RUN
    except Exception as exc:  # anything: the transaction is rolled back, the job records why
        log.exception("import %s failed; rolled back", job.pk)
        status, error = ImportJob.Status.FAILED, f"{type(exc).__name__}: {exc}"
    except KeyboardInterrupt:
        status, error = ImportJob.Status.FAILED, "interrupted"
        _finish(job, counts, status, error, rejects, started)
        raise
    return _finish(job, counts, status, error, rejects, started)


def progress_file(job: ImportJob) -> Path:
    return Path(settings.DATA_DIR) / "imports" / f"import-{job.pk}.progress.json"


def _write_progress(path: Path, done: int, expected: int) -> None:
    """Progress lives in a small file, not the database: the import's own transaction hides its rows
    from everyone else until the end, and on SQLite holds the only write lock."""
    import json
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"rows": done, "expected": expected}))
    os.replace(tmp, path)


def _finish(job: ImportJob, counts: Counts, status: str, error: str, rejects: RejectsFile, started: float):
    job.status, job.error = status, error
    job.rows, job.imported, job.merged = counts.rows, counts.imported, counts.merged
    job.unchanged, job.rejected = counts.unchanged, counts.rejected
    job.rejects_file = rejects.close(keep=status != ImportJob.Status.FAILED)
    progress_file(job).unlink(missing_ok=True)
    job.finished_at = clock.now()
    job.seconds = round(time.perf_counter() - started, 3)
    job.save()
    return job


def _import_batch(items: list[Item], counts: Counts, job: ImportJob, actor, now, assign, tagging) -> None:
    _match(items)
    _apply(items, counts, job, actor, now, assign)
    _record_opt_outs(items, actor, now)
    if tagging:
        from baton.tags.services import tag_rules_apply

        ids = {it.lead_id or (it.lead.pk if isinstance(it.lead, Held) else None) for it in items}
        tag_rules_apply(sorted(i for i in ids if i), at=now)


def _keys(clean: dict) -> list[tuple[str, str]]:
    return [(k, clean[k]) for k in ("external_id", "email", "phone") if clean.get(k)]


class Held(SimpleNamespace):
    """A lead the database already holds, as the importer reads it: its key and its fillable fields."""


HELD_COLUMNS = ("id", "external_id", "email", "phone", *[f for f in MERGE_FIELDS if f not in ("external_id", "email", "phone")], "extra")  # fmt: skip


def _match(items: list[Item]) -> None:
    """Find each row's lead: same external id, e-mail or phone (in that order), in the database or
    earlier in this batch (earlier batches are in the database: same transaction). One query per key
    kind per 500 values, read as plain rows."""
    found: dict[tuple[str, str], Held] = {}
    open_items = items
    for key in ("external_id", "email", "phone"):
        # A later key is only looked up for the rows an earlier one did not find (it would not be used).
        rows = rows_where_in(
            Lead, key, {it.clean[key] for it in open_items if it.clean.get(key)}, HELD_COLUMNS
        )
        # Newest first, so that the oldest lead wins each key.
        for row in sorted(rows, key=lambda r: -r[0]):
            lead = Held(pk=row[0], **dict(zip(HELD_COLUMNS[1:], row[1:], strict=True)))
            found[(key, getattr(lead, key))] = lead
        if rows:
            open_items = [it for it in open_items if (key, it.clean.get(key)) not in found]
    first_in_batch: dict[tuple[str, str], Item] = {}
    for it in items:
        for key in _keys(it.clean):
            if key in found:
                it.lead, it.matched_by = found[key], key[0]
                break
            if key in first_in_batch:
                it.matched_by = key[0]
                it.lead = first_in_batch[key]  # type: ignore[assignment]  # resolved in _apply
                break
        if it.lead is None:
            for key in _keys(it.clean):
                first_in_batch.setdefault(key, it)


def _apply(items: list[Item], counts: Counts, job: ImportJob, actor, now: datetime, assign: str) -> None:
    new: list[Item] = []
    events: list[tuple] = []
    changed: dict[int, tuple[Held, tuple[str, ...]]] = {}  # lead → the fields rows filled
    actor_id = actor.pk if actor else None
    for it in items:
        if it.lead is None:
            new.append(it)
            continue
        if isinstance(it.lead, Item):  # a duplicate of an earlier row of this batch: one lead for both
            filled = _fills(it.lead.clean, it.clean)
            it.lead.clean.update(filled)
        else:
            filled = _fills(vars(it.lead), it.clean)
            for name, value in filled.items():
                setattr(it.lead, name, value)
            if filled:
                before = changed.get(it.lead.pk, (None, ()))[1]
                changed[it.lead.pk] = (it.lead, tuple(sorted({*before, *filled})))
                events.append((it.lead.pk, LeadEvent.Kind.IMPORT_MERGED, now, actor_id,
                               {"import_id": job.pk, "line": it.line, "matched_by": it.matched_by,
                                "filled": list(filled)}))  # fmt: skip
        if filled:
            counts.merged += 1
        else:
            counts.unchanged += 1
    by_fields: dict[tuple[str, ...], list[Held]] = {}  # each UPDATE writes only the columns it fills
    for lead, fields in changed.values():
        by_fields.setdefault(fields, []).append(lead)
    for fields, leads in by_fields.items():
        rows_update(Lead, leads, fields)
    # Filled fields the scoring rules read move those leads' scores (their behaviour counts too).
    from baton.scoring.services import leads_rescore, scoring_reads

    rescore = [pk for pk, (_, fields) in changed.items() if scoring_reads(fields, counts.rules)]
    if rescore:
        leads_rescore(rescore, trigger="import_merged", at=now)
    rows_insert_values(
        LeadEvent, ("lead_id", "kind", "occurred_at", "actor_id", "data"), events, returning=False
    )
    if new:
        _insert_new(new, counts, job, actor, now, assign)
        counts.imported += len(new)


LEAD_COLUMNS = ("name", "email", "phone", "company", "title", "industry", "company_size", "city", "region",
                "website_domain", "source", "source_detail", "direction", "notes", "external_id", "extra",
                "account_id", "created_at", "status_changed_at", "created_by_id", "status",
                "score", "fit_score", "engagement_score", "grade", "owner_id", "routed_at", "owned_since",
                "account_match", "seniority", "score_band", "score_version")  # fmt: skip


def _routing_facts(clean: dict, sc, account) -> dict:
    """What routing rules look at, for an imported row (tags come after routing on an import)."""
    extra = clean.get("extra") or {}
    return {**{k: clean.get(k) for k in ("source", "source_detail", "direction", "region", "city", "industry",
                                         "company_size", "title", "seniority", "company", "website_domain")},
            "score": sc.total, "fit_score": sc.fit, "engagement_score": sc.engagement, "grade": sc.grade,
            "fit_grade": (sc.grade or "")[:1], "score_band": sc.band, "tags": [], "extra": extra,
            "has_account": account is not None, "account_id": account.pk if account else None,
            "product_line": extra.get("product_line", "")}  # fmt: skip


def _insert_new(new: list[Item], counts: Counts, job: ImportJob, actor, now: datetime, assign: str) -> None:
    """New leads, written lean: the rows capture would write (account match, lead with its score and
    owner, score snapshot, routing decision), built as tuples instead of model objects, and one
    'imported' timeline entry that says what capture, scoring and routing decided."""
    from baton.leads.services import accounts_match
    from baton.routing.services import routing_decide
    from baton.scoring.services import facts_from_values

    ats = [it.created_at or now for it in new]
    cleaned = [it.clean for it in new]
    accounts = accounts_match(cleaned, ats, memo=counts.accounts)
    rules = counts.rules
    scores = []
    for c in cleaned:
        facts = None
        key = c.get("_score_key")  # computed by the reading process
        if key is None:
            key = score_key(rules, facts := facts_from_values(c))
        if (result := counts.scores.get(key)) is None:
            result = counts.scores[key] = score(rules, facts or facts_from_values(c))
        scores.append(result)
    inbound = [i for i, c in enumerate(cleaned) if c.get("direction", Lead.Direction.INBOUND) == "inbound"]
    owners: list[int | None] = [None] * len(new)
    decisions = {}
    if assign == "route" and inbound:
        facts = [_routing_facts(cleaned[i], scores[i], accounts[i]) for i in inbound]
        for i, routed in zip(inbound, routing_decide("lead", facts, [now] * len(inbound)), strict=True):
            decisions[i] = decision = routed
            owners[i] = decision.chosen_user_id
            if decision.chosen_user_id is not None:
                counts.assigned[decision.chosen_user_id] = counts.assigned.get(decision.chosen_user_id, 0) + 1
    actor_id = actor.pk if actor else None
    # Routed, or decided to wait in the public pool: either way the sweep leaves them. A lead nobody could
    # take stays unrouted: the sweep tries again.
    unrouted = {i for i, d in decisions.items() if d.chosen_user_id is None and not d.queue}
    lead_rows = []
    for i, (c, a, at, sc, owner) in enumerate(zip(cleaned, accounts, ats, scores, owners, strict=True)):
        routed_at = None if i in unrouted else now
        lead_rows.append((
            c["name"], c.get("email", ""), c.get("phone", ""), c.get("company", ""), c.get("title", ""),
            c.get("industry", ""), c.get("company_size"), c.get("city", ""), c.get("region", ""),
            c.get("website_domain", ""), c.get("source", Source.OTHER), c.get("source_detail", ""),
            c.get("direction", Lead.Direction.INBOUND), c.get("notes", ""), c.get("external_id", ""),
            c.get("extra") or {}, a.pk if a else None, at, at, actor_id, LeadStatus.NEW,
            sc.total, sc.fit, sc.engagement, sc.grade, owner, routed_at, now if owner else None,
            c.get("_account_match", {}), c.get("seniority", ""), sc.band, sc.version,
        ))  # fmt: skip
    lead_ids = rows_insert_values(Lead, LEAD_COLUMNS, lead_rows)
    for it, lead_id in zip(new, lead_ids, strict=True):
        it.lead_id = lead_id
    factors = {
        id(sc): sc.factors_as_dicts() for sc in {id(sc): sc for sc in scores}.values()
    }  # one per profile
    rows_insert_values(
        ScoreSnapshot,
        ("lead_id", "computed_at", "fit", "engagement", "total", "grade", "factors", "trigger", "model_version",
         "band"),
        [(lead_id, now, sc.fit, sc.engagement, sc.total, sc.grade, factors[id(sc)], "imported", sc.version, sc.band)
         for lead_id, sc in zip(lead_ids, scores, strict=True)],
        returning=False,
    )  # fmt: skip
    duplicates_detect(
        [LeadRecord(pk, c["name"], c.get("email", ""), c.get("phone", ""), c.get("company", ""),
                 c.get("website_domain", ""), a.pk if a else None, at, owner)
         for pk, c, a, at, owner in zip(lead_ids, cleaned, accounts, ats, owners, strict=True)],
        at=now, keys_checked=True, memo=counts.colleagues,
    )  # fmt: skip
    order = sorted(decisions)
    decision_ids = rows_insert_values(
        RoutingDecision,
        ("lead_id", "kind", "pool", "chosen_id", "explanation", "decided_at", "policy_version", "rule"),
        [(lead_ids[i], RoutingDecision.Kind.LEAD, decisions[i].pool, decisions[i].chosen_user_id,
          decisions[i].explanation, now, decisions[i].version, decisions[i].rule) for i in order],
    )  # fmt: skip
    decision_of = dict(zip(order, decision_ids, strict=True))
    rows_insert_values(
        LeadEvent,
        ("lead_id", "kind", "occurred_at", "actor_id", "to_status", "data"),
        [(lead_ids[i], LeadEvent.Kind.IMPORTED, ats[i], actor_id, LeadStatus.NEW,
          {"import_id": job.pk, "line": it.line, "file": job.file_name, "source": cleaned[i].get("source", "other"),
           "account": {"id": accounts[i].pk, "name": accounts[i].name} if accounts[i] else None,
           "score": {"total": scores[i].total, "grade": scores[i].grade},
           "routing": ({"decision_id": decision_of[i], "to": decisions[i].explanation.get("chosen"),
                        "why": decisions[i].explanation.get("why", "")} if i in decisions else
                       ("public pool" if assign == "pool" else None))})
         for i, it in enumerate(new)],
        returning=False,
    )  # fmt: skip


def _fills(current: dict, clean: dict) -> dict:
    """What a later row adds to a lead (stored or not yet): its values for fields the lead has empty,
    and extra columns it lacks. Never overwrites."""
    fills = {
        n: clean[n] for n in MERGE_FIELDS if clean.get(n) not in (None, "") and current.get(n) in (None, "")
    }
    if "title" in fills and clean.get("seniority"):  # the seniority goes with the title it came from
        fills["seniority"] = clean["seniority"]
    held = current.get("extra") or {}
    new_keys = {k: v for k, v in (clean.get("extra") or {}).items() if k not in held}
    if new_keys:
        fills["extra"] = {**held, **new_keys}
    return fills


def _record_opt_outs(items: list[Item], actor, now: datetime) -> None:
    """The file's do-not-contact columns become consent records (opted out, source "import")."""
    from baton.consent.services import preferences_record_bulk

    rows = [(it.clean.get("email") or None, it.clean.get("phone") or None, channel, "opted_out", "import")
            for it in items for channel in it.opt_outs
            if it.clean.get("email") or it.clean.get("phone")]  # fmt: skip
    if rows:
        preferences_record_bulk(rows, actor=actor, at=now)


def _notify_assigned(counts: Counts, job: ImportJob, now: datetime) -> None:
    notifications_send(
        [NotificationRequest(user_id, "leads_imported", {"count": n, "file": job.file_name},
                             link="/queue/", at=now)
         for user_id, n in sorted(counts.assigned.items())]
    )  # fmt: skip
