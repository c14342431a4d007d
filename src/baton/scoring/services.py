"""Writes on scoring: lead scores (on events, by the sweep, and in bulk after a model change) and the
versioned scoring models (docs/scoring.md, ADR 0008).

Every path scores with ``core.scoring.BulkScorer`` over the same readers, so a lead gets the same
score whichever path computed it:

- ``leads_score`` — the leads an event touched (capture, touch, behaviour, merge, enrichment): a
  snapshot each, the lead's columns and a timeline entry where the score changed;
- ``scores_refresh`` — the worker's sweep, as of its instant: leads whose decayed score is due and leads
  scored by another model version (a few indexed look-ups, then the same bulk code);
- ``scores_recompute`` — every lead, after a model change (``baton score recompute``): leads streamed in
  chunks of 50,000 by primary key, their behaviour read per chunk with one statement per table, each
  distinct profile scored once, behaviour as numpy arrays, writes as ``UPDATE … FROM (VALUES …)`` and
  snapshots only for leads whose score changed.
"""

import gc
import logging
import math
import time
from collections import Counter, namedtuple
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import translation

from baton import clock, localcache
from baton.core import scoring as core
from baton.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from baton.dbutil import chunks, rows_insert, rows_insert_values, rows_update
from baton.leads.models import Lead, LeadEvent, Touch
from baton.scoring.models import PredictiveModel, ScoreSnapshot, ScoringModel, ScoringRule

log = logging.getLogger(__name__)

CHUNK = 50_000  # leads per recompute step
SYNC_RECOMPUTE_MAX = 20_000  # activation rescores at once up to this many leads; beyond, the sweep or the CLI
SWEEP_LIMIT = 20_000  # leads one sweep rescores at most
LEAD_SCORE_FIELDS = [
    "score",
    "fit_score",
    "engagement_score",
    "grade",
    "score_band",
    "score_version",
    "score_due_at",
]
SNAPSHOT_COLUMNS = ("lead_id", "computed_at", "fit", "engagement", "total", "grade", "factors", "trigger",
                    "model_version", "band")  # fmt: skip

# --- Loading the active model ----------------------------------------------------------------------


def model_ruleset(model: ScoringModel, rules: Iterable[ScoringRule] | None = None) -> core.RuleSet:
    rows = rules if rules is not None else model.rules.filter(active=True)
    return core.RuleSet(
        [r.as_rule() for r in rows if r.active],
        version=model.version,
        name=model.name,
        grades=model.grades,
        bands=model.band_rules(),
    )


def rules_load() -> core.RuleSet:
    """The active model's rules, version and thresholds (cached a few seconds per process)."""

    def load() -> core.RuleSet:
        model = ScoringModel.objects.filter(status=ScoringModel.Status.ACTIVE).first()
        return model_ruleset(model) if model is not None else core.RuleSet()

    return localcache.get("scoring-rules", load)


def _scorer(rules: Sequence[core.Rule]) -> core.BulkScorer:
    """The compiled scorer of a rule set (kept on a ``RuleSet``: loaded once, compiled once)."""
    scorer = getattr(rules, "_bulk_scorer", None)
    if scorer is None:
        scorer = core.BulkScorer(rules)
        if isinstance(rules, core.RuleSet):
            rules._bulk_scorer = scorer
    return scorer


def scoring_reads(fields: Iterable[str], rules: Sequence[core.Rule] | None = None) -> bool:
    """Whether the active rules read any of these lead fields (a change to them can move a score)."""
    scorer = _scorer(rules if rules is not None else rules_load())
    read = {f.split(".", 1)[0] if f.startswith(core.EXTRA_PREFIX) else f for f in scorer.fields}
    return bool(read & set(fields))


# --- Facts (for one lead, and for the importer) -------------------------------------------------------

BEHAVIOURS = ("replied", "connected", "meeting_held", "inbound")  # the touch counts of behaviour_counts
PROFILE_FACTS = ("title", "seniority", "industry", "company_size", "region", "city", "source", "direction", "email", "phone",
                 "company")  # fmt: skip
NO_BEHAVIOUR = {f"behaviour.{k}": 0 for k in core.BEHAVIOURS}


def _profile_facts(lead: Lead) -> dict:
    return {name: getattr(lead, name) for name in core.PROFILE_FIELDS} | {"extra": lead.extra or {}}


def facts_from_values(values: dict) -> dict:
    """The scoring facts of a lead not stored yet (a capture's cleaned values): no behaviour so far."""
    facts = {name: values.get(name, "") for name in core.PROFILE_FIELDS}
    facts["company_size"] = values.get("company_size")
    facts["extra"] = values.get("extra") or {}
    if not facts["direction"]:
        facts["direction"] = Lead.Direction.INBOUND
    if not facts["source"]:
        facts["source"] = "other"
    return {**facts, **NO_BEHAVIOUR}


# What a touch counts as. Conditions on the touch table's own columns (constants, no user input).
TOUCH_SQL = {
    "replied": f"outcome = '{Touch.Outcome.REPLIED}'",
    "connected": f"outcome = '{Touch.Outcome.CONNECTED}' AND duration_seconds >= 120",
    "meeting_booked": f"outcome = '{Touch.Outcome.BOOKED}'",
    "meeting_held": f"outcome = '{Touch.Outcome.HELD}'",
    "inbound": f"direction = '{Touch.Direction.INBOUND}'",
}


def counts_as_behaviour(*, outcome: str, duration_seconds: int, direction: str) -> bool:
    """Whether a touch adds to one of the behaviour counts (otherwise the score cannot move)."""
    return (
        outcome in (Touch.Outcome.REPLIED, Touch.Outcome.HELD, Touch.Outcome.BOOKED)
        or (outcome == Touch.Outcome.CONNECTED and duration_seconds >= 120)
        or direction == Touch.Direction.INBOUND
    )


def behaviour_counts(lead_ids: list[int]) -> dict[int, dict[str, int]]:
    """Touch-based behaviour counts per lead, one grouped query for all of them."""
    out = {pk: dict.fromkeys(BEHAVIOURS, 0) for pk in lead_ids}
    rows = (
        Touch.objects.filter(lead_id__in=lead_ids)
        .values("lead_id")
        .annotate(
            replied=Count("pk", filter=Q(outcome=Touch.Outcome.REPLIED)),
            connected=Count("pk", filter=Q(outcome=Touch.Outcome.CONNECTED, duration_seconds__gte=120)),
            meeting_held=Count("pk", filter=Q(outcome=Touch.Outcome.HELD)),
            inbound=Count("pk", filter=Q(direction=Touch.Direction.INBOUND)),
        )
        .order_by()
    )
    for row in rows:
        out[row["lead_id"]] = {k: row[k] for k in BEHAVIOURS}
    return out


def lead_facts(lead: Lead, *, behaviour: bool = True) -> dict:
    counts = behaviour_counts([lead.pk])[lead.pk] if behaviour else dict.fromkeys(BEHAVIOURS, 0)
    return {**_profile_facts(lead), **NO_BEHAVIOUR, **{f"behaviour.{k}": v for k, v in counts.items()}}


# --- Reading behaviour as arrays ---------------------------------------------------------------------------


def _julian_sql(column: str) -> str:
    """A date-time column as a Julian day number (float), the same on both databases."""
    if connection.vendor == "postgresql":
        return f"(CAST(EXTRACT(EPOCH FROM {column}) AS double precision) / 86400.0 + 2440587.5)"
    return f"julianday({column})"


def julian(at: datetime) -> float:
    return at.timestamp() / 86400.0 + 2440587.5


def _from_julian(jd: float) -> datetime:
    from datetime import UTC

    return datetime.fromtimestamp(round((jd - 2440587.5) * 86400.0), tz=UTC)


def _due_minute(jd):
    """Due times are kept to the minute, rounded down (earlier is safe: the sweep looks, finds the
    same score, and computes the next): leads share them, and the writes reuse their conversions."""
    import numpy as np

    return np.floor(jd * 1440.0) / 1440.0


def _behaviour_events(scorer: core.BulkScorer, where: str, params: list, until: datetime):
    """(lead ids, behaviour index, Julian day) arrays of the events the scorer counts, for the leads
    ``where`` selects (a condition on ``lead_id``), up to ``until`` plus the clock skew: one statement
    per table (behaviour events, touches)."""
    import numpy as np

    parts = []
    until_db = connection.ops.adapt_datetimefield_value(until + timedelta(days=core.EVENT_SKEW_DAYS))
    kinds = {b.split(".", 1)[1]: i for i, b in enumerate(scorer.behaviours)}
    event_kinds = {k: i for k, i in kinds.items() if k not in core.TOUCH_BEHAVIOURS}
    with connection.cursor() as cursor:
        if event_kinds:
            code = "CASE kind " + " ".join(f"WHEN '{k}' THEN {i}" for k, i in event_kinds.items()) + " END"
            listed = ", ".join(f"'{k}'" for k in event_kinds)
            sql = (
                f"SELECT lead_id, {code}, {_julian_sql('occurred_at')} FROM behaviour_behaviourevent "  # noqa: S608
                # "kind || ''": not the (kind, occurred_at) index, which would scan every lead's events of
                # those kinds; the lead's index (lead, kind, occurred_at) finds the few of these leads.
                f"WHERE {where} AND kind || '' IN ({listed}) AND occurred_at <= %s"
            )
            cursor.execute(sql, [*params, until_db])
            rows = cursor.fetchall()
            if rows:
                parts.append(np.array(rows, dtype=np.float64).reshape(-1, 3))
        touch_kinds = {k: i for k, i in kinds.items() if k in core.TOUCH_BEHAVIOURS}
        if touch_kinds:
            flags = ", ".join(f"CASE WHEN {TOUCH_SQL[k]} THEN 1 ELSE 0 END" for k in touch_kinds)
            any_ = " OR ".join(f"({TOUCH_SQL[k]})" for k in touch_kinds)
            sql = (
                f"SELECT lead_id, {_julian_sql('occurred_at')}, {flags} FROM leads_touch "  # noqa: S608
                f"WHERE {where} AND ({any_}) AND occurred_at <= %s"
            )
            cursor.execute(sql, [*params, until_db])
            rows = cursor.fetchall()
            if rows:
                arr = np.array(rows, dtype=np.float64).reshape(-1, 2 + len(touch_kinds))
                for j, i in enumerate(touch_kinds.values()):
                    hit = arr[:, 2 + j] == 1
                    parts.append(np.column_stack([arr[hit, 0], np.full(int(hit.sum()), i), arr[hit, 1]]))
    if not parts:
        empty = np.zeros(0)
        return empty.astype(np.int64), empty.astype(np.int64), empty
    allrows = np.concatenate(parts)
    return allrows[:, 0].astype(np.int64), allrows[:, 1].astype(np.int64), allrows[:, 2]


def _events_for(scorer: core.BulkScorer, lead_ids: Sequence[int], until: datetime):
    """Behaviour of these leads as arrays: one statement per table per 500 leads."""
    import numpy as np

    if not scorer.behaviours or not lead_ids:
        empty = np.zeros(0)
        return empty.astype(np.int64), empty.astype(np.int64), empty
    got = [
        _behaviour_events(scorer, f"lead_id IN ({', '.join(['%s'] * len(part))})", list(part), until)
        for part in chunks(sorted(set(lead_ids)))
    ]
    return tuple(np.concatenate([g[k] for g in got]) for k in range(3))


# --- Scoring leads on events -----------------------------------------------------------------------


def _values(lead: Lead, scorer: core.BulkScorer) -> tuple:
    out = []
    for name in scorer.fields:
        if name.startswith(core.EXTRA_PREFIX):
            extra = lead.extra if isinstance(lead.extra, dict) else {}
            out.append(extra.get(name[len(core.EXTRA_PREFIX) :]))
        else:
            out.append(getattr(lead, name))
    return tuple(out)


def _due_at(as_of: datetime, days: float) -> datetime | None:
    return None if math.isnan(days) else _from_julian(float(_due_minute(julian(as_of) + days)))


def _keep_due(old: datetime | None, new: datetime | None, as_of: datetime) -> datetime | None:
    """The due time to store: the new one, except that an earlier pending one stays (it is only
    conservative: the sweep rescored then and computes the next)."""
    if old is not None and new is not None and as_of < old <= new:
        return old
    return new


def leads_score(
    leads: Sequence[Lead],
    *,
    trigger: str,
    ats: Sequence[datetime] | None = None,
    rules: list[core.Rule] | None = None,
) -> list[core.Score]:
    """Rescore many leads at once: a snapshot each, and a timeline entry where the score changed.

    ``ats`` gives each lead's scoring time (default: now); a lead is scored as of that time or now,
    whichever is later (its behaviour so far, decayed to then). Reads the behaviour of all of them
    with one statement per table per 500 leads and writes with one statement per table, so the cost
    does not grow by a query per lead. The objects passed in get their new score columns.
    """
    import numpy as np

    if not leads:
        return []
    now = clock.now()
    ats = list(ats) if ats is not None else [now] * len(leads)
    rules = rules if rules is not None else rules_load()
    scorer = _scorer(rules)
    slot: dict[int, int] = {}
    for i, lead in enumerate(leads):
        slot[lead.pk] = i  # a lead listed twice is scored once, as of its last time
    unique = sorted(set(slot.values()))
    position = {i: k for k, i in enumerate(unique)}
    as_of = [max(ats[i], now) for i in unique]
    profiles = scorer.profiles([_values(leads[i], scorer) for i in unique])
    if trigger == "captured":  # nothing happened to a lead yet when it is captured
        ev_lead, ev_b, ev_jd = _events_for(scorer, [], now)
    else:
        ev_lead, ev_b, ev_jd = _events_for(scorer, [leads[i].pk for i in unique], max(as_of))
    ids = np.array([leads[i].pk for i in unique], dtype=np.int64)
    order = np.argsort(ids)
    where = order[np.searchsorted(ids[order], ev_lead)] if len(ev_lead) else np.zeros(0, dtype=np.int64)
    as_of_jd = np.array([julian(a) for a in as_of])
    result = scorer.score(profiles, where, ev_b, as_of_jd[where] - ev_jd if len(where) else ev_jd)
    scores = [result.at(position[slot[lead.pk]]) for lead in leads]
    snapshots, changed, events = [], {}, []
    for i, (lead, at, s) in enumerate(zip(leads, ats, scores, strict=True)):
        k = position[slot[lead.pk]]
        factors = s.factors_as_dicts()
        snapshots.append(
            ScoreSnapshot(lead=lead, computed_at=at, fit=s.fit, engagement=s.engagement, total=s.total,
                          grade=s.grade, factors=factors, trigger=trigger, model_version=s.version, band=s.band)
        )  # fmt: skip
        if slot[lead.pk] != i:
            continue  # the lead's last occurrence writes its columns
        due = _keep_due(lead.score_due_at, _due_at(as_of[k], result.due_days[k]), as_of[k])
        moved = (s.total, s.grade) != (lead.score, lead.grade) or trigger == "captured"
        new = (s.total, s.fit, s.engagement, s.grade, s.band, s.version, due)
        old = (lead.score, lead.fit_score, lead.engagement_score, lead.grade, lead.score_band, lead.score_version,
               lead.score_due_at)  # fmt: skip
        if new != old:
            (lead.score, lead.fit_score, lead.engagement_score, lead.grade, lead.score_band, lead.score_version,
             lead.score_due_at) = new  # fmt: skip
            changed[lead.pk] = lead
        if moved:
            events.append(
                LeadEvent(lead=lead, kind=LeadEvent.Kind.SCORED, occurred_at=at, cycle=lead.cycle, reason=trigger,
                          data={"score": s.total, "fit": s.fit, "engagement": s.engagement, "grade": s.grade,
                                "band": s.band, "version": s.version, "factors": factors})
            )  # fmt: skip
    with transaction.atomic(savepoint=False):
        rows_insert(ScoreSnapshot, snapshots)
        rows_update(Lead, list(changed.values()), LEAD_SCORE_FIELDS)
        rows_insert(LeadEvent, events)
    return scores


def lead_score(
    lead: Lead, *, trigger: str, at: datetime | None = None, rules: list[core.Rule] | None = None
) -> core.Score:
    """Recompute a lead's score, store the snapshot with its factors, and record a change on the timeline."""
    return leads_score([lead], trigger=trigger, ats=[at or clock.now()], rules=rules)[0]


def leads_rescore(lead_ids: Iterable[int], *, trigger: str, at: datetime | None = None) -> list[core.Score]:
    """``leads_score`` for leads given by id (merged ones skipped): one query per 500 to load them."""
    ids = sorted(set(lead_ids))
    leads: list[Lead] = []
    for part in chunks(ids):
        leads.extend(Lead.objects.filter(pk__in=part, merged_into=None).order_by("pk"))
    at = at or clock.now()
    return leads_score(leads, trigger=trigger, ats=[at] * len(leads))


def behaviour_rescore(events: Iterable[tuple[int, str]], *, at: datetime) -> int:
    """Rescore the leads of new behaviour events (lead id, kind) whose kind the active model counts.
    Returns how many leads were rescored."""
    scorer = _scorer(rules_load())
    counted = {b.split(".", 1)[1] for b in scorer.behaviours}
    ids = {lead_id for lead_id, kind in events if kind in counted}
    return len(leads_rescore(ids, trigger="behaviour", at=at)) if ids else 0


def lead_score_explain(
    lead: Lead, *, at: datetime | None = None, rules: Sequence[core.Rule] | None = None
) -> core.Score:
    """A lead's score as of ``at`` (default now) with the active model, computed and not stored: what
    the lead page shows (factors with decayed values). Two queries at most (behaviour, touches)."""
    import numpy as np

    at = at or clock.now()
    scorer = _scorer(rules if rules is not None else rules_load())
    profiles = scorer.profiles([_values(lead, scorer)])
    ev_lead, ev_b, ev_jd = _events_for(scorer, [lead.pk], at)
    result = scorer.score(profiles, np.zeros(len(ev_lead), dtype=np.int64), ev_b, julian(at) - ev_jd)
    return result.at(0)


def latest_snapshot(lead: Lead) -> ScoreSnapshot | None:
    return ScoreSnapshot.objects.filter(lead=lead).order_by("-computed_at", "-id").first()


# --- Bulk: the sweep and the recompute ---------------------------------------------------------------------

_STATE = (
    "id",
    "merged_into_id",
    "score",
    "fit_score",
    "engagement_score",
    "grade",
    "score_band",
    "score_version",
)

# A lead's new score columns, for ``rows_update`` (plain records with a ``pk``).
_Row = namedtuple("_Row", ["pk", "score", "fit_score", "engagement_score", "grade", "score_band", "score_version",
                           "score_due_at"])  # fmt: skip


def _extra_sql(key: str) -> str:
    """One key of the imported columns (``extra``), as text, read by the database (no JSON parsing in
    Python). ``core.field_problem`` allows only letters, digits, spaces and . - / _ in a key."""
    if not core._EXTRA_KEY.match(key):
        raise ValueError(f"not an extra column name: {key!r}")
    if connection.vendor == "postgresql":
        return f"(extra ->> '{key}')"
    return f"json_extract(extra, '$.\"{key}\"')"


def _lead_select(scorer: core.BulkScorer) -> tuple[str, int]:
    """SELECT list of the lead rows the bulk paths read: state, due time (Julian day), then the facts
    in ``scorer.fields`` order. Returns it and where the facts start."""
    facts = [
        _extra_sql(f[len(core.EXTRA_PREFIX) :]) if f.startswith(core.EXTRA_PREFIX) else f
        for f in scorer.fields
    ]
    return ", ".join([*_STATE, _julian_sql("score_due_at"), *facts]), len(_STATE) + 1


def _rescore_rows(scorer: core.BulkScorer, rows: list[tuple], as_of: datetime, events, *, trigger: str,
                  snapshot_when: str, write: bool, stats: dict, stamp_later: bool = False) -> None:  # fmt: skip
    """Score lead rows (as ``_lead_select`` reads them) and write what changed.

    ``snapshot_when``: "changed" (fit, engagement, total, grade or band changed) or "band" (grade or band
    changed: decay alone moves scores often, a snapshot each time would be noise). ``stamp_later``: a
    lead whose only change is the model version is left to the caller's one set-based statement."""
    import numpy as np

    if not rows:
        return
    n = len(rows)
    _, first = _lead_select(scorer)
    last = first + len(scorer.fields)
    profiles = scorer.profiles([row[first:last] for row in rows])
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    ev_lead, ev_b, ev_jd = events
    order = np.argsort(ids, kind="stable")
    pos = np.minimum(np.searchsorted(ids[order], ev_lead), n - 1)
    found = ids[order][pos] == ev_lead  # events of merged leads in the id range are not ours
    as_of_jd = julian(as_of)
    result = scorer.score(profiles, order[pos[found]], ev_b[found], as_of_jd - ev_jd[found])
    version = scorer.version
    old = list(zip(*rows, strict=True))  # columns
    old_due = np.array([np.nan if d is None else d for d in old[first - 1]], dtype=np.float64)
    new_due = _due_minute(as_of_jd + result.due_days)  # nan: none
    grades, bands = result.grades(), result.bands()
    # The stored due time is kept while it is pending and not later than the new one (_keep_due).
    keep_old = ~np.isnan(old_due) & ~np.isnan(new_due) & (old_due > as_of_jd) & (old_due <= new_due)
    due_value = np.where(keep_old, old_due, new_due)
    due_same = (np.isnan(old_due) & np.isnan(due_value)) | (np.abs(old_due - due_value) < 1e-6)
    grade_same = np.fromiter(map(str.__eq__, old[5], grades), dtype=bool, count=n)
    band_same = np.fromiter(map(str.__eq__, old[6], bands), dtype=bool, count=n)
    same = (
        (np.asarray(old[2]) == result.total) & (np.asarray(old[3]) == result.fit)
        & (np.asarray(old[4]) == result.engagement) & grade_same & band_same
    )  # fmt: skip
    version_same = np.fromiter((v == version for v in old[7]), dtype=bool, count=n)
    write_row = ~(same & due_same & (version_same | stamp_later))
    snap = ~same & (~(grade_same & band_same) if snapshot_when == "band" else True)
    stats["version_only"] = stats.get("version_only", 0) + int((same & due_same & ~version_same).sum())
    stats["changed"] = stats.get("changed", 0) + int((~same).sum())
    stats["leads"] = stats.get("leads", 0) + n
    for b, count in Counter(bands).items():
        stats.setdefault("bands", {})[b] = stats.setdefault("bands", {}).get(b, 0) + count
    moves = stats.setdefault("moves", {})
    for i in np.nonzero(~band_same)[0].tolist():
        key = f"{old[6][i] or '-'}→{bands[i]}"
        moves[key] = moves.get(key, 0) + 1
    total, fit, engagement = result.total.tolist(), result.fit.tolist(), result.engagement.tolist()
    due_at: dict[float, datetime | None] = {}
    updates = []
    for i in np.nonzero(write_row)[0].tolist():
        d = float(due_value[i])
        due = due_at.get(d) if d == d else None  # d != d: nan, no due time
        if due is None and d == d:
            due = due_at[d] = _from_julian(d)
        updates.append(_Row(old[0][i], total[i], fit[i], engagement[i], grades[i], bands[i], version, due))
    snap_idx = np.nonzero(snap)[0].tolist()
    factors = result.factor_lists(snap_idx) if snap_idx else []
    snaps = [(old[0][i], as_of, fit[i], engagement[i], total[i], grades[i], f, trigger, version, bands[i])
             for i, f in zip(snap_idx, factors, strict=True)]  # fmt: skip
    stats["snapshots"] = stats.get("snapshots", 0) + len(snaps)
    if write:
        rows_update(Lead, updates, LEAD_SCORE_FIELDS)
        rows_insert_values(ScoreSnapshot, SNAPSHOT_COLUMNS, snaps, returning=False)
    stats["written"] = stats.get("written", 0) + (len(updates) if write else 0)


def _lock_clause() -> str:
    return " FOR UPDATE" if connection.vendor == "postgresql" else ""


def _model_for(version: int | None) -> tuple[ScoringModel, core.RuleSet]:
    if version is None:
        model = ScoringModel.objects.filter(status=ScoringModel.Status.ACTIVE).first()
        if model is None:
            raise NotFound("there is no active scoring model")
    else:
        model = ScoringModel.objects.filter(version=version).first()
        if model is None:
            raise NotFound(f"there is no scoring model version {version}")
    return model, model_ruleset(model)


def scores_recompute(
    *,
    at: datetime | None = None,
    version: int | None = None,
    dry_run: bool = False,
    chunk: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Rescore every lead that was not merged away, as of ``at`` (default now), with the active model
    (or ``version``: any version for a dry run, else only the active one).

    Leads stream in chunks of ``chunk`` by primary key; per chunk one read of the leads, one of their
    behaviour events and one of their touches, then the chunk is scored in numpy and written: an
    ``UPDATE … FROM (VALUES …)`` per 500 changed leads, a snapshot (trigger "recompute") per lead whose
    score, grade or band changed, and one statement that stamps the version on the others. Each chunk
    is its own transaction (PostgreSQL: the chunk's leads are locked while it runs). ``dry_run``
    computes and counts without writing. Returns counts: leads, changed, snapshots, bands, moves.
    """
    at = at or clock.now()
    model, rules = _model_for(version)
    if model.status != ScoringModel.Status.ACTIVE and not dry_run:
        raise Conflict(
            f"version {model.version} is {model.status}: only the active version scores leads "
            "(activate it first, or use a dry run to see what it would change)",
            code="scoring_model_not_active",
        )
    scorer = core.BulkScorer(rules)
    select, _ = _lead_select(scorer)
    stats: dict = {"version": model.version, "at": at.isoformat(), "dry_run": dry_run}
    started = time.perf_counter()
    # Millions of short-lived tuples and dicts, few reference cycles: the cyclic collector would run
    # every 700 allocations and walk every chunk's rows each time.
    threshold = gc.get_threshold()
    gc.set_threshold(100_000, 50, 1000)
    try:
        _recompute_chunks(scorer, model, at, chunk, dry_run, stats, progress)
    finally:
        gc.set_threshold(*threshold)
    if not dry_run:
        ScoringModel.objects.filter(pk=model.pk).update(recomputed_at=at)
        localcache.invalidate("scoring-rules")
    stats["seconds"] = round(time.perf_counter() - started, 3)
    for key in ("leads", "changed", "snapshots", "written", "version_only"):
        stats.setdefault(key, 0)
    stats.setdefault("bands", {})
    stats.setdefault("moves", {})
    return stats


def _recompute_chunks(scorer, model, at, chunk, dry_run, stats, progress) -> None:
    select, _ = _lead_select(scorer)
    after = 0
    quote = connection.ops.quote_name
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {select} FROM {quote(Lead._meta.db_table)} WHERE id > %s AND merged_into_id IS NULL "  # noqa: S608
                    f"ORDER BY id LIMIT %s{_lock_clause()}",
                    [after, chunk],
                )
                rows = cursor.fetchall()
            if not rows:
                break
            low, high = after, rows[-1][0]
            events = (
                _behaviour_events(scorer, "lead_id > %s AND lead_id <= %s", [low, high], at)
                if scorer.behaviours
                else _events_for(scorer, [], at)
            )
            _rescore_rows(scorer, rows, at, events, trigger="recompute", snapshot_when="changed", write=not dry_run,
                          stats=stats, stamp_later=True)  # fmt: skip
            if not dry_run:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"UPDATE {quote(Lead._meta.db_table)} SET score_version = %s WHERE id > %s AND id <= %s "  # noqa: S608
                        "AND merged_into_id IS NULL AND (score_version IS NULL OR score_version <> %s)",
                        [model.version, low, high, model.version],
                    )
            after = high
        if progress:
            progress(stats.get("leads", 0))
        if len(rows) < chunk:
            break


def scores_refresh(at: datetime, *, limit: int = SWEEP_LIMIT) -> dict:
    """The sweep's part: as of ``at``, rescore (1) leads whose decayed score is due and (2) leads
    scored by another model version or by none (after an activation too large to rescore at once, or
    imported). Index look-ups, then the bulk code; a snapshot (trigger "decay") only where the grade or
    band moved, and ("recompute") where a version change moved the score."""
    rules = rules_load()
    if rules.version is None:
        return {"due": 0, "stale": 0, "changed": 0}
    scorer = _scorer(rules)
    select, _ = _lead_select(scorer)
    table = connection.ops.quote_name(Lead._meta.db_table)
    at_db = connection.ops.adapt_datetimefield_value(at)
    out = {"due": 0, "stale": 0, "changed": 0}
    merged_at = _STATE.index("merged_into_id")
    with transaction.atomic():
        # No "merged_into_id IS NULL" here: the planner would walk that index over every lead instead of
        # the two small ones below. Merged leads found are taken out of both (they are not scored).
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {select} FROM {table} WHERE score_due_at IS NOT NULL "  # noqa: S608
                f"AND score_due_at <= %s ORDER BY score_due_at LIMIT %s{_lock_clause()}",
                [at_db, limit],
            )
            due = due_found = cursor.fetchall()
            cursor.execute(
                f"SELECT {select} FROM {table} WHERE (score_version IS NULL "  # noqa: S608
                f"OR score_version < %s OR score_version > %s) LIMIT %s{_lock_clause()}",
                [rules.version, rules.version, max(0, limit - len(due))],
            )
            seen = {r[0] for r in due}
            stale = [r for r in cursor.fetchall() if r[0] not in seen]
        merged = [r[0] for r in (*due, *stale) if r[merged_at] is not None]
        for part in chunks(merged):
            Lead.objects.filter(pk__in=part).update(score_due_at=None, score_version=rules.version)
        due = [r for r in due if r[merged_at] is None]
        stale_count = len(stale)
        stale = [r for r in stale if r[merged_at] is None]
        for rows, trigger, when in ((due, "decay", "band"), (stale, "recompute", "changed")):
            if not rows:
                continue
            stats: dict = {}
            events = _events_for(scorer, [r[0] for r in rows], at)
            _rescore_rows(
                scorer, rows, at, events, trigger=trigger, snapshot_when=when, write=True, stats=stats
            )
            out["due" if trigger == "decay" else "stale"] += len(rows)
            out["changed"] += stats.get("changed", 0)
    if stale_count < max(0, limit - len(due_found)):  # this sweep reached every lead of another version
        ScoringModel.objects.filter(version=rules.version, recomputed_at=None).update(recomputed_at=at)
    return out


def stale_leads_count(version: int) -> int:
    """Leads not scored by ``version`` yet (an indexed count)."""
    return Lead.objects.filter(
        Q(score_version__isnull=True) | Q(score_version__lt=version) | Q(score_version__gt=version)
    ).count()


# --- Versioned models: drafts, edits, activation ------------------------------------------------------------


def may_edit_models(actor) -> bool:
    """Sales ops (admins) and SDR directors own the scoring model; ``None`` is Baton itself (CLI)."""
    from baton.org.models import Role

    return actor is None or actor.is_admin or actor.has_role(Role.SDR_DIRECTOR)


def _require_editor(actor) -> None:
    if not may_edit_models(actor):
        raise NotAllowed("only sales ops (admins) and SDR directors may change the scoring model")


def _get(version: int, *, lock: bool = False) -> ScoringModel:
    qs = ScoringModel.objects.select_for_update() if lock else ScoringModel.objects
    model = qs.filter(version=version).first()
    if model is None:
        raise NotFound(f"there is no scoring model version {version}")
    return model


def _copy_rules(source: ScoringModel, target: ScoringModel) -> None:
    ScoringRule.objects.bulk_create(
        ScoringRule(model=target, kind=r.kind, field=r.field, op=r.op, value=r.value, points=r.points, cap=r.cap,
                    half_life_days=r.half_life_days, label=r.label, active=r.active, position=r.position)
        for r in source.rules.all()
    )  # fmt: skip


@transaction.atomic
def scoring_model_draft_create(
    actor, *, from_version: int | None = None, name: str = "", notes: str = "", at: datetime | None = None
) -> ScoringModel:
    """A new draft: a copy of the active version (or ``from_version``), numbered after the newest.
    Only one draft at a time: edit or discard it first."""
    from baton.org.services import audit_record

    _require_editor(actor)
    existing = ScoringModel.objects.filter(status=ScoringModel.Status.DRAFT).first()
    if existing is not None:
        raise Conflict(
            f"version {existing.version} is already a draft: edit it, or discard it before starting another",
            code="draft_exists",
            details={"draft": existing.version},
        )
    if from_version is None:
        source = ScoringModel.objects.filter(status=ScoringModel.Status.ACTIVE).first()
    else:
        source = _get(from_version)
    name = (name or "").strip()
    if len(name) > 120:
        raise InvalidInput(
            "name: at most 120 characters", details={"fields": {"name": "at most 120 characters"}}
        )
    newest = ScoringModel.objects.order_by("-version").values_list("version", flat=True).first() or 0
    model = ScoringModel(
        version=newest + 1, name=name or f"Version {newest + 1}", status=ScoringModel.Status.DRAFT,
        notes=(notes or "").strip(), based_on=source, created_by=actor, created_at=at or clock.now(),
    )  # fmt: skip
    if source is not None:
        model.fit_a, model.fit_b, model.fit_c = source.fit_a, source.fit_b, source.fit_c
        model.engagement_1, model.engagement_2, model.engagement_3 = (
            source.engagement_1, source.engagement_2, source.engagement_3,
        )  # fmt: skip
        model.bands = source.bands
    model.save()
    if source is not None:
        _copy_rules(source, model)
    audit_record(actor, "scoring.draft_create", "scoring_model", model.pk,
                 {"version": model.version, "from": source.version if source else None})  # fmt: skip
    return model


RULE_KEYS = {"kind", "field", "op", "value", "points", "cap", "half_life_days", "label", "active"}


def _parse_rules(items) -> tuple[list[tuple[core.Rule, bool]], dict[str, str]]:
    problems: dict[str, str] = {}
    out: list[tuple[core.Rule, bool]] = []
    if not isinstance(items, list):
        return [], {"rules": "must be a list of rules"}
    for i, item in enumerate(items):
        where = f"rules[{i}]"
        if not isinstance(item, dict):
            problems[where] = "must be an object"
            continue
        unknown = sorted(set(item) - RULE_KEYS)
        if unknown:
            problems[where] = f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(RULE_KEYS))}"
            continue
        missing = [k for k in ("kind", "field", "op", "points", "label") if k not in item]
        if missing:
            problems[where] = f"missing {', '.join(missing)}"
            continue
        half = item.get("half_life_days")
        if isinstance(half, int) and not isinstance(half, bool):
            half = float(half)
        rule = core.Rule(item["kind"], item["field"], item["op"], item.get("value", ""), item["points"],
                         item["label"].strip() if isinstance(item["label"], str) else item["label"],
                         item.get("cap"), half)  # fmt: skip
        active = item.get("active", True)
        if not isinstance(active, bool):
            problems[f"{where}.active"] = "must be true or false"
        for k, v in core.rule_problems(rule).items():
            problems[f"{where}.{k}"] = v
        out.append((rule, active))
    return out, problems


def _parse_grades(grades) -> tuple[core.Grades | None, dict[str, str]]:
    if not isinstance(grades, dict) or set(grades) - {"fit", "engagement"}:
        return None, {"grades": 'an object {"fit": [A, B, C], "engagement": [1, 2, 3]} of cut-offs'}
    fit = grades.get("fit")
    eng = grades.get("engagement")
    parsed = core.Grades(
        tuple(fit) if isinstance(fit, list) else (), tuple(eng) if isinstance(eng, list) else ()
    )
    problems = {f"grades.{k}": v for k, v in core.grades_problems(parsed).items()}
    return parsed, problems


def _parse_bands(bands) -> tuple[list[core.BandRule], dict[str, str]]:
    if not isinstance(bands, list):
        return [], {"bands": "must be a list of thresholds"}
    out, problems = [], {}
    for i, item in enumerate(bands):
        if (
            not isinstance(item, dict)
            or "band" not in item
            or set(item) - {"band", "fit", "engagement", "min_total"}
        ):
            problems[f"bands[{i}]"] = 'an object {"band", "fit", "engagement", "min_total"}'
            continue
        out.append(core.BandRule(item["band"], item.get("fit", "D"), item.get("engagement", "4"),
                                 item.get("min_total", 0)))  # fmt: skip
    if not problems:
        problems.update(core.bands_problems(out))
    return out, problems


def _invalid(problems: dict[str, str]) -> InvalidInput:
    listed = list(problems.items())
    text = "; ".join(f"{k}: {v}" for k, v in listed[:8]) + (
        f"; and {len(listed) - 8} more" if len(listed) > 8 else ""
    )
    return InvalidInput(f"the scoring model is not valid: {text}", details={"fields": problems})


@transaction.atomic
def scoring_model_update(
    version: int,
    actor,
    *,
    name: str | None = None,
    notes: str | None = None,
    rules: list[dict] | None = None,
    grades: dict | None = None,
    bands: list[dict] | None = None,
) -> ScoringModel:
    """Change a draft: what is given replaces what it had (``rules`` replaces all rules, in order).
    Everything is checked first; one problem changes nothing (InvalidInput lists each, by place)."""
    from baton.org.services import audit_record

    _require_editor(actor)
    model = _get(version, lock=True)
    if model.status != ScoringModel.Status.DRAFT:
        raise Conflict(
            f"version {model.version} is {model.status} and cannot change; create a draft (a copy of the active "
            "version) and edit that",
            code="scoring_model_not_draft",
        )
    problems: dict[str, str] = {}
    parsed_rules = parsed_grades = parsed_bands = None
    if rules is not None:
        parsed_rules, p = _parse_rules(rules)
        problems.update(p)
    if grades is not None:
        parsed_grades, p = _parse_grades(grades)
        problems.update(p)
    if bands is not None:
        parsed_bands, p = _parse_bands(bands)
        problems.update(p)
    if name is not None:
        name = name.strip()
        if not name or len(name) > 120:
            problems["name"] = "a name of 1 to 120 characters"
    if problems:
        raise _invalid(problems)
    if name is not None:
        model.name = name
    if notes is not None:
        model.notes = notes.strip()
    if parsed_grades is not None:
        model.fit_a, model.fit_b, model.fit_c = parsed_grades.fit
        model.engagement_1, model.engagement_2, model.engagement_3 = parsed_grades.engagement
    if parsed_bands is not None:
        model.bands = [b.as_dict() for b in parsed_bands]
    model.save()
    if parsed_rules is not None:
        model.rules.all().delete()
        ScoringRule.objects.bulk_create(
            ScoringRule(model=model, kind=r.kind, field=r.field, op=r.op, value=_json_value(r.value), points=r.points,
                        cap=r.cap, half_life_days=r.half_life_days, label=r.label, active=active, position=i)
            for i, (r, active) in enumerate(parsed_rules)
        )  # fmt: skip
    given = {"name": name, "notes": notes, "rules": rules, "grades": grades, "bands": bands}
    audit_record(actor, "scoring.draft_update", "scoring_model", model.pk,
                 {"version": model.version, "changed": [k for k, v in given.items() if v is not None]})  # fmt: skip
    return model


def _json_value(value):
    return list(value) if isinstance(value, tuple) else value


def scoring_model_activate(
    version: int, actor, *, at: datetime | None = None, recompute: bool | None = None
) -> tuple[ScoringModel, dict | None]:
    """Make a draft the active version; the active one is retired (one transaction: never two active).

    Then rescore: at once when ``recompute`` is True, or by default when there are at most
    ``SYNC_RECOMPUTE_MAX`` leads; otherwise the worker's sweep rescores the leads scored by another
    version, ``SWEEP_LIMIT`` per sweep (``baton score recompute`` does all of them at once). Returns the
    model and the recompute's counts (None when it was left to the sweep).
    """
    from baton.org.services import audit_record

    _require_editor(actor)
    at = at or clock.now()
    with transaction.atomic():
        model = _get(version, lock=True)
        if model.status != ScoringModel.Status.DRAFT:
            raise Conflict(
                f"version {model.version} is {model.status}; only a draft can be activated",
                code="scoring_model_not_draft",
            )
        problems = core.model_problems(
            [r.as_rule() for r in model.rules.all()], model.grades, model.band_rules()
        )
        if problems:
            raise _invalid(problems)
        previous = ScoringModel.objects.select_for_update().filter(status=ScoringModel.Status.ACTIVE).first()
        if previous is not None:
            previous.status, previous.retired_at = ScoringModel.Status.RETIRED, at
            previous.save(update_fields=["status", "retired_at"])
        model.status, model.activated_at, model.activated_by = ScoringModel.Status.ACTIVE, at, actor
        model.save(update_fields=["status", "activated_at", "activated_by"])
        audit_record(actor, "scoring.activate", "scoring_model", model.pk,
                     {"version": model.version, "retired": previous.version if previous else None}, at=at)  # fmt: skip
    localcache.invalidate("scoring-rules")
    if recompute is None:
        recompute = Lead.objects.filter(merged_into=None).count() <= SYNC_RECOMPUTE_MAX
    result = scores_recompute(at=at) if recompute else None
    model.refresh_from_db()
    return model, result


@transaction.atomic
def scoring_model_discard(version: int, actor) -> None:
    """Delete a draft (nothing else can be deleted: snapshots name the versions)."""
    from baton.org.services import audit_record

    _require_editor(actor)
    model = _get(version, lock=True)
    if model.status != ScoringModel.Status.DRAFT:
        raise Conflict(f"version {model.version} is {model.status}; only a draft can be discarded",
                       code="scoring_model_not_draft")  # fmt: skip
    audit_record(actor, "scoring.draft_discard", "scoring_model", model.pk, {"version": model.version})
    model.delete()
    localcache.invalidate("scoring-rules")


# --- Predictive models: trained on the team's own history ---------------------------------------------------

# Why core.predictive refuses to train on a history (stored as a refusal; other errors store nothing).
HISTORY_REFUSALS = ("insufficient_history", "single_outcome", "no_features")
SYNC_TRAIN_MAX = 20_000  # rows the settings page trains on while the user waits; beyond, `baton score train`


def may_train_models(actor) -> bool:
    """Sales ops (admins) train and activate predictive models; ``None`` is Baton itself (CLI)."""
    return actor is None or actor.is_admin


def _require_trainer(actor) -> None:
    if not may_train_models(actor):
        raise NotAllowed("only sales ops (admins) may train or activate predictive models")


def predictive_model_train(
    outcome: str = "accepted",
    *,
    actor=None,
    as_of: datetime | None = None,
    activate: bool = False,
    window_days: int | None = None,
    holdout: float = 0.3,
    seed: int = 1,
    max_rows: int | None = None,
) -> PredictiveModel:
    """Train a predictive model of ``outcome`` on the history decided by ``as_of`` (default now).

    The report comes from a time-ordered hold-out (trained on the older 70% by decision time, tested on
    the newest 30%, beside the naive-Bayes baseline on the same split); the stored model is then trained
    on all the rows. Returns the new record: ``trained`` (``active`` with ``activate``), or ``refused``
    with the reason when the history is too small, has a single outcome or no usable field — then
    nothing is active that was not before, and rule scoring goes on. Bad arguments raise InvalidInput
    and store nothing.
    """
    from baton.core import predictive
    from baton.org.services import audit_record
    from baton.scoring import history

    _require_trainer(actor)
    history.check_outcome(outcome)
    window_days = history.WINDOW_DAYS if window_days is None else window_days
    now = clock.now()
    as_of = as_of or now
    if as_of.tzinfo is None:  # a naive instant is UTC, as on the command line
        as_of = as_of.replace(tzinfo=UTC)
    if as_of > now:
        raise InvalidInput(
            f"the as-of instant {as_of.isoformat()} is in the future; the history ends now ({now.isoformat()})",
            details={"fields": {"as_of": "not after now"}},
        )
    if (
        max_rows is not None
        and history.history_size(outcome, as_of=as_of, window_days=window_days) > max_rows
    ):
        raise InvalidInput(
            f"more than {max_rows:,} leads to learn from: too many to train while you wait; run "
            f"`baton score train --outcome {outcome}` on the server",
            code="too_many_rows",
        )
    started = time.perf_counter()
    data = history.history_dataset(outcome, as_of=as_of, window_days=window_days)
    with translation.override("en"):  # stored texts are in English, like every error message
        definition = data.describe()
    params = {"window_days": window_days, "holdout": holdout, "seed": seed, "split": "time"}
    record = PredictiveModel(outcome=outcome, as_of=as_of, trained_at=now, trained_by=actor, rows=len(data.rows),
                             positives=data.positives, params=params)  # fmt: skip
    try:
        report = predictive.evaluate(data.rows, data.labels, times=data.times, holdout=holdout, seed=seed)
        trained = predictive.train(data.rows, data.labels, seed=seed)
    except InvalidInput as exc:
        if exc.code not in HISTORY_REFUSALS:
            raise
        record.status = PredictiveModel.Status.REFUSED
        record.fallback_code = exc.code
        record.fallback_reason = (
            f"{len(data.rows):,} {definition} as of {as_of:%Y-%m-%d %H:%M} UTC "
            f"({data.positives:,} positive): {exc.message}"
        )
        record.seconds = round(time.perf_counter() - started, 2)
        with transaction.atomic():
            record.save()
            audit_record(actor, "scoring.predictive_refused", "predictive_model", record.pk,
                         {"outcome": outcome, "code": exc.code, "rows": record.rows}, at=now)  # fmt: skip
        return record
    # Say so when the model is not worth activating: the settings page and the CLI show these.
    if report["roc_auc"] <= report["baseline_roc_auc"]:
        report["warnings"].append(
            f"the model does not rank the hold-out leads better than the naive-Bayes baseline (ROC AUC "
            f"{report['roc_auc']:.3f} against {report['baseline_roc_auc']:.3f})"
        )
    if report["brier"] >= report["base_rate_brier"]:
        report["warnings"].append(
            f"its probabilities are no closer to the outcomes than always predicting the average rate (Brier "
            f"{report['brier']:.3f} against {report['base_rate_brier']:.3f}): think twice before activating it"
        )
    report.update(
        outcome=outcome, definition=definition, as_of=as_of.isoformat(), window_days=window_days,
        time_column="decision time",
    )  # fmt: skip
    record.status = PredictiveModel.Status.TRAINED
    record.train_rows, record.test_rows = report["train_rows"], report["test_rows"]
    record.report = report
    record.model_data = trained.dumps()
    record.fingerprint = trained.fingerprint
    record.sklearn_version = trained.sklearn_version
    record.seconds = round(time.perf_counter() - started, 2)
    with transaction.atomic():
        # Versions count every trained model, whatever its outcome; a concurrent training is told to retry.
        versions = PredictiveModel.objects.filter(version__isnull=False).order_by("-version")
        record.version = (versions.values_list("version", flat=True).first() or 0) + 1
        try:
            with transaction.atomic():
                record.save()
        except IntegrityError:
            raise Conflict("another predictive model was stored at the same moment; train again",
                           code="version_taken")  # fmt: skip
        audit_record(actor, "scoring.predictive_train", "predictive_model", record.pk,
                     {"version": record.version, "outcome": outcome, "rows": record.rows,
                      "roc_auc": report["roc_auc"], "baseline_roc_auc": report["baseline_roc_auc"]}, at=now)  # fmt: skip
        if activate:
            _predictive_activate(record, actor, now)
    return record


def _predictive_get(version: int, *, lock: bool = False) -> PredictiveModel:
    qs = PredictiveModel.objects.select_for_update() if lock else PredictiveModel.objects
    record = qs.filter(version=version).first()
    if record is None:
        raise NotFound(f"there is no predictive model version {version}")
    return record


def _predictive_activate(record: PredictiveModel, actor, at: datetime) -> None:
    from baton.org.services import audit_record

    previous = (
        PredictiveModel.objects.select_for_update()
        .filter(outcome=record.outcome, status=PredictiveModel.Status.ACTIVE)
        .exclude(pk=record.pk)
        .first()
    )
    if previous is not None:
        previous.status, previous.retired_at = PredictiveModel.Status.RETIRED, at
        previous.save(update_fields=["status", "retired_at"])
    record.status, record.activated_at, record.activated_by = PredictiveModel.Status.ACTIVE, at, actor
    record.retired_at = None
    record.save(update_fields=["status", "activated_at", "activated_by", "retired_at"])
    audit_record(actor, "scoring.predictive_activate", "predictive_model", record.pk,
                 {"version": record.version, "outcome": record.outcome,
                  "retired": previous.version if previous else None}, at=at)  # fmt: skip


def predictive_model_activate(version: int, actor, *, at: datetime | None = None) -> PredictiveModel:
    """Make a trained (or retired) model the one that scores leads for its outcome; the active one of
    that outcome is retired. A model this installation cannot read (another scikit-learn) is refused."""
    from baton.core import predictive

    _require_trainer(actor)
    at = at or clock.now()
    with transaction.atomic():
        record = _predictive_get(version, lock=True)
        if record.status == PredictiveModel.Status.ACTIVE:
            raise Conflict(f"predictive model version {version} is already active", code="already_active")
        if record.status not in (PredictiveModel.Status.TRAINED, PredictiveModel.Status.RETIRED):
            raise Conflict(f"predictive model version {version} is {record.status}", code="not_trained")
        predictive.load_model(bytes(record.model_data))  # InvalidInput "retrain it" when unreadable
        _predictive_activate(record, actor, at)
    return record


def predictive_model_retire(version: int, actor, *, at: datetime | None = None) -> PredictiveModel:
    """Switch an active model off: its outcome goes back to rule scoring alone."""
    from baton.org.services import audit_record

    _require_trainer(actor)
    at = at or clock.now()
    with transaction.atomic():
        record = _predictive_get(version, lock=True)
        if record.status != PredictiveModel.Status.ACTIVE:
            raise Conflict(f"predictive model version {version} is not active", code="not_active")
        record.status, record.retired_at = PredictiveModel.Status.RETIRED, at
        record.save(update_fields=["status", "retired_at"])
        audit_record(actor, "scoring.predictive_retire", "predictive_model", record.pk,
                     {"version": record.version, "outcome": record.outcome}, at=at)  # fmt: skip
    return record
