"""Reads on scoring: the models (anyone signed in may read them: scores must be explainable), a model's
diff against another, and a lead's score explained as of now."""

from baton.core import scoring as core
from baton.core.errors import NotFound
from baton.scoring.models import ScoreSnapshot, ScoringModel
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
