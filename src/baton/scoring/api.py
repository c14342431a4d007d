"""Scoring API: /api/v1/scoring/models (versioned models: list, read, draft, edit, diff, activate),
/api/v1/leads/{id}/score (a lead's score explained as of now), /api/v1/scoring/predictive/… (models
trained on the team's history: list, read, train, activate, retire) and /api/v1/leads/{id}/prediction."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from baton.leads.selectors import lead_get
from baton.scoring import selectors, services
from baton.scoring.models import ScoringModel

router = Router(tags=["scoring"])
lead_router = Router(tags=["scoring"])


class RuleOut(Schema):
    kind: str
    field: str
    op: str
    value: Any
    points: int
    cap: int | None
    half_life_days: float | None
    label: str
    active: bool


class ModelSummaryOut(Schema):
    version: int
    name: str
    status: str
    based_on: int | None
    created_at: datetime
    created_by: str | None
    activated_at: datetime | None
    retired_at: datetime | None
    recomputed_at: datetime | None


class ModelOut(ModelSummaryOut):
    notes: str
    rules: list[RuleOut]
    grades: dict = Field(..., description='cut-offs: {"fit": [A, B, C], "engagement": [1, 2, 3]}')
    bands: list[dict] = Field(
        ..., description="lifecycle thresholds in order: band, fit, engagement, min_total"
    )


class DraftIn(Schema):
    from_version: int | None = Field(None, description="copy this version (default: the active one)")
    name: str = Field("", max_length=120)
    notes: str = Field("", max_length=5000)

    model_config = {"extra": "forbid"}


class ModelUpdateIn(Schema):
    name: str | None = Field(None, max_length=120)
    notes: str | None = Field(None, max_length=5000)
    rules: list[dict[str, Any]] | None = Field(
        None, description="replaces all rules, in order: kind, field, op, value, points, label, cap, "
                          "half_life_days, active"
    )  # fmt: skip
    grades: dict[str, Any] | None = None
    bands: list[dict[str, Any]] | None = None

    model_config = {"extra": "forbid"}


class ActivateIn(Schema):
    recompute: bool | None = Field(
        None, description="rescore every lead now (default: when there are few; else the worker's sweep does)"
    )

    model_config = {"extra": "forbid"}


class ActivateOut(Schema):
    model: ModelOut
    recompute: dict | None


class ChangeOut(Schema):
    what: str
    label: str
    kind: str | None = None
    changes: dict


class FactorOut(Schema):
    kind: str
    label: str
    points: float
    field: str
    count: int | None = None
    decayed: float | None = None
    half_life_days: float | None = None


class LeadScoreOut(Schema):
    lead_id: int
    at: datetime
    version: int | None
    fit: int
    engagement: int
    total: int
    grade: str
    band: str
    band_reason: str
    factors: list[FactorOut]
    stored: dict = Field(..., description="the lead's stored columns: score, grade, band, version, due_at")


def _summary(m: ScoringModel) -> dict:
    return {
        "version": m.version, "name": m.name, "status": m.status,
        "based_on": m.based_on.version if m.based_on_id else None, "created_at": m.created_at,
        "created_by": m.created_by.username if m.created_by_id else None, "activated_at": m.activated_at,
        "retired_at": m.retired_at, "recomputed_at": m.recomputed_at,
    }  # fmt: skip


def model_out(m: ScoringModel) -> dict:
    return {
        **_summary(m),
        "notes": m.notes,
        "rules": [
            {
                "kind": r.kind,
                "field": r.field,
                "op": r.op,
                "value": r.value,
                "points": r.points,
                "cap": r.cap,
                "half_life_days": r.half_life_days,
                "label": r.label,
                "active": r.active,
            }
            for r in selectors.model_rules(m)
        ],  # fmt: skip
        "grades": {"fit": list(m.grades.fit), "engagement": list(m.grades.engagement)},
        "bands": m.bands,
    }


@router.get("/models", response=list[ModelSummaryOut], summary="Scoring model versions, newest first")
def models_list(request: HttpRequest):
    return [_summary(m) for m in selectors.scoring_models()]


@router.get("/models/active", response=ModelOut, summary="The active scoring model")
def model_active(request: HttpRequest):
    return model_out(selectors.active_model())


@router.get("/models/{version}", response=ModelOut, summary="One scoring model version")
def model_get(request: HttpRequest, version: int):
    return model_out(selectors.scoring_model_get(version))


@router.post("/models", response={201: ModelOut}, summary="Start a draft: a copy of the active version")
def model_draft_create(request: HttpRequest, payload: DraftIn):
    m = services.scoring_model_draft_create(
        request.user, from_version=payload.from_version, name=payload.name, notes=payload.notes
    )
    return Status(201, model_out(selectors.scoring_model_get(m.version)))


@router.put("/models/{version}", response=ModelOut, summary="Change a draft (what is given replaces)")
def model_update(request: HttpRequest, version: int, payload: ModelUpdateIn):
    services.scoring_model_update(version, request.user, **payload.model_dump(exclude_unset=True))
    return model_out(selectors.scoring_model_get(version))


@router.put("/models/{version}/rules", response=ModelOut, summary="Replace a draft's rules")
def model_rules_update(request: HttpRequest, version: int, payload: list[dict[str, Any]]):
    services.scoring_model_update(version, request.user, rules=payload)
    return model_out(selectors.scoring_model_get(version))


@router.delete("/models/{version}", response={204: None}, summary="Discard a draft")
def model_discard(request: HttpRequest, version: int):
    services.scoring_model_discard(version, request.user)
    return Status(204, None)


@router.get("/models/{version}/diff", response=list[ChangeOut], summary="What a version changes from another")
def model_diff(request: HttpRequest, version: int, against: int | None = None):
    model = selectors.scoring_model_get(version)
    other = selectors.active_model() if against is None else selectors.scoring_model_get(against)
    return selectors.scoring_model_diff(model, other)


@router.post(
    "/models/{version}/activate", response=ActivateOut, summary="Activate a draft (retires the active)"
)
def model_activate(request: HttpRequest, version: int, payload: ActivateIn | None = None):
    m, result = services.scoring_model_activate(
        version, request.user, recompute=payload.recompute if payload else None
    )
    return {"model": model_out(selectors.scoring_model_get(m.version)), "recompute": result}


@lead_router.get("/{lead_id}/score", response=LeadScoreOut, summary="The lead's score, explained, as of now")
def lead_score(request: HttpRequest, lead_id: int):
    from baton import clock

    lead = lead_get(request.user, lead_id)
    at = clock.now()
    s = services.lead_score_explain(lead, at=at)
    return {
        "lead_id": lead.pk, "at": at, "version": s.version, "fit": s.fit, "engagement": s.engagement,
        "total": s.total, "grade": s.grade, "band": s.band, "band_reason": s.band_reason,
        "factors": s.factors_as_dicts(),
        "stored": {"score": lead.score, "grade": lead.grade, "band": lead.score_band, "version": lead.score_version,
                   "due_at": lead.score_due_at.isoformat() if lead.score_due_at else None},
    }  # fmt: skip


# --- Predictive models ----------------------------------------------------------------------------------


class PredictiveSummaryOut(Schema):
    version: int | None
    outcome: str
    status: str
    as_of: datetime
    trained_at: datetime
    trained_by: str | None
    rows: int
    positives: int
    train_rows: int
    test_rows: int
    roc_auc: float | None
    baseline_roc_auc: float | None
    fallback_reason: str
    activated_at: datetime | None
    retired_at: datetime | None


class PredictiveOut(PredictiveSummaryOut):
    params: dict
    report: dict = Field(
        ..., description="the hold-out report: roc_auc, pr_auc, brier, calibration, baseline_…"
    )
    fingerprint: str
    sklearn_version: str


class TrainIn(Schema):
    outcome: str = Field("accepted", description="accepted, opportunity or won")
    as_of: datetime | None = Field(None, description="use the outcomes decided by this instant (default now)")
    activate: bool = False
    window_days: int | None = Field(None, description="opportunity: days after the handoff (default 30)")

    model_config = {"extra": "forbid"}


class PredictionOut(Schema):
    outcome: str
    available: bool
    probability: float | None
    factors: list[dict]
    model_version: int | None
    trained_on: int
    trained_at: datetime | None
    as_of: datetime | None
    reason: str
    warning: str


def _predictive_summary(m) -> dict:
    report = m.report or {}
    return {
        "version": m.version, "outcome": m.outcome, "status": m.status, "as_of": m.as_of, "trained_at": m.trained_at,
        "trained_by": m.trained_by.username if m.trained_by_id else None, "rows": m.rows, "positives": m.positives,
        "train_rows": m.train_rows, "test_rows": m.test_rows, "roc_auc": report.get("roc_auc"),
        "baseline_roc_auc": report.get("baseline_roc_auc"), "fallback_reason": m.fallback_reason,
        "activated_at": m.activated_at, "retired_at": m.retired_at,
    }  # fmt: skip


def _predictive_out(m) -> dict:
    return {**_predictive_summary(m), "params": m.params, "report": m.report, "fingerprint": m.fingerprint,
            "sklearn_version": m.sklearn_version}  # fmt: skip


@router.get("/predictive/models", response=list[PredictiveSummaryOut],
            summary="Predictive models (trained and refused trainings), newest first")  # fmt: skip
def predictive_list(request: HttpRequest, outcome: str | None = None):
    qs = selectors.predictive_models()
    if outcome:
        qs = qs.filter(outcome=outcome)
    return [_predictive_summary(m) for m in qs[:100]]


@router.get(
    "/predictive/models/{version}", response=PredictiveOut, summary="One predictive model and its report"
)
def predictive_get(request: HttpRequest, version: int):
    return _predictive_out(selectors.predictive_model_get(version))


@router.post(
    "/predictive/train", response={201: PredictiveOut, 422: dict},
    summary="Train on the team's history (ops admins); 422 with the reason when the history is too small",
)  # fmt: skip
def predictive_train(request: HttpRequest, payload: TrainIn):
    record = services.predictive_model_train(payload.outcome, actor=request.user, as_of=payload.as_of,
                                             activate=payload.activate, window_days=payload.window_days,
                                             max_rows=services.SYNC_TRAIN_MAX)  # fmt: skip
    if record.status == record.Status.REFUSED:
        return Status(422, {"error": record.fallback_code or "insufficient_history", "detail": record.fallback_reason,
                            "fallback": "rules", "outcome": record.outcome, "rows": record.rows,
                            "positives": record.positives})  # fmt: skip
    return Status(201, _predictive_out(record))


@router.post("/predictive/models/{version}/activate", response=PredictiveSummaryOut,
             summary="Score leads with this model (ops admins); the active one of its outcome is retired")  # fmt: skip
def predictive_activate(request: HttpRequest, version: int):
    services.predictive_model_activate(version, request.user)
    return _predictive_summary(selectors.predictive_model_get(version))


@router.post("/predictive/models/{version}/retire", response=PredictiveSummaryOut,
             summary="Switch an active model off (ops admins): rules only")  # fmt: skip
def predictive_retire(request: HttpRequest, version: int):
    services.predictive_model_retire(version, request.user)
    return _predictive_summary(selectors.predictive_model_get(version))


@lead_router.get("/{lead_id}/prediction", response=PredictionOut,
                 summary="The lead's probability and top factors from the active predictive model, or why not")  # fmt: skip
def lead_prediction(request: HttpRequest, lead_id: int, outcome: str = "accepted"):
    lead = lead_get(request.user, lead_id)
    return selectors.lead_probability(lead, outcome).as_dict()
