"""Versioned scoring models and the scoring paths: drafts, activation, rescoring on events, the decay
sweep, the bulk recompute (same results as one by one, a fixed number of queries)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from baton import clock
from baton.behaviour.services import BehaviourRequest, behaviour_record
from baton.cli import main
from baton.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from baton.dbutil import rows_insert_values
from baton.leads.models import Lead, LeadEvent
from baton.leads.services import lead_capture, touch_log
from baton.org.services import team_create, user_create
from baton.scoring import presets
from baton.scoring.models import ScoreSnapshot, ScoringModel
from baton.scoring.services import (
    leads_score,
    rules_load,
    scores_recompute,
    scores_refresh,
    scoring_model_activate,
    scoring_model_discard,
    scoring_model_draft_create,
    scoring_model_update,
)
from baton.worker import sweep

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

DECAY_RULES = [
    {"kind": "fit", "field": "seniority", "op": "in", "value": ["c_level", "vp"], "points": 30, "label": "Executive"},
    {"kind": "fit", "field": "company_size", "op": "between", "value": [200, None], "points": 20, "label": "200+"},
    {"kind": "fit", "field": "extra.budget", "op": "eq", "value": "500k+", "points": 15, "label": "Budget"},
    {"kind": "engagement", "field": "behaviour.email_click", "op": "count", "points": 10, "cap": 40,
     "half_life_days": 7, "label": "Clicked"},
    {"kind": "engagement", "field": "behaviour.replied", "op": "count", "points": 15, "cap": 30,
     "half_life_days": 30, "label": "Replied"},
]  # fmt: skip


@pytest.fixture(autouse=True)
def _frozen():
    clock.set_frozen(T0)
    yield
    clock.set_frozen(None)


@pytest.fixture
def people(db):
    team = team_create("Inbound", "sdr_inbound")
    return {
        "admin": user_create("ops", None, roles=["ops_admin"]),
        "director": user_create("dir", None, roles=["sdr_director"]),
        "sdr": user_create("sdr", None, roles=["sdr_inbound"], team=team),
        "marketer": user_create("mia", None, roles=["marketer"]),
    }


def capture(i: int, *, extra: dict | None = None, **fields) -> Lead:
    """A captured lead; ``extra``: imported columns (set as an import would, then kept by the lead)."""
    data = {"name": f"Lead {i}", "email": f"l{i}@firm{i}.com", "company": f"Firm {i}", "title": "VP Sales",
            "company_size": 500, "source": "seo", **fields}  # fmt: skip
    lead = lead_capture(data)
    if extra:
        Lead.objects.filter(pk=lead.pk).update(extra=extra)
        lead.extra = extra
    return lead


def activate_decay_model(actor, *, recompute=None) -> ScoringModel:
    draft = scoring_model_draft_create(actor, name="Decay")
    scoring_model_update(draft.version, actor, rules=DECAY_RULES, bands=presets.RECOMMENDED_BANDS,
                         grades={"fit": [45, 30, 15], "engagement": [30, 15, 5]})  # fmt: skip
    model, _ = scoring_model_activate(draft.version, actor, recompute=recompute)
    return model


def click(lead: Lead, at: datetime, actor=None):
    return behaviour_record([BehaviourRequest("email_click", at, lead_id=lead.pk)], actor=actor)


# --- the models -----------------------------------------------------------------------------------------


def test_the_migrated_rules_are_version_1_and_the_only_active_one(db):
    model = ScoringModel.objects.get()
    assert (model.version, model.status) == (1, "active")
    assert model.rules.count() == 13
    rules = rules_load()
    assert rules.version == 1 and len(rules) == 13 and rules.grades.fit == (60, 40, 20)


def test_a_draft_copies_the_active_version_and_only_one_draft_exists(people):
    draft = scoring_model_draft_create(people["director"], name="Try seniority")
    assert (draft.version, draft.status, draft.based_on.version) == (2, "draft", 1)
    assert [r.label for r in draft.rules.order_by("position")] == [
        r.label for r in ScoringModel.objects.get(version=1).rules.order_by("position")
    ]
    with pytest.raises(Conflict, match="version 2 is already a draft"):
        scoring_model_draft_create(people["admin"])
    scoring_model_discard(2, people["admin"])
    assert not ScoringModel.objects.filter(version=2).exists()
    assert scoring_model_draft_create(people["admin"]).version == 2


def test_only_sales_ops_and_sdr_directors_change_models(people):
    with pytest.raises(NotAllowed):
        scoring_model_draft_create(people["sdr"])
    draft = scoring_model_draft_create(people["admin"])
    for who in ("sdr", "marketer"):
        with pytest.raises(NotAllowed):
            scoring_model_update(draft.version, people[who], name="mine")
        with pytest.raises(NotAllowed):
            scoring_model_activate(draft.version, people[who])


@pytest.mark.parametrize(
    ("change", "where", "text"),
    [
        ({"rules": [{"kind": "fit", "field": "shoe", "op": "eq", "value": "x", "points": 1, "label": "x"}]},
         "rules[0].field", "unknown field 'shoe'"),
        ({"rules": [{"kind": "fit", "field": "title", "op": "like", "value": "x", "points": 1, "label": "x"}]},
         "rules[0].op", "unknown operator 'like'"),
        ({"rules": [{"kind": "engagement", "field": "behaviour.replied", "op": "count", "points": 5, "label": "r",
                     "half_life_days": -2}]}, "rules[0].half_life_days", "above 0"),
        ({"rules": [{"kind": "fit", "field": "title", "op": "eq", "value": "x", "points": 1, "label": "x",
                     "colour": "red"}]}, "rules[0]", "unknown key(s) colour"),
        ({"rules": [{"kind": "fit", "field": "title"}]}, "rules[0]", "missing op, points, label"),
        ({"grades": {"fit": [20, 40, 60], "engagement": [60, 30, 10]}}, "grades.fit", "must go down strictly"),
        ({"grades": {"fit": [60, 40, 20]}}, "grades.engagement", "three whole numbers"),
        ({"bands": [{"band": "sdr_queue", "fit": "D", "engagement": "4"}, {"band": "handoff_ready", "fit": "A"}]},
         "bands[1]", "never applies"),
        ({"bands": [{"band": "hot", "fit": "A"}]}, "bands[0].band", "unknown band 'hot'"),
        ({"name": " "}, "name", "1 to 120 characters"),
    ],
)  # fmt: skip
def test_bad_drafts_are_refused_naming_each_problem_and_change_nothing(people, change, where, text):
    draft = scoring_model_draft_create(people["admin"])
    before = list(draft.rules.values_list("label", "points"))
    with pytest.raises(InvalidInput) as exc:
        scoring_model_update(draft.version, people["admin"], **change)
    assert text in exc.value.details["fields"][where]
    assert where in exc.value.message
    draft.refresh_from_db()
    assert list(draft.rules.values_list("label", "points")) == before and draft.name == "Version 2"


def test_only_a_draft_changes_or_activates(people):
    with pytest.raises(Conflict, match="version 1 is active"):
        scoring_model_update(1, people["admin"], name="x")
    with pytest.raises(Conflict, match="only a draft can be activated"):
        scoring_model_activate(1, people["admin"])
    with pytest.raises(NotFound):
        scoring_model_activate(9, people["admin"])
    activate_decay_model(people["admin"])
    with pytest.raises(Conflict, match="version 1 is retired"):
        scoring_model_activate(1, people["admin"])
    with pytest.raises(Conflict):
        scoring_model_discard(2, people["admin"])


def test_two_active_versions_are_impossible(people):
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoringModel.objects.create(version=5, name="rogue", status="active", created_at=T0)


def test_activation_retires_the_old_version_and_rescores_small_orgs_at_once(people):
    leads = [capture(i, extra={"budget": "500k+"} if i == 0 else {}) for i in range(3)]
    assert {lead.score_version for lead in leads} == {1}
    model = activate_decay_model(people["admin"])
    assert ScoringModel.objects.get(version=1).status == "retired"
    assert ScoringModel.objects.filter(status="active").get() == model and model.recomputed_at == T0
    assert rules_load().version == 2
    fresh = Lead.objects.in_bulk([lead.pk for lead in leads])
    assert {lead.score_version for lead in fresh.values()} == {2}
    assert fresh[leads[0].pk].fit_score == 65 and fresh[leads[1].pk].fit_score == 50  # budget + vp + size
    snaps = ScoreSnapshot.objects.filter(trigger="recompute")
    assert snaps.count() == 3 and {s.model_version for s in snaps} == {2}


def test_activation_of_a_large_org_leaves_rescoring_to_the_sweep(people):
    leads = [capture(i) for i in range(4)]
    model = activate_decay_model(people["admin"], recompute=False)
    assert model.recomputed_at is None
    assert {Lead.objects.get(pk=lead.pk).score_version for lead in leads} == {1}
    result = scores_refresh(T0 + timedelta(minutes=1), limit=3)  # a sweep rescores at most ``limit`` leads
    assert result == {"due": 0, "stale": 3, "changed": 3}
    assert ScoringModel.objects.get(version=2).recomputed_at is None
    result = sweep(T0 + timedelta(minutes=2))
    assert result["scores_refreshed"] == {"due": 0, "stale": 1, "changed": 1}
    assert {Lead.objects.get(pk=lead.pk).score_version for lead in leads} == {2}
    assert ScoringModel.objects.get(version=2).recomputed_at == T0 + timedelta(minutes=2)
    assert sweep(T0 + timedelta(minutes=3))["scores_refreshed"] == {"due": 0, "stale": 0, "changed": 0}


# --- scoring on events ----------------------------------------------------------------------------------


def test_capture_stores_the_band_the_version_and_the_snapshot_version(people):
    lead = capture(1, source="trial_signup", title="CTO")
    snap = ScoreSnapshot.objects.get(lead=lead)
    assert (lead.score_version, snap.model_version) == (1, 1)
    assert lead.score_band == snap.band and lead.score_band in ("nurture", "sdr_queue", "handoff_ready")
    event = LeadEvent.objects.get(lead=lead, kind="scored")
    assert event.data["version"] == 1 and event.data["band"] == lead.score_band


def test_behaviour_the_model_counts_rescores_the_lead(people):
    lead = capture(1)
    activate_decay_model(people["admin"])
    lead.refresh_from_db()
    assert lead.engagement_score == 0
    clock.set_frozen(T0 + timedelta(hours=1))
    click(lead, T0 + timedelta(minutes=30))
    lead.refresh_from_db()
    assert lead.engagement_score == 10 and lead.score_due_at is not None
    snap = ScoreSnapshot.objects.filter(lead=lead).latest("id")
    assert (snap.trigger, snap.model_version) == ("behaviour", 2)
    [clicked] = [f for f in snap.factors if f["field"] == "behaviour.email_click"]
    assert clicked["count"] == 1 and clicked["half_life_days"] == 7 and 0.99 < clicked["decayed"] <= 1


def test_behaviour_the_model_does_not_count_writes_no_snapshot(people):
    lead = capture(1)
    before = ScoreSnapshot.objects.filter(lead=lead).count()
    clock.set_frozen(T0 + timedelta(hours=1))
    click(lead, T0 + timedelta(minutes=30))  # version 1 counts no e-mail clicks
    assert ScoreSnapshot.objects.filter(lead=lead).count() == before


def test_touches_rescore_with_decay(people):
    lead = capture(1)
    activate_decay_model(people["admin"])
    clock.set_frozen(T0 + timedelta(days=30))
    touch_log(lead, people["sdr"], channel="email", outcome="replied", occurred_at=T0 + timedelta(days=29))
    lead.refresh_from_db()
    assert lead.engagement_score == 15  # one day old of a 30-day half-life: 14.66 → 15


def test_the_sweep_lets_engagement_decay_as_of_its_instant(people):
    lead = capture(1)
    activate_decay_model(people["admin"])
    clock.set_frozen(T0 + timedelta(hours=1))
    for k in range(6):
        click(lead, T0 + timedelta(minutes=10 + k))
    lead.refresh_from_db()
    assert lead.engagement_score == 40  # 6 clicks × 10, capped at 40
    # The first click's due time stays (an earlier pending one is kept: it is only conservative).
    first_due = lead.score_due_at
    assert first_due < T0 + timedelta(hours=6)
    assert scores_refresh(first_due - timedelta(minutes=1)) == {"due": 0, "stale": 0, "changed": 0}
    assert scores_refresh(first_due) == {"due": 1, "stale": 0, "changed": 0}
    lead.refresh_from_db()
    due = lead.score_due_at
    # Capped, the score holds until 6 clicks decay below 4 (7 × log2(6 / 4) = 4.09 days), then half a point.
    assert lead.engagement_score == 40 and T0 + timedelta(days=4.1) < due < T0 + timedelta(days=4.3)
    snaps = ScoreSnapshot.objects.filter(lead=lead).count()
    assert scores_refresh(due - timedelta(minutes=1)) == {"due": 0, "stale": 0, "changed": 0}
    result = scores_refresh(due + timedelta(days=10))
    assert result["due"] == 1 and result["changed"] == 1
    lead.refresh_from_db()
    expected = 10 * sum(0.5 ** (((due + timedelta(days=10)) - (T0 + timedelta(minutes=10 + k))).total_seconds()
                                / 86400 / 7) for k in range(6))  # fmt: skip
    assert lead.engagement_score == int(expected + 0.5)
    assert lead.score_due_at > due + timedelta(days=10)
    # Decay alone writes a snapshot only when the grade or the band moves.
    new_snaps = ScoreSnapshot.objects.filter(lead=lead).count() - snaps
    assert new_snaps == (1 if ScoreSnapshot.objects.filter(lead=lead, trigger="decay").exists() else 0)


def test_importer_style_snapshots_get_the_active_version(db):
    lead = capture(1)
    rows_insert_values(ScoreSnapshot, ("lead_id", "computed_at", "fit", "engagement", "total", "grade", "factors",
                                       "trigger"), [(lead.pk, T0, 1, 2, 3, "D4", [], "imported")], returning=False)  # fmt: skip
    assert ScoreSnapshot.objects.get(trigger="imported").model_version == 1


def test_leads_never_banded_are_banded_by_the_sweep(people):
    lead = capture(1)
    Lead.objects.filter(pk=lead.pk).update(score_band="", score_version=None)  # as an import writes them
    result = sweep(T0 + timedelta(minutes=1))
    assert result["scores_refreshed"]["stale"] == 1
    lead.refresh_from_db()
    assert lead.score_band and lead.score_version == 1


# --- the bulk recompute ----------------------------------------------------------------------------------


def _world(people, n: int):
    leads = []
    for i in range(n):
        lead = capture(i, title=["CEO", "总监", "Engineer", "VP"][i % 4], company_size=[None, 50, 500][i % 3],
                       extra={"budget": "500k+"} if i % 2 else {})  # fmt: skip
        leads.append(lead)
    clock.set_frozen(T0 + timedelta(days=5))
    behaviour_record([BehaviourRequest("email_click", T0 + timedelta(days=k % 5, hours=i), lead_id=lead.pk)
                      for i, lead in enumerate(leads) for k in range(i % 4)], actor=None)  # fmt: skip
    for i, lead in enumerate(leads[: n // 2]):
        touch_log(
            lead, people["sdr"], channel="email", outcome="replied", occurred_at=T0 + timedelta(days=i % 4)
        )
    return leads


def test_the_recompute_gives_what_scoring_one_by_one_gives(people):
    leads = _world(people, 24)
    activate_decay_model(people["admin"], recompute=False)
    at = T0 + timedelta(days=9)
    result = scores_recompute(at=at)
    assert result["leads"] == 24 and result["version"] == 2
    bulk = {lead.pk: lead for lead in Lead.objects.filter(pk__in=[x.pk for x in leads])}
    bulk_snaps = {s.lead_id: s for s in ScoreSnapshot.objects.filter(trigger="recompute")}
    assert len(bulk_snaps) == result["snapshots"] == result["changed"]
    clock.set_frozen(at)
    one_by_one = leads_score([Lead.objects.get(pk=lead.pk) for lead in leads], trigger="check", ats=[at] * 24)
    for lead, score in zip(leads, one_by_one, strict=True):
        b = bulk[lead.pk]
        assert (b.score, b.fit_score, b.engagement_score, b.grade, b.score_band) == (
            score.total,
            score.fit,
            score.engagement,
            score.grade,
            score.band,
        )
        if lead.pk in bulk_snaps:
            assert bulk_snaps[lead.pk].factors == score.factors_as_dicts()
    # Run again at the same instant: nothing changes, nothing is written.
    again = scores_recompute(at=at)
    assert (again["changed"], again["snapshots"], again["written"]) == (0, 0, 0)


def test_the_recompute_costs_the_same_queries_for_10_or_60_leads(people):
    _world(people, 60)
    activate_decay_model(people["admin"], recompute=False)

    def queries(chunk):
        with CaptureQueriesContext(connection) as ctx:
            scores_recompute(at=T0 + timedelta(days=9, minutes=chunk), chunk=chunk)
        return len(ctx.captured_queries)

    # 60 leads in one chunk vs 6 chunks of 10: only per-chunk statements are added, never per lead.
    one, six = queries(1000), queries(10)
    assert one <= 12
    assert six <= one * 6


def test_a_dry_run_writes_nothing_and_other_versions_need_one(people):
    leads = _world(people, 6)
    draft = scoring_model_draft_create(people["admin"])
    scoring_model_update(draft.version, people["admin"], rules=DECAY_RULES)
    before = list(Lead.objects.order_by("pk").values_list("score", "score_version"))
    snaps = ScoreSnapshot.objects.count()
    result = scores_recompute(at=T0 + timedelta(days=6), version=draft.version, dry_run=True)
    assert result["leads"] == len(leads) and result["changed"] > 0 and result["written"] == 0
    assert list(Lead.objects.order_by("pk").values_list("score", "score_version")) == before
    assert ScoreSnapshot.objects.count() == snaps
    with pytest.raises(Conflict, match="only the active version scores leads"):
        scores_recompute(version=draft.version)


def test_merged_leads_are_not_rescored(people):
    a, b = capture(1), capture(2)
    Lead.objects.filter(pk=b.pk).update(merged_into=a)
    activate_decay_model(people["admin"], recompute=False)
    assert scores_recompute()["leads"] == 1
    assert Lead.objects.get(pk=b.pk).score_version == 1


def test_cli_recompute_prints_json_and_refuses_bad_versions(people, capsys):
    _world(people, 5)
    activate_decay_model(people["admin"], recompute=False)
    assert main(["score", "recompute", "--at", "2026-11-12T00:00:00Z", "--json"]) == 0
    out = capsys.readouterr().out
    import json

    result = json.loads(out.strip().splitlines()[-1])
    assert (
        result["ok"]
        and result["leads"] == 5
        and result["version"] == 2
        and result["at"].startswith("2026-11-12")
    )
    assert main(["score", "recompute", "--model", "7", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["code"] == "not_found"
    assert main(["score", "recompute", "--model", "1"]) == 2
    assert "only the active version" in capsys.readouterr().err
    assert main(["score", "recompute", "--model", "1", "--dry-run"]) == 0
    assert "would change" in capsys.readouterr().out
