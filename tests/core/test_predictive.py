import math
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from labelled_leads import labelled_leads

from baton.core import predictive as P
from baton.core.errors import InvalidInput

SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _split(rows):
    labels = [P.parse_outcome(r["Converted"]) for r in rows]
    return [{k: v for k, v in r.items() if k != "Converted"} for r in rows], labels


@pytest.fixture(scope="module")
def history():
    return _split(labelled_leads(800, seed=3))


@pytest.fixture(scope="module")
def model(history):
    rows, labels = history
    return P.train(rows, labels, seed=1)


# ---------------------------------------------------------------------------------------------- typing


def test_columns_are_typed_and_unusable_ones_dropped_with_a_reason(history):
    rows, _ = history
    spec = P.infer_spec(rows, exclude=["Industry"])
    kinds = {f.name: f.kind for f in spec.features}
    assert kinds == {
        "Source": "categorical",
        "Visits": "numeric",
        "Minutes": "numeric",
        "Title": "categorical",
    }
    reasons = {d.name: d.reason for d in spec.dropped}
    assert reasons["Lead ID"].startswith("identifier: 800 distinct whole numbers")
    assert reasons["Prospect"].startswith("free text or identifier")
    assert reasons["Notes"].startswith("free text or identifier")
    assert reasons["Country"] == "constant ('China')"
    assert reasons["Industry"] == "excluded by request"
    minutes = next(f for f in spec.features if f.name == "Minutes")
    assert minutes.indicator and 0 < minutes.missing_share < 0.1  # blanks get a missing indicator column


def test_placeholders_are_missing_and_categories_ignore_case_and_spacing():
    rows = [
        {"source": s, "form": f} for s, f in [("Google", "Select"), ("google ", "N/A"), ("GOOGLE", "")] * 20
    ]
    rows += [{"source": "Referral", "form": "select"}] * 20
    spec = P.infer_spec(rows)
    (source,) = spec.features
    assert source.levels == ("google", "referral") and source.labels == ("Google", "Referral")
    assert [(d.name, d.reason) for d in spec.dropped] == [("form", "always empty")]


def test_rare_values_become_other_and_unseen_ones_too():
    rows = [{"c": "a"}] * 30 + [{"c": "b"}] * 30 + [{"c": f"rare{i}"} for i in range(5)]
    spec = P.infer_spec(rows)
    (c,) = spec.features
    assert c.levels == ("a", "b") and c.note == "5 rare values grouped as other"
    X = spec.encode([{"c": "A"}, {"c": "rare1"}, {"c": "never seen"}, {"c": "NULL"}, {}])
    assert X[:, 0].tolist()[:3] == [0.0, 2.0, 2.0]
    assert np.isnan(X[3, 0]) and np.isnan(X[4, 0])


def test_almost_constant_and_almost_empty_columns_are_dropped():
    rows = [{"flag": "No", "rare": "", "n": "1"} for _ in range(300)]
    rows[0] = {"flag": "Yes", "rare": "x", "n": "2"}
    spec = P.infer_spec(rows)
    assert not spec.features
    assert {d.name: d.reason for d in spec.dropped} == {
        "flag": "almost constant: all but 1 row share one value",
        "rare": "every value is rare (fewer than 10 rows each)",
        "n": "almost constant: all but 1 row share one value",
    }
    rows = [{"n": "5" if i < 5 else ""} for i in range(300)]
    assert P.infer_spec(rows).dropped[0].reason == "almost always empty: 5 rows with a value"


def test_a_numeric_column_tolerates_a_few_bad_values_and_thousands_separators():
    rows = [{"amount": f"{1000 + (i % 20) * 37:,}"} for i in range(99)] + [{"amount": "unknown"}]
    (f,) = P.infer_spec(rows).features
    assert f.kind == "numeric" and f.indicator and f.note == "1 non-numeric value read as missing"
    assert P.infer_spec(rows).encode([{"amount": "1,037"}])[0, 0] == 1037.0


def test_the_fingerprint_follows_the_encoding(history):
    rows, _ = history
    assert P.infer_spec(rows).fingerprint == P.infer_spec(list(rows)).fingerprint
    assert P.infer_spec(rows).fingerprint != P.infer_spec(rows, exclude=["Title"]).fingerprint
    assert len(P.infer_spec(rows).fingerprint) == 16


# ---------------------------------------------------------------------------------------------- outcomes


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1), ("0", 0), ("1.0", 1), ("TRUE", 1), ("false", 0), (" Yes ", 1), ("n", 0), ("Won", 1),
     ("lost", 0), ("Converted", 1), ("not converted", 0), (1, 1), (0.0, 0), ("", None), ("NA", None), (None, None)],
)  # fmt: skip
def test_outcomes_are_read_generically(value, expected):
    assert P.parse_outcome(value) == expected


def test_an_unreadable_outcome_is_named():
    with pytest.raises(InvalidInput) as exc:
        P.parse_outcomes(["yes", "maybe", "no", "2", "maybe"], column="Won?")
    assert (
        "'Won?'" in exc.value.message
        and "'maybe' (2×)" in exc.value.message
        and "'2' (1×)" in exc.value.message
    )
    assert exc.value.code == "invalid_outcome"


def test_a_named_positive_value_makes_any_outcome_column_binary():
    values = ["Closed Won", "closed  won", "Closed Lost", "Disqualified", ""]
    assert P.parse_outcomes(values, positive="Closed Won") == [1, 1, 0, 0, None]


# ---------------------------------------------------------------------------------------------- history


@pytest.mark.parametrize(
    ("labels", "code", "words"),
    [([1] * 300, "single_outcome", "same outcome (positive)"),
     ([0] * 300, "single_outcome", "same outcome (negative)"),
     ([0, 1] * 99, "insufficient_history", "only 198 labelled rows"),
     ([1] * 29 + [0] * 300, "insufficient_history", "only 29 positive outcomes"),
     ([], "insufficient_history", "no lead has a known outcome")],
)  # fmt: skip
def test_too_little_history_falls_back_to_rules_and_says_why(labels, code, words):
    assert words in P.fallback_reason(labels)
    with pytest.raises(InvalidInput) as exc:
        P.check_history(labels)
    assert exc.value.code == code and "rule scoring is used until then" in exc.value.message
    rows = [{"x": str(i % 7)} for i in range(len(labels))]
    with pytest.raises(InvalidInput):
        P.train(rows, labels)


def test_enough_history_has_no_fallback():
    assert P.fallback_reason([1] * 30 + [0] * 170) is None


def test_no_usable_column_is_refused_with_the_reasons():
    rows = [{"id": str(i), "empty": "", "same": "x"} for i in range(300)]
    with pytest.raises(InvalidInput) as exc:
        P.train(rows, [i % 2 for i in range(300)])
    assert exc.value.code == "no_features"
    assert "id: identifier" in exc.value.message and "empty: always empty" in exc.value.message


# ---------------------------------------------------------------------------------------------- splits


def test_stratified_split_keeps_the_rate_and_is_repeatable():
    labels = [1] * 120 + [0] * 280
    train, test = P.stratified_split(labels, 0.3, seed=5)
    assert len(test) == 120 and sorted([*train, *test]) == list(range(400))
    assert sum(labels[i] for i in test) == 36
    again = P.stratified_split(labels, 0.3, seed=5)
    assert train.tolist() == again[0].tolist()
    assert test.tolist() != P.stratified_split(labels, 0.3, seed=6)[1].tolist()


def test_a_split_that_cannot_be_made_is_refused():
    with pytest.raises(InvalidInput, match="cannot be split"):
        P.stratified_split([1, 0, 0, 0, 0, 0], 0.3)


def test_time_split_tests_on_the_newest_rows():
    times = [f"2026-01-{d:02d}" for d in (5, 1, 9, 3, 7, 2, 8, 4, 6, 10)]
    train, test = P.time_split(times, 0.3)
    assert sorted(times[i] for i in test) == ["2026-01-08", "2026-01-09", "2026-01-10"]
    assert max(times[i] for i in train) < min(times[i] for i in test)
    with pytest.raises(InvalidInput, match="1 rows have no time"):
        P.time_split([*times[:-1], None])
    with pytest.raises(InvalidInput, match="between 5% and 50%"):
        P.time_split(times, 0.9)


# ---------------------------------------------------------------------------------------------- evaluation


@pytest.fixture(scope="module")
def report(history):
    rows, labels = history
    return P.evaluate(rows, labels, holdout=0.3, seed=2)


def test_the_report_has_every_figure(report, history):
    _, labels = history
    assert report["rows"] == 800 and report["positives"] == sum(labels)
    assert (report["train_rows"], report["test_rows"]) == (560, 240)
    for key in ("roc_auc", "pr_auc", "brier", "baseline_roc_auc", "baseline_pr_auc", "baseline_brier"):
        assert 0 <= report[key] <= 1, key
    assert report["roc_auc"] > 0.75 and report["baseline_roc_auc"] > 0.75  # the signal is learnable
    assert report["brier"] < report["base_rate_brier"]  # better than always predicting the base rate
    assert len(report["calibration"]) == 10
    assert sum(b["count"] for b in report["calibration"]) == 240
    for band in report["calibration"]:
        if band["count"]:
            assert band["lower"] <= band["mean_predicted"] <= band["upper"]
    # The fields that drive the outcome come first; identifiers and the constant do not appear.
    top = [f["feature"] for f in report["top_factors"]]
    assert top[0] == "Source" and set(top) == {"Source", "Title", "Visits", "Minutes", "Industry"}
    assert report["top_factors"][0]["importance"] > 0.05
    assert {d["name"] for d in report["dropped"]} >= {"Lead ID", "Prospect", "Country", "Notes"}
    assert report["split"] == "stratified" and report["warnings"] == []


def test_the_evaluation_is_repeatable(history, report):
    rows, labels = history
    again = P.evaluate(rows, labels, holdout=0.3, seed=2)
    assert {k: again[k] for k in ("roc_auc", "brier", "baseline_roc_auc")} == {
        k: report[k] for k in ("roc_auc", "brier", "baseline_roc_auc")
    }


def test_a_time_ordered_evaluation_and_its_single_outcome_hold_out(history):
    rows, labels = history
    times = [r["Signed up"] for r in rows]
    report = P.evaluate(rows, labels, times=times)
    assert report["split"] == "time" and report["test_rows"] == 240
    # Every newer lead converted: the hold-out cannot be scored, and it says so.
    late = sorted(range(len(rows)), key=lambda i: times[i])[-240:]
    skewed = [1 if i in set(late) else y for i, y in enumerate(labels)]
    with pytest.raises(InvalidInput, match="hold-out rows have a single outcome"):
        P.evaluate(rows, skewed, times=times)


def test_a_leaking_field_is_flagged():
    rows, labels = _split(labelled_leads(600, seed=4))
    for row, y in zip(rows, labels, strict=True):
        row["Stage after call"] = "Won deal" if y else "Dead"
    report = P.evaluate(rows, labels)
    assert any("'Stage after call' alone separates the outcomes" in w for w in report["warnings"])


def test_the_table_entry_point_checks_columns_and_skips_unlabelled_rows():
    rows = labelled_leads(500, seed=6)
    for row in rows[:20]:
        row["Converted"] = ""
    report = P.evaluate_table(rows, "Converted", exclude=["Industry"])
    assert report["rows"] == 480 and report["unlabelled_rows"] == 20
    assert {"name": "Industry", "reason": "excluded by request"} in report["dropped"]
    with pytest.raises(InvalidInput, match="no column named 'Outcome'") as exc:
        P.evaluate_table(rows, "Outcome")
    assert exc.value.code == "no_target"
    with pytest.raises(InvalidInput, match="cannot exclude 'Tagz'"):
        P.evaluate_table(rows, "Converted", exclude=["Tagz"])


# ---------------------------------------------------------------------------------------------- the model


def test_predictions_and_explanations_say_why(model):
    warm = {"Source": "Referral", "Visits": "13", "Minutes": "30", "Title": "CTO", "Industry": "Retail"}
    cold = {"Source": "Cold list", "Visits": "0", "Minutes": "1", "Title": "Intern", "Industry": "Retail"}
    p_warm, p_cold = model.predict([warm, cold])
    assert p_warm > 0.8 and p_cold < 0.2
    why = model.explain(warm)
    assert why.probability == pytest.approx(p_warm)
    effects = {c.feature: c.effect for c in why.factors}
    assert effects["Source"] > 0 and effects["Title"] > 0
    assert {c.feature: c.value for c in why.factors}["Source"] == "Referral"
    assert {c.feature: c.effect for c in model.explain(cold).factors}["Source"] < 0


def test_a_lead_with_nothing_known_is_scored_and_flagged(model):
    why = model.explain({"Source": "select", "Title": "", "unrelated": "x"})
    assert why.known_fields == 0 and "no field of this lead is known" in why.warning
    assert 0 <= why.probability <= 1


ANY_VALUE = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["Referral", "cold LIST", "CTO", "Select", "N/A", "13", "-5", "1e308", "inf", "nan"]),
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=True, allow_infinity=True),
)
ANY_ROW = st.dictionaries(
    st.sampled_from(["Source", "Visits", "Minutes", "Title", "Industry", "Lead ID", "new column"]), ANY_VALUE
)


@SLOW
@given(row=ANY_ROW)
def test_any_row_gets_a_probability_and_a_consistent_explanation(model, row):
    (p,) = model.predict([row])
    assert 0 <= p <= 1 and math.isfinite(p)
    why = model.explain(row, top=3)
    assert why.probability == pytest.approx(p)
    assert len(why.factors) <= 3
    magnitudes = [abs(c.effect) for c in why.factors]
    assert magnitudes == sorted(magnitudes, reverse=True)
    assert all(-1 <= c.effect <= 1 for c in why.factors)
    names = {f.name for f in model.spec.features}
    assert {c.feature for c in why.factors} <= names
    assert 0 <= why.known_fields <= len(names)


def test_a_model_survives_storage(model):
    rows = labelled_leads(50, seed=9)
    stored = model.dumps()
    loaded = P.load_model(stored)
    assert loaded.fingerprint == model.fingerprint
    assert loaded.predict(rows) == model.predict(rows)


def test_a_stored_model_from_elsewhere_is_refused_clearly(model):
    payload = pickle.loads(model.dumps())  # noqa: S301 -- our own bytes
    payload["sklearn"] = "0.0.1"
    with pytest.raises(InvalidInput, match="trained with scikit-learn 0.0.1") as exc:
        P.load_model(pickle.dumps(payload))
    assert exc.value.code == "model_outdated"
    with pytest.raises(InvalidInput, match="cannot be read"):
        P.load_model(b"not a model")
    with pytest.raises(InvalidInput, match="another format"):
        P.load_model(pickle.dumps({"format": 99}))


# ---------------------------------------------------------------------------------------------- baseline

LOOSE = P.Settings(min_category_count=1, min_rows=0, min_minority=0)


def _baseline(rows, labels, settings=LOOSE):
    spec = P.infer_spec(rows, settings=settings)
    y = np.asarray(labels)
    return spec, P.NaiveBayes.fit(spec, spec.encode(rows), y)


def test_the_baseline_is_laplace_smoothed_naive_bayes():
    rows = [{"colour": c} for c in ["red"] * 4 + ["blue"] * 4]
    labels = [1, 1, 1, 0, 1, 0, 0, 0]
    spec, nb = _baseline(rows, labels)
    # P(red|won) = (3+1)/(4+3), P(red|lost) = (1+1)/(4+3): odds 2 with an even prior.
    p_red, p_blue, p_unknown = nb.predict_matrix(spec.encode([{"colour": "red"}, {"colour": "blue"}, {}]))
    assert p_red == pytest.approx(2 / 3) and p_blue == pytest.approx(1 / 3)
    assert p_unknown == pytest.approx(0.5)  # a field without a value adds no evidence (Odoo's rule)


def test_the_baseline_bins_numbers_into_quantiles():
    rows = [{"visits": str(v % 50)} for v in range(100)]
    labels = [int(v % 50 >= 25) for v in range(100)]
    spec, nb = _baseline(rows, labels)
    assert len(nb.edges[0]) == 9
    low, high = nb.predict_matrix(spec.encode([{"visits": "3"}, {"visits": "97"}]))
    assert low < 0.1 and high > 0.9


TABLE = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "", "Select"]),
        st.one_of(st.none(), st.integers(0, 20)),
        st.booleans(),
    ),
    min_size=4,
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(table=TABLE, probe=st.tuples(st.text(max_size=5), st.one_of(st.none(), st.text(max_size=5))))
def test_baseline_probabilities_are_probabilities(table, probe):
    labels = [int(won) for *_, won in table]
    assume(0 < sum(labels) < len(labels))
    rows = [{"cat": c, "num": "" if n is None else str(n)} for c, n, _ in table]
    spec = P.infer_spec(rows, settings=LOOSE)
    assume(spec.features)
    nb = P.NaiveBayes.fit(spec, spec.encode(rows), np.asarray(labels))
    p = nb.predict_matrix(spec.encode([*rows, {"cat": probe[0], "num": probe[1]}]))
    assert np.all((p >= 0) & (p <= 1)) and np.all(np.isfinite(p))


def test_calibration_table_bands():
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.05, 0.15, 0.95, 1.0, 0.99])
    table = P.calibration_table(y, p)
    assert [b["count"] for b in table] == [1, 1, 0, 0, 0, 0, 0, 0, 0, 3]
    assert table[9]["observed_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert table[9]["mean_predicted"] == pytest.approx(0.98)
    assert table[2]["mean_predicted"] is None and table[2]["observed_rate"] is None
