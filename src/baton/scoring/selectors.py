"""Reads on scoring: the models (anyone signed in may read them: scores must be explainable), a model's
diff against another, a lead's score explained as of now, and predictive scoring: the trained models and
a lead's probability with its top factors (or why predictive scoring is off)."""

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from baton import clock, localcache
from baton.core import scoring as core
from baton.core.errors import InvalidInput, NotFound
from baton.scoring import history
from baton.scoring.models import PredictiveModel, ScoreSnapshot, ScoringModel
from baton.scoring.services import latest_snapshot, lead_score_explain, model_ruleset  # noqa: F401


def scoring_models():
    return ScoringModel.objects.select_related("based_on", "created_by", "activated_by").order_by("-version")


def scoring_model_get(version: int) -> ScoringModel:
    model = scoring_models().filter(version=version).first()
    if model is None:
        raise NotFound(f"there is no scoring model version {version}")
    return model


def active_model() -> ScoringModel:
    model = scoring_models().filter(status=ScoringModel.Status.ACTIVE).first()
    if model is None:
        raise NotFound("there is no active scoring model")
    return model


def draft_model() -> ScoringModel | None:
    return scoring_models().filter(status=ScoringModel.Status.DRAFT).first()


def model_rules(model: ScoringModel) -> list:
    """The model's rules, inactive ones included, in order."""
    return list(model.rules.order_by("position", "id"))


def scoring_model_diff(model: ScoringModel, against: ScoringModel) -> list[dict]:
    """What changes from ``against`` to ``model`` (core.model_diff; active rules only)."""
    return core.model_diff(model_ruleset(against), model_ruleset(model))


def lead_snapshots(lead, limit: int = 20):
    return ScoreSnapshot.objects.filter(lead=lead).order_by("-computed_at", "-id")[:limit]


# --- Predictive scoring ---------------------------------------------------------------------------------


def predictive_models():
    """Trained and refused predictive models, newest first (without the stored model bytes)."""
    return PredictiveModel.objects.defer("model_data").select_related("trained_by", "activated_by")


def predictive_model_get(version: int) -> PredictiveModel:
    record = predictive_models().filter(version=version).first()
    if record is None:
        raise NotFound(f"there is no predictive model version {version}")
    return record


def active_predictive(outcome: str = history.DEFAULT_OUTCOME) -> PredictiveModel | None:
    """The active model of ``outcome`` (cached a few seconds per process; dropped when this process saves
    one)."""
    return localcache.get(
        f"predictive-active-{outcome}",
        lambda: predictive_models().filter(outcome=outcome, status=PredictiveModel.Status.ACTIVE).first(),
    )


def last_refusal(outcome: str | None = None) -> PredictiveModel | None:
    """The latest refused training (of ``outcome``), or None."""
    qs = predictive_models().filter(status=PredictiveModel.Status.REFUSED)
    if outcome is not None:
        qs = qs.filter(outcome=outcome)
    return qs.order_by("-trained_at", "-id").first()


def predictive_off_reason(outcome: str = history.DEFAULT_OUTCOME) -> str:
    """Why no model scores ``outcome``: the latest training's refusal when it was refused, else none active."""
    latest = predictive_models().filter(outcome=outcome).order_by("-trained_at", "-id").first()
    if latest is not None and latest.status == PredictiveModel.Status.REFUSED:
        return latest.fallback_reason
    if latest is None:
        return _(
            "no model has been trained on this team's history yet (Settings → Scoring, or `baton score train`)"
        )
    return _("no predictive model is active")


_loaded: dict[tuple[int, str], object] = {}
_loaded_lock = threading.Lock()


def trained_model(record: PredictiveModel):
    """The record's core ``TrainedModel``, loaded once per process and version; InvalidInput ("retrain
    it") when this installation cannot use it."""
    from baton.core import predictive

    key = (record.version, record.fingerprint)
    model = _loaded.get(key)
    if model is None:
        data = PredictiveModel.objects.filter(pk=record.pk).values_list("model_data", flat=True).first()
        if data is None:
            raise InvalidInput("the stored model is missing; retrain it", code="model_unreadable")
        model = predictive.load_model(bytes(data))
        with _loaded_lock:
            if len(_loaded) >= 4:  # a few versions at most: old ones are not used again
                _loaded.pop(next(iter(_loaded)))
            _loaded[key] = model
    return model


@dataclass(frozen=True)
class Prediction:
    """A lead's probability of ``outcome`` from the active model, or why there is none (``reason``)."""

    outcome: str
    available: bool
    probability: float | None = None
    factors: tuple[dict, ...] = ()
    version: int | None = None
    rows: int = 0
    trained_at: datetime | None = None
    at: datetime | None = None  # the moment of the lead's features (now, or its pending handoff)
    reason: str = ""
    warning: str = ""

    @property
    def percent(self) -> int | None:
        return None if self.probability is None else round(self.probability * 100)

    @property
    def label(self) -> str:
        return str(history.OUTCOME_LABELS[self.outcome])

    def as_dict(self) -> dict:
        return {
            "outcome": self.outcome, "available": self.available,
            "probability": None if self.probability is None else round(self.probability, 4),
            "factors": list(self.factors), "model_version": self.version, "trained_on": self.rows,
            "trained_at": self.trained_at, "as_of": self.at, "reason": self.reason, "warning": self.warning,
        }  # fmt: skip


def _cutoffs(lead_ids: Sequence[int], at: datetime) -> dict[int, datetime]:
    """The moment each lead is scored as of: its pending handoff's creation (what the AE decides on),
    else ``at``. One statement per 500 leads."""
    from baton.dbutil import chunks
    from baton.handoffs.models import Handoff

    out = dict.fromkeys(lead_ids, at)
    for part in chunks(list(lead_ids)):
        pending = Handoff.objects.filter(lead_id__in=part, status=Handoff.Status.PENDING)
        for lead_id, created in pending.values_list("lead_id", "created_at"):
            out[lead_id] = min(created, at)
    return out


def _factors(explanation) -> tuple[dict, ...]:
    return tuple(
        {
            "feature": c.feature,
            "label": history.feature_label(c.feature),
            "value": c.value,
            "value_label": history.value_label(c.feature, c.value),
            "effect": round(c.effect, 4),
        }
        for c in explanation.factors
    )


def _model_or_reason(outcome: str) -> tuple[PredictiveModel | None, object, str]:
    record = active_predictive(outcome)
    if record is None:
        return None, None, predictive_off_reason(outcome)
    try:
        return record, trained_model(record), ""
    except InvalidInput as exc:
        return None, None, _("the active model (version %(v)s) cannot be used: %(why)s") % {
            "v": record.version, "why": exc.message}  # fmt: skip


def lead_probability(
    lead, outcome: str = history.DEFAULT_OUTCOME, *, at: datetime | None = None, top: int = 5
) -> Prediction:
    """The lead's probability of ``outcome`` and the fields that move it most (core ``explain``), as of
    now (or its pending handoff); when no model is active, why (rule scoring alone scores the lead)."""
    history.check_outcome(outcome)
    record, model, reason = _model_or_reason(outcome)
    if record is None:
        return Prediction(outcome, False, reason=reason)
    cutoff = _cutoffs([lead.pk], at or clock.now())[lead.pk]
    row = history.lead_features([(lead.pk, cutoff)])[lead.pk]
    explanation = model.explain(row, top=top)
    return Prediction(outcome, True, explanation.probability, _factors(explanation), record.version, record.rows,
                      record.trained_at, cutoff, warning=explanation.warning)  # fmt: skip


def leads_probability(
    leads: Iterable, outcome: str = history.DEFAULT_OUTCOME, *, at: datetime | None = None
) -> dict[int, Prediction]:
    """Lead id → probability (no factors) for many leads: their features in a few statements per 500
    leads, one prediction call. Without an active model every lead gets the reason instead."""
    history.check_outcome(outcome)
    ids = list(dict.fromkeys(getattr(lead, "pk", lead) for lead in leads))
    record, model, reason = _model_or_reason(outcome)
    if record is None:
        off = Prediction(outcome, False, reason=reason)
        return dict.fromkeys(ids, off)
    cutoffs = _cutoffs(ids, at or clock.now())
    rows = history.lead_features(cutoffs.items())
    found = [pk for pk in ids if pk in rows]
    probabilities = model.predict([rows[pk] for pk in found])
    return {
        pk: Prediction(outcome, True, p, (), record.version, record.rows, record.trained_at, cutoffs[pk])
        for pk, p in zip(found, probabilities, strict=True)
    }
