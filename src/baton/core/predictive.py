"""Predictive lead scoring (spec §4.3): a model learned from the team's own history, honestly evaluated.

Generic over a table: rows are mappings of column name → text (or None), outcomes are 0/1. Nothing here
knows what a column means; the same pipeline runs on our leads and on any labelled export.

- **Typing** (learned from the training rows only): a column is *numeric* when (nearly) all its present
  values are numbers, else *categorical*. Dropped, each with its reason: columns that are always empty,
  constant or almost constant, identifiers (distinct whole numbers), free text (mostly distinct values),
  and the columns the caller excludes (e.g. fields filled in after the outcome is known, which leak it).
- **Missing values**: empty cells and placeholder tokens (``MISSING_TOKENS``: "", "NA", "null", "Select"…,
  compared case-insensitively) are missing. A numeric column with missing values gets a missing
  indicator column; a categorical one keeps "missing" as a branch of its own in every split.
- **Categories** are compared case- and space-insensitively; values seen in fewer than
  ``min_category_count`` training rows, and values never seen (at prediction), become "other".
- **Model**: gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier with native
  categorical support), fixed parameters and ``random_state``: the same data gives the same model.
- **Baseline**: naive Bayes over per-field value frequencies among won vs lost with Laplace smoothing, the
  approach of Odoo's predictive lead scoring (numeric fields binned into training quantiles; a field
  without a value adds no evidence).
- **Report**: ROC AUC, PR AUC (average precision), Brier score and a 10-bin calibration table on the
  hold-out, for the model and the baseline trained on the same split; global factors (permutation
  importance on the hold-out); per-lead factors (the change in probability when one field is replaced by
  the values of typical past leads).
- **Minimum history**: fewer than ``min_rows`` labelled rows, fewer than ``min_minority`` of either outcome,
  a single outcome or no usable column raise ``InvalidInput``; ``fallback_reason`` tells the product
  when to keep rule scoring, and why, without raising.
"""

import hashlib
import json
import math
import pickle
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

from baton.core.errors import InvalidInput

MISSING_TOKENS = ("", "na", "n/a", "#n/a", "null", "none", "nil", "nan", "select", "-", "--", "?")
POSITIVE = ("1", "true", "t", "yes", "y", "won", "win", "converted", "success", "positive")
NEGATIVE = ("0", "false", "f", "no", "n", "lost", "lose", "not converted", "failure", "negative")
NUMERIC, CATEGORICAL = "numeric", "categorical"
MODEL_FORMAT = 1
MISSING, OTHER = "(missing)", "(other)"
LEAK_AUC = 0.9  # one field alone separating the outcomes this well on the hold-out is suspicious


@dataclass(frozen=True)
class Settings:
    missing_tokens: tuple[str, ...] = MISSING_TOKENS
    min_rows: int = 200  # labelled rows, both outcomes together
    min_minority: int = 30  # rows of the rarer outcome
    min_category_count: int = 10  # rarer values become "other"
    max_levels: int = 100  # most frequent values kept per categorical column
    numeric_share: float = 0.98  # of present values that must parse as numbers for a numeric column
    id_distinct_share: float = 0.95  # whole numbers this distinct: an identifier
    text_distinct_share: float = 0.5  # text values this distinct: free text or an identifier
    quantile_bins: int = 10  # baseline: numeric fields binned into training quantiles
    reference_rows: int = 100  # per-lead explanations: typical past leads to compare with


SETTINGS = Settings()
PARAMS = {
    "learning_rate": 0.05,
    "max_iter": 300,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 20,
    "l2_regularization": 1.0,
    "max_features": 0.5,  # each split looks at a random half of the columns: less reliance on any one
    "early_stopping": False,  # a fixed number of rounds: no data held back, the same model every time
}


def _one_thread():
    """One OpenMP thread for the trees: on a busy machine (web workers, tests) more threads spin and
    wait for each other, several times slower than one; results are the same either way."""
    return threadpool_limits(limits=1, user_api="openmp")


# ---------------------------------------------------------------------------------------------- cells


def _clean(value: Any, missing: frozenset[str]) -> str | None:
    """A cell as trimmed text with single spaces, or None when it is empty or a placeholder."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = " ".join(str(value).split())
    return None if text.casefold() in missing else text


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _number(text: str) -> float | None:
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _key(text: str) -> str:
    return text.casefold()


# ---------------------------------------------------------------------------------------------- labels


def parse_outcome(
    value: Any, *, positive: str | None = None, missing: Sequence[str] = MISSING_TOKENS
) -> int | None:
    """1, 0, or None for an unlabelled row; InvalidInput for a value that is not an outcome.

    Accepted (case-insensitive): 1/0 (also 1.0/0.0), true/false, t/f, yes/no, y/n, won/lost, win/lose,
    converted/not converted, success/failure, positive/negative. With ``positive`` given, that value is 1 and
    every other present value 0 (for outcomes such as "Closed Won" / "Closed Lost" / "Disqualified").
    """
    text = _clean(value, frozenset(m.casefold() for m in missing))
    if text is None:
        return None
    key = _key(text)
    if positive is not None:
        return int(key == _key(" ".join(positive.split())))
    if key in POSITIVE:
        return 1
    if key in NEGATIVE:
        return 0
    number = _number(text)
    if number in (0.0, 1.0):
        return int(number)
    raise InvalidInput(f"{text!r} is not an outcome", code="invalid_outcome")


def parse_outcomes(
    values: Sequence[Any], *, positive: str | None = None, column: str = "outcome"
) -> list[int | None]:
    """Every value parsed; one InvalidInput naming the column and up to five of the values it cannot read."""
    out: list[int | None] = []
    bad: Counter[str] = Counter()
    for value in values:
        try:
            out.append(parse_outcome(value, positive=positive))
        except InvalidInput:
            bad[" ".join(str(value).split())] += 1
            out.append(None)
    if bad:
        shown = ", ".join(f"{v!r} ({n}×)" for v, n in bad.most_common(5))
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise InvalidInput(
            f"the outcome column {column!r} has values that are not a yes/no outcome: {shown}{more}. "
            "Use 1/0, true/false, yes/no or won/lost, or name the value that counts as a success.",
            code="invalid_outcome",
            details={"column": column, "values": [v for v, _ in bad.most_common(20)]},
        )
    return out


# ---------------------------------------------------------------------------------------------- history


def fallback_reason(labels: Sequence[int], settings: Settings = SETTINGS) -> str | None:
    """Why predictive scoring cannot be trained on these outcomes (rule scoring stays), or None if it can."""
    n = len(labels)
    positives = int(sum(labels))
    negatives = n - positives
    if n == 0:
        return "no lead has a known outcome yet"
    if positives == 0 or negatives == 0:
        which = "positive" if negatives == 0 else "negative"
        return (
            f"all {n} labelled rows have the same outcome ({which}); a model needs examples of both outcomes"
        )
    if n < settings.min_rows:
        return (
            f"only {n} labelled rows; predictive scoring needs at least {settings.min_rows} "
            f"(and {settings.min_minority} of each outcome)"
        )
    if min(positives, negatives) < settings.min_minority:
        which = "positive" if positives < negatives else "negative"
        return (
            f"only {min(positives, negatives)} {which} outcomes among {n} rows; predictive scoring needs at "
            f"least {settings.min_minority} of each"
        )
    return None


def check_history(labels: Sequence[int], settings: Settings = SETTINGS) -> None:
    reason = fallback_reason(labels, settings)
    if reason is not None:
        positives = int(sum(labels))
        single = len(labels) and positives in (0, len(labels))
        raise InvalidInput(
            reason + " — rule scoring is used until then",
            code="single_outcome" if single else "insufficient_history",
            details={"rows": len(labels), "positives": positives},
        )


# ---------------------------------------------------------------------------------------------- features


@dataclass(frozen=True)
class Feature:
    name: str
    kind: str  # NUMERIC | CATEGORICAL
    levels: tuple[str, ...] = ()  # categorical: normalised values kept (code = position); others → "other"
    labels: tuple[str, ...] = ()  # their most common spelling, for people
    indicator: bool = False  # numeric: a "missing" indicator column follows the value
    missing_share: float = 0.0
    note: str = ""

    def as_dict(self) -> dict:
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "missing_share": round(self.missing_share, 4),
        }
        if self.kind == CATEGORICAL:
            out["levels"] = len(self.levels)
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Dropped:
    name: str
    reason: str


@dataclass(frozen=True)
class FeatureSpec:
    features: tuple[Feature, ...]
    dropped: tuple[Dropped, ...]
    missing_tokens: tuple[str, ...] = MISSING_TOKENS

    @property
    def fingerprint(self) -> str:
        """Changes whenever the encoding changes: a stored model is only used with rows encoded its way."""
        payload = {
            "format": MODEL_FORMAT,
            "missing": list(self.missing_tokens),
            "features": [[f.name, f.kind, list(f.levels), f.indicator] for f in self.features],
        }
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()[:16]

    def layout(self) -> list[list[int]]:
        """The matrix columns of each feature (a numeric feature with an indicator has two)."""
        out, at = [], 0
        for f in self.features:
            width = 2 if f.indicator else 1
            out.append(list(range(at, at + width)))
            at += width
        return out

    def categorical_mask(self) -> list[bool]:
        mask: list[bool] = []
        for f in self.features:
            mask.append(f.kind == CATEGORICAL)
            if f.indicator:
                mask.append(False)
        return mask

    def encode(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """The model's matrix: numbers, category codes (``len(levels)`` = other), NaN for missing.

        Unknown columns are ignored, absent ones are missing, unseen categories are "other", text in a
        numeric column is missing: never an error.
        """
        missing = frozenset(self.missing_tokens)
        width = sum(len(cols) for cols in self.layout())
        X = np.full((len(rows), width), np.nan)
        for f, cols in zip(self.features, self.layout(), strict=True):
            j = cols[0]
            codes = {level: i for i, level in enumerate(f.levels)}
            other = len(f.levels)
            for i, row in enumerate(rows):
                text = _clean(row.get(f.name), missing)
                if text is None:
                    if f.indicator:
                        X[i, j + 1] = 1.0
                    continue
                if f.kind == NUMERIC:
                    x = _number(text)
                    if x is None:
                        if f.indicator:
                            X[i, j + 1] = 1.0
                        continue
                    X[i, j] = x
                    if f.indicator:
                        X[i, j + 1] = 0.0
                else:
                    X[i, j] = codes.get(_key(text), other)
        return X

    def display(self, feature: Feature, row: Mapping[str, Any]) -> str:
        """A row's value of a feature as the model sees it: the value, "(missing)" or "(other) value"."""
        text = _clean(row.get(feature.name), frozenset(self.missing_tokens))
        if text is None:
            return MISSING
        if feature.kind == NUMERIC:
            return text if _number(text) is not None else f"{MISSING} {text}"
        if _key(text) not in feature.levels:
            return f"{OTHER} {text}"
        return text


def _columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for name in row:
            seen.setdefault(name, None)
    return list(seen)


def infer_spec(
    rows: Sequence[Mapping[str, Any]], *, exclude: Sequence[str] = (), settings: Settings = SETTINGS
) -> FeatureSpec:
    """Which columns the model uses and how, learned from (training) rows; the others with a reason."""
    missing = frozenset(t.casefold() for t in settings.missing_tokens)
    excluded = set(exclude)
    features: list[Feature] = []
    dropped: list[Dropped] = []
    n = len(rows)
    for name in _columns(rows):
        if name in excluded:
            dropped.append(Dropped(name, "excluded by request"))
            continue
        cells = [_clean(row.get(name), missing) for row in rows]
        present = [c for c in cells if c is not None]
        result = _type_column(name, present, n, settings)
        (dropped if isinstance(result, Dropped) else features).append(result)
    return FeatureSpec(tuple(features), tuple(dropped), tuple(t.casefold() for t in settings.missing_tokens))


def _type_column(name: str, present: list[str], n: int, settings: Settings) -> Feature | Dropped:
    if not present:
        return Dropped(name, "always empty")
    n_missing = n - len(present)
    numbers = [_number(c) for c in present]
    values = [x for x in numbers if x is not None]
    small = settings.min_category_count
    if len(values) >= settings.numeric_share * len(present):
        counts = Counter(values)
        top_value, top = counts.most_common(1)[0]
        if len(counts) == 1 and not n_missing:
            return Dropped(name, f"constant ({top_value:g})")
        distinct = len(counts) >= settings.id_distinct_share * len(values)
        if len(values) >= 50 and distinct and all(x.is_integer() for x in values):
            return Dropped(name, f"identifier: {len(counts)} distinct whole numbers in {len(values)} rows")
        if max(top, n_missing) > n - small:
            return Dropped(name, _almost_constant(n, top, n_missing))
        skipped = len(present) - len(values)
        note = f"{_plural(skipped, 'non-numeric value')} read as missing" if skipped else ""
        return Feature(
            name, NUMERIC, indicator=n - len(values) > 0, missing_share=(n - len(values)) / n, note=note
        )
    counts = Counter(_key(c) for c in present)
    if len(counts) == 1 and not n_missing:
        return Dropped(name, f"constant ({present[0]!r})")
    if len(present) >= 50 and len(counts) > settings.text_distinct_share * len(present):
        return Dropped(name, f"free text or identifier: {len(counts)} distinct values in {len(present)} rows")
    kept = [(k, c) for k, c in counts.most_common(settings.max_levels) if c >= small]
    if not kept:
        return Dropped(name, f"every value is rare (fewer than {small} rows each)")
    other = len(present) - sum(c for _, c in kept)
    if max(kept[0][1], other, n_missing) > n - small:
        return Dropped(name, _almost_constant(n, max(kept[0][1], other), n_missing))
    spelling: dict[str, Counter[str]] = {}
    for c in present:
        spelling.setdefault(_key(c), Counter())[c] += 1
    levels = tuple(k for k, _ in kept)
    labels = tuple(spelling[k].most_common(1)[0][0] for k in levels)
    rare = len(counts) - len(kept)
    note = f"{_plural(rare, 'rare value')} grouped as other" if rare else ""
    return Feature(name, CATEGORICAL, levels, labels, missing_share=n_missing / n, note=note)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _almost_constant(n: int, top: int, n_missing: int) -> str:
    if n_missing >= top:
        return f"almost always empty: {_plural(n - n_missing, 'row')} with a value"
    return f"almost constant: all but {_plural(n - top, 'row')} share one value"


# ---------------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Contribution:
    feature: str
    value: str  # the lead's value as the model saw it ("(missing)", "(other) …" or the value)
    effect: float  # probability points: this value vs typical past leads' values of the field

    def as_dict(self) -> dict:
        return {"feature": self.feature, "value": self.value, "effect": round(self.effect, 4)}


@dataclass(frozen=True)
class Explanation:
    probability: float
    factors: tuple[Contribution, ...]
    known_fields: int  # features with a value in this row
    warning: str = ""

    def as_dict(self) -> dict:
        out = {
            "probability": round(self.probability, 4),
            "factors": [c.as_dict() for c in self.factors],
            "known_fields": self.known_fields,
        }
        if self.warning:
            out["warning"] = self.warning
        return out


@dataclass
class TrainedModel:
    spec: FeatureSpec
    estimator: HistGradientBoostingClassifier
    reference: np.ndarray  # encoded rows of typical past leads, for explanations
    rows: int
    positives: int
    sklearn_version: str = field(default=sklearn.__version__)

    @property
    def fingerprint(self) -> str:
        return self.spec.fingerprint

    def predict_matrix(self, X: np.ndarray) -> np.ndarray:
        if len(X) == 0:
            return np.zeros(0)
        with _one_thread():
            return self.estimator.predict_proba(X)[:, 1]

    def predict(self, rows: Sequence[Mapping[str, Any]]) -> list[float]:
        """The probability of a positive outcome for each row."""
        return [float(p) for p in self.predict_matrix(self.spec.encode(rows))]

    def explain(self, row: Mapping[str, Any], top: int = 5) -> Explanation:
        """The probability and the fields that move it most.

        A field's effect is the probability of this lead minus the mean probability of the same lead with
        that one field replaced by the values of typical past leads (a fixed sample of the training rows):
        positive when the lead's value raises its chances. Missing counts as a value too.
        """
        x = self.spec.encode([row])[0]
        p = float(self.predict_matrix(x[None, :])[0])
        layout = self.spec.layout()
        R = self.reference
        batch = np.tile(x, (len(layout) * len(R), 1))
        for k, cols in enumerate(layout):
            batch[k * len(R) : (k + 1) * len(R), cols] = R[:, cols]
        means = self.predict_matrix(batch).reshape(len(layout), len(R)).mean(axis=1)
        effects = p - means
        order = sorted(range(len(layout)), key=lambda k: (-abs(effects[k]), k))
        factors = tuple(
            Contribution(
                self.spec.features[k].name, self.spec.display(self.spec.features[k], row), float(effects[k])
            )
            for k in order[:top]
            if abs(effects[k]) >= 0.0005
        )
        known = sum(not math.isnan(x[cols[0]]) for cols in layout)
        warning = (
            "" if known else "no field of this lead is known: the probability rests on missing values alone"
        )
        return Explanation(p, factors, known, warning)

    def dumps(self) -> bytes:
        """Bytes to store (e.g. in the database); ``load_model`` reads them back."""
        payload = {
            "format": MODEL_FORMAT,
            "sklearn": self.sklearn_version,
            "fingerprint": self.fingerprint,
            "model": self,
        }
        return pickle.dumps(payload, protocol=5)


def load_model(data: bytes) -> TrainedModel:
    """A model stored by ``TrainedModel.dumps``; InvalidInput when it must be retrained instead."""
    try:
        payload = pickle.loads(data)  # noqa: S301 -- only bytes that dumps() wrote to our own storage
    except Exception as exc:
        raise InvalidInput(f"the stored model cannot be read ({exc}); retrain it", code="model_unreadable")
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise InvalidInput("the stored model has another format; retrain it", code="model_unreadable")
    if payload["sklearn"] != sklearn.__version__:
        raise InvalidInput(
            f"the stored model was trained with scikit-learn {payload['sklearn']}, this is "
            f"{sklearn.__version__}; retrain it",
            code="model_outdated",
        )
    model = payload["model"]
    if model.fingerprint != payload["fingerprint"]:
        raise InvalidInput(
            "the stored model does not match its feature list; retrain it", code="model_unreadable"
        )
    return model


def _fit_matrix(
    spec: FeatureSpec, X: np.ndarray, y: np.ndarray, *, seed: int, settings: Settings
) -> TrainedModel:
    mask = spec.categorical_mask()
    estimator = HistGradientBoostingClassifier(
        categorical_features=mask if any(mask) else None, random_state=seed, **PARAMS
    )
    with _one_thread():
        estimator.fit(X, y)
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(X), size=min(settings.reference_rows, len(X)), replace=False))
    return TrainedModel(spec, estimator, X[pick].copy(), rows=len(y), positives=int(y.sum()))


def _require_features(spec: FeatureSpec) -> None:
    if not spec.features:
        reasons = "; ".join(f"{d.name}: {d.reason}" for d in spec.dropped[:10]) or "the table has no columns"
        raise InvalidInput(f"no usable column to learn from ({reasons})", code="no_features")


def train(
    rows: Sequence[Mapping[str, Any]],
    labels: Sequence[int],
    *,
    exclude: Sequence[str] = (),
    seed: int = 1,
    settings: Settings = SETTINGS,
) -> TrainedModel:
    """A model trained on all the history (for scoring new leads); InvalidInput below the minimum."""
    if len(rows) != len(labels):
        raise InvalidInput(f"{len(rows)} rows but {len(labels)} outcomes", code="invalid_input")
    y = np.asarray(labels, dtype=int)
    check_history(list(y), settings)
    spec = infer_spec(rows, exclude=exclude, settings=settings)
    _require_features(spec)
    return _fit_matrix(spec, spec.encode(rows), y, seed=seed, settings=settings)


# ---------------------------------------------------------------------------------------------- baseline


@dataclass
class NaiveBayes:
    """Odoo's predictive lead scoring: P(won | values) ∝ P(won) · Π P(value | won), Laplace-smoothed.

    Per field, the frequency of each value among won and among lost training rows; a field without a value
    adds no evidence. Numeric fields are binned into training quantiles first.
    """

    spec: FeatureSpec
    edges: dict[int, np.ndarray]  # feature index → quantile edges (numeric features)
    log_ratio: list[dict[float, float]]  # per feature: value → log P(v|won) − log P(v|lost)
    prior: float  # log P(won) − log P(lost)

    @classmethod
    def fit(
        cls, spec: FeatureSpec, X: np.ndarray, y: np.ndarray, *, bins: int = 10, alpha: float = 1.0
    ) -> "NaiveBayes":
        won, lost = int(y.sum()), int(len(y) - y.sum())
        edges: dict[int, np.ndarray] = {}
        tables: list[dict[float, float]] = []
        for k, cols in enumerate(spec.layout()):
            column = X[:, cols[0]]
            if spec.features[k].kind == NUMERIC:
                present = column[~np.isnan(column)]
                quantiles = np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1]) if len(present) else []
                edges[k] = np.unique(quantiles)
            values = cls._values(edges.get(k), column)
            seen = ~np.isnan(values)
            kinds = np.unique(values[seen])
            size = len(kinds) + 1  # + one for values never seen in training
            table = {}
            for v in kinds:
                at = values == v
                w, l_ = int((at & (y == 1)).sum()), int((at & (y == 0)).sum())
                table[float(v)] = math.log((w + alpha) / (won + alpha * size)) - math.log(
                    (l_ + alpha) / (lost + alpha * size)
                )
            tables.append(table)
        return cls(spec, edges, tables, math.log(won) - math.log(lost))

    @staticmethod
    def _values(edges: np.ndarray | None, column: np.ndarray) -> np.ndarray:
        if edges is None:
            return column
        binned = np.searchsorted(edges, column, side="right").astype(float)
        binned[np.isnan(column)] = np.nan
        return binned

    def field_scores(self, X: np.ndarray) -> np.ndarray:
        """Each field's log-odds evidence per row (rows × features); 0 where the field adds none."""
        out = np.zeros((len(X), len(self.log_ratio)))
        for k, cols in enumerate(self.spec.layout()):
            values = self._values(self.edges.get(k), X[:, cols[0]])
            table = self.log_ratio[k]
            out[:, k] = [table.get(float(v), 0.0) if not math.isnan(v) else 0.0 for v in values]
        return out

    def predict_matrix(self, X: np.ndarray) -> np.ndarray:
        logit = self.prior + self.field_scores(X).sum(axis=1)
        return 1.0 / (1.0 + np.exp(-np.clip(logit, -500, 500)))


# ---------------------------------------------------------------------------------------------- splits


def _check_holdout(holdout: float) -> None:
    if not 0.05 <= holdout <= 0.5:
        raise InvalidInput(
            f"the hold-out must be between 5% and 50% of the rows, not {holdout:g}", code="invalid_input"
        )


def stratified_split(
    labels: Sequence[int], holdout: float = 0.3, seed: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test row indexes: a random ``holdout`` share for testing, with the outcome rate kept."""
    _check_holdout(holdout)
    index = np.arange(len(labels))
    try:
        train_idx, test_idx = train_test_split(
            index, test_size=holdout, stratify=list(labels), random_state=seed
        )
    except ValueError as exc:  # too few rows of an outcome to put some on each side
        raise InvalidInput(
            f"the rows cannot be split into training and hold-out parts: {exc}", code="invalid_input"
        )
    return np.sort(train_idx), np.sort(test_idx)


def time_split(times: Sequence[Any], holdout: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Train on the oldest rows, test on the newest ``holdout`` share (ties keep the rows' order)."""
    _check_holdout(holdout)
    absent = sum(t is None for t in times)
    if absent:
        raise InvalidInput(
            f"{absent} rows have no time; a time-ordered hold-out needs one per row", code="invalid_input"
        )
    try:
        order = sorted(range(len(times)), key=lambda i: (times[i], i))
    except TypeError:
        raise InvalidInput(
            "the times cannot be compared with each other (mixed kinds of values)", code="invalid_input"
        )
    cut = len(order) - math.ceil(len(order) * holdout)
    return np.sort(np.array(order[:cut], dtype=int)), np.sort(np.array(order[cut:], dtype=int))


# ---------------------------------------------------------------------------------------------- report


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict]:
    """Per probability band: rows, mean predicted probability, observed positive rate (None if empty)."""
    band = np.minimum((p * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        at = band == b
        count = int(at.sum())
        out.append(
            {
                "lower": round(b / bins, 2),
                "upper": round((b + 1) / bins, 2),
                "count": count,
                "mean_predicted": round(float(p[at].mean()), 4) if count else None,
                "observed_rate": round(float(y[at].mean()), 4) if count else None,
            }
        )
    return out


def permutation_importance(
    model: TrainedModel, X: np.ndarray, y: np.ndarray, *, seed: int, repeats: int = 3
) -> list[tuple[str, float]]:
    """Per feature, the mean drop in hold-out ROC AUC when its values are shuffled across rows."""
    base = roc_auc_score(y, model.predict_matrix(X))
    rng = np.random.default_rng(seed)
    layout = model.spec.layout()
    shuffled = np.tile(X, (len(layout) * repeats, 1))  # one prediction call for all of them
    for k, cols in enumerate(layout):
        for r in range(repeats):
            at = (k * repeats + r) * len(X)
            shuffled[at : at + len(X), cols] = X[rng.permutation(len(X))][:, cols]
    p = model.predict_matrix(shuffled).reshape(len(layout), repeats, len(X))
    out = [
        (f.name, float(np.mean([base - roc_auc_score(y, p[k, r]) for r in range(repeats)])))
        for k, f in enumerate(model.spec.features)
    ]
    return sorted(out, key=lambda t: (-t[1], t[0]))


def _metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {
        "roc_auc": round(float(roc_auc_score(y, p)), 4),
        "pr_auc": round(float(average_precision_score(y, p)), 4),
        "brier": round(float(brier_score_loss(y, p)), 4),
    }


def evaluate(
    rows: Sequence[Mapping[str, Any]],
    labels: Sequence[int],
    *,
    exclude: Sequence[str] = (),
    holdout: float = 0.3,
    seed: int = 1,
    times: Sequence[Any] | None = None,
    settings: Settings = SETTINGS,
    top: int = 10,
) -> dict:
    """Train on one part, test on the held-out rest: the model's and the baseline's figures, as a dict.

    With ``times`` (one comparable value per row) the hold-out is the newest rows; otherwise a stratified
    random sample. Column typing, categories and bins are learned from the training part only.
    """
    if len(rows) != len(labels):
        raise InvalidInput(f"{len(rows)} rows but {len(labels)} outcomes", code="invalid_input")
    y = np.asarray(labels, dtype=int)
    check_history(list(y), settings)
    if times is not None:
        train_idx, test_idx = time_split(times, holdout)
        split = "time"
    else:
        train_idx, test_idx = stratified_split(y, holdout, seed)
        split = "stratified"
    for part, idx in (("training", train_idx), ("hold-out", test_idx)):
        if len(set(y[idx].tolist())) < 2:
            raise InvalidInput(
                f"the {part} rows have a single outcome; a time-ordered split needs both outcomes in "
                "the older and the newer rows"
                if split == "time"
                else f"the {part} rows have a single outcome",
                code="single_outcome",
            )
    train_rows = [rows[i] for i in train_idx]
    test_rows = [rows[i] for i in test_idx]
    spec = infer_spec(train_rows, exclude=exclude, settings=settings)
    _require_features(spec)
    X_train, X_test = spec.encode(train_rows), spec.encode(test_rows)
    y_train, y_test = y[train_idx], y[test_idx]

    model = _fit_matrix(spec, X_train, y_train, seed=seed, settings=settings)
    p = model.predict_matrix(X_test)
    baseline = NaiveBayes.fit(spec, X_train, y_train, bins=settings.quantile_bins)
    q = baseline.predict_matrix(X_test)

    warnings = []
    per_field = baseline.field_scores(X_test)
    for k, f in enumerate(spec.features):
        if len(set(per_field[:, k].tolist())) > 1:
            auc = float(roc_auc_score(y_test, per_field[:, k]))
            if auc >= LEAK_AUC:
                warnings.append(
                    f"{f.name!r} alone separates the outcomes (ROC AUC {auc:.3f} on the hold-out): if it is "
                    "filled in after the outcome is known, it leaks the outcome; exclude it"
                )

    ours, theirs = _metrics(y_test, p), _metrics(y_test, q)
    base_rate = float(y_train.mean())
    return {
        "rows": int(len(y)),
        "positives": int(y.sum()),
        "positive_rate": round(float(y.mean()), 4),
        "split": split,
        "holdout": holdout,
        "seed": seed,
        "train_rows": int(len(train_idx)),
        "test_rows": int(len(test_idx)),
        **ours,
        **{f"baseline_{k}": v for k, v in theirs.items()},
        "base_rate_brier": round(float(brier_score_loss(y_test, np.full(len(y_test), base_rate))), 4),
        "calibration": calibration_table(y_test, p),
        "baseline_calibration": calibration_table(y_test, q),
        "top_factors": [
            {"feature": name, "importance": round(value, 4)}
            for name, value in permutation_importance(model, X_test, y_test, seed=seed)[:top]
        ],
        "features": [f.as_dict() for f in spec.features],
        "dropped": [{"name": d.name, "reason": d.reason} for d in spec.dropped],
        "warnings": warnings,
        "model": {"estimator": "HistGradientBoostingClassifier", "sklearn": sklearn.__version__, **PARAMS},
        "baseline": "naive Bayes over field value frequencies (Laplace smoothing)",
        "fingerprint": spec.fingerprint,
    }


def evaluate_table(
    rows: Sequence[Mapping[str, Any]],
    target: str,
    *,
    exclude: Sequence[str] = (),
    positive: str | None = None,
    time_column: str | None = None,
    times: Sequence[Any] | None = None,
    holdout: float = 0.3,
    seed: int = 1,
    settings: Settings = SETTINGS,
) -> dict:
    """``evaluate`` on a whole table: the outcome is one of its columns; unlabelled rows are left out.

    ``times`` (parsed by the caller from ``time_column``) makes the hold-out time-ordered; that column is
    never a feature.
    """
    columns = _columns(rows)
    if target not in columns:
        raise InvalidInput(
            f"no column named {target!r}; the columns are: {_listing(columns)}",
            code="no_target",
            details={"columns": columns},
        )
    unknown = [name for name in exclude if name not in columns]
    if unknown:
        raise InvalidInput(
            f"cannot exclude {', '.join(map(repr, unknown))}: no such column; the columns are: {_listing(columns)}",
            code="unknown_column",
        )
    outcomes = parse_outcomes([row.get(target) for row in rows], positive=positive, column=target)
    keep = [i for i, o in enumerate(outcomes) if o is not None]
    labelled = [{k: v for k, v in rows[i].items() if k != target and k != time_column} for i in keep]
    report = evaluate(
        labelled,
        [outcomes[i] for i in keep],
        exclude=exclude,
        holdout=holdout,
        seed=seed,
        times=[times[i] for i in keep] if times is not None else None,
        settings=settings,
    )
    report["unlabelled_rows"] = len(rows) - len(keep)
    report["target"] = target
    if time_column:
        report["time_column"] = time_column
    return report


def _listing(columns: Sequence[str], limit: int = 20) -> str:
    shown = ", ".join(repr(c) for c in columns[:limit])
    return shown + (f" … ({len(columns)} in all)" if len(columns) > limit else "") if columns else "(none)"
