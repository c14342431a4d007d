"""Versioned scoring (core): decay, caps, the grade matrix, lifecycle bands, validation, and the bulk
scorer agreeing with the one-lead reference."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from baton.core import scoring as core
from baton.core.scoring import BandRule, Grades, Rule, RuleSet, score

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

RULES = RuleSet(
    [
        Rule("fit", "seniority", "in", ["c_level", "vp"], 30, "Executive"),
        Rule("fit", "seniority", "eq", "director", 20, "Director"),
        Rule("fit", "industry", "in", ["software", "制造"], 15, "Target industry"),
        Rule("fit", "company_size", "between", [200, None], 20, "200+ employees"),
        Rule("fit", "company_size", "between", [50, 200], 10, "50–199 employees"),
        Rule("fit", "region", "eq", "East", 5, "East region"),
        Rule("fit", "extra.budget", "in", ["500k+", "100k-500k"], 15, "Budget band"),
        Rule("engagement", "source", "eq", "trial_signup", 20, "Trial signup"),
        Rule(
            "engagement", "behaviour.email_click", "count", "", 5, "E-mail click", cap=20, half_life_days=14
        ),
        Rule(
            "engagement",
            "behaviour.event_attendance",
            "count",
            "",
            25,
            "Came to an event",
            cap=50,
            half_life_days=60,
        ),  # fmt: skip
        Rule("engagement", "behaviour.replied", "count", "", 10, "Replied", cap=30),
    ],
    version=3,
    grades=Grades((60, 40, 20), (60, 30, 10)),
    bands=core.DEFAULT_BANDS,
)
BEHAVIOURS = ["behaviour.email_click", "behaviour.event_attendance", "behaviour.replied"]


def days_ago(*days: float) -> list[datetime]:
    return [NOW - timedelta(days=d) for d in days]


# --- decay --------------------------------------------------------------------------------------------


def test_an_event_one_half_life_old_counts_half():
    s = score(RULES, {}, now=NOW, events={"behaviour.event_attendance": days_ago(60)})
    [f] = [f for f in s.factors if f.field == "behaviour.event_attendance"]
    assert (f.count, f.decayed, f.points, f.half_life_days) == (1, 0.5, 12.5, 60)
    assert s.engagement == 13  # 12.5 rounds half up


def test_without_now_counts_count_in_full_as_before():
    facts = {"behaviour.email_click": 3, "behaviour.replied": 5}
    s = score(RULES, facts)
    assert {f.field: f.points for f in s.factors} == {"behaviour.email_click": 15, "behaviour.replied": 30}
    assert s.engagement == 45


@given(st.floats(0, 3000), st.floats(0, 3000), st.floats(0.5, 400))
def test_decay_is_monotone_in_age(a, b, half_life):
    young, old = sorted((a, b))
    assert core.decay_weight(old, half_life) <= core.decay_weight(young, half_life) <= 1
    assert core.decay_weight(young, None) == 1


ages = st.lists(st.floats(0, 720), max_size=12)


@given(clicks=ages, events=ages, replies=ages)
def test_caps_are_respected(clicks, events, replies):
    s = score(RULES, {}, now=NOW, events={"behaviour.email_click": days_ago(*clicks),
                                          "behaviour.event_attendance": days_ago(*events),
                                          "behaviour.replied": days_ago(*replies)})  # fmt: skip
    caps = {r.field: r.cap for r in RULES if r.cap is not None}
    for f in s.factors:
        if f.field in caps:
            assert 0 <= f.points <= caps[f.field]
    assert s.engagement <= sum(caps.values())


@given(base=st.dictionaries(st.sampled_from(BEHAVIOURS), ages), field=st.sampled_from(BEHAVIOURS),
       age=st.floats(0, 720))  # fmt: skip
def test_adding_an_event_never_lowers_engagement(base, field, age):
    events = {k: days_ago(*v) for k, v in base.items()}
    before = score(RULES, {}, now=NOW, events=events)
    events[field] = [*events.get(field, []), NOW - timedelta(days=age)]
    after = score(RULES, {}, now=NOW, events=events)
    assert after.engagement >= before.engagement
    assert after.fit == before.fit


@given(ages=st.lists(st.floats(0, 400), min_size=1, max_size=6), later=st.floats(0, 400))
def test_time_passing_never_raises_engagement(ages, later):
    events = {"behaviour.email_click": days_ago(*ages), "behaviour.event_attendance": days_ago(*ages)}
    now = score(RULES, {}, now=NOW, events=events)
    then = score(RULES, {}, now=NOW + timedelta(days=later), events=events)
    assert then.engagement <= now.engagement


def test_events_after_now_do_not_count_but_a_little_clock_skew_does():
    s = score(
        RULES,
        {},
        now=NOW,
        events={"behaviour.replied": [NOW + timedelta(hours=1), NOW + timedelta(minutes=2)]},
    )
    [f] = s.factors
    assert (f.count, f.points) == (1, 10)


# --- grades and bands -----------------------------------------------------------------------------------


cut = st.integers(0, 200)


@given(fit=st.integers(0, 300), eng=st.integers(0, 300),
       fit_cuts=st.lists(cut, min_size=3, max_size=3, unique=True),
       eng_cuts=st.lists(cut, min_size=3, max_size=3, unique=True))  # fmt: skip
def test_grade_is_consistent_with_its_thresholds(fit, eng, fit_cuts, eng_cuts):
    grades = Grades(tuple(sorted(fit_cuts, reverse=True)), tuple(sorted(eng_cuts, reverse=True)))
    g = core.grade(fit, eng, grades)
    letter, digit = "ABCD".index(g[0]), "1234".index(g[1])
    # the letter's cut-off is met and the next better one is not
    assert letter == 3 or fit >= grades.fit[letter]
    assert letter == 0 or fit < grades.fit[letter - 1]
    assert digit == 3 or eng >= grades.engagement[digit]
    assert digit == 0 or eng < grades.engagement[digit - 1]
    assert core.grade(fit + 1, eng, grades)[0] <= g[0]  # more fit is never a worse letter


def test_the_first_band_threshold_met_wins_and_says_why():
    assert core.band("A2", 90)[:2] == ("handoff_ready", 0)
    assert core.band("B1", 70)[:2] == ("handoff_ready", 1)
    b, i, why = core.band("C2", 45)
    assert (b, i) == ("sdr_queue", 3)
    assert "threshold 4" in why and "fit C or better" in why
    b, i, why = core.band("C4", 20)
    assert (b, i) == ("nurture", None) and "no threshold met" in why
    hot = (BandRule("handoff_ready", "D", "4", 100),)
    assert core.band("D4", 100, hot)[0] == "handoff_ready" and core.band("A1", 99, hot)[0] == "nurture"


def test_score_reports_band_and_version():
    s = score(RULES, {"seniority": "vp", "industry": "software", "company_size": 500, "source": "trial_signup",
                      "extra": {"budget": "500K+"}}, now=NOW,
              events={"behaviour.replied": days_ago(1, 2)})  # fmt: skip
    assert (s.fit, s.engagement, s.grade, s.band, s.version) == (80, 40, "A2", "handoff_ready", 3)
    assert [f.label for f in s.factors] == [
        "Executive", "Target industry", "200+ employees", "Budget band", "Trial signup", "Replied ×2",
    ]  # fmt: skip
    assert s.factors[-1].as_dict() == {"kind": "engagement", "label": "Replied ×2", "points": 20,
                                       "field": "behaviour.replied", "count": 2}  # fmt: skip


def test_between_is_low_inclusive_high_exclusive():
    r = Rule("fit", "company_size", "between", [50, 200], 10, "mid")
    assert [core._matches(r, v) for v in (49, 50, 199, 200, None, "120")] == [
        False,
        True,
        True,
        False,
        False,
        True,
    ]


# --- due time of a decaying score ------------------------------------------------------------------------


@settings(max_examples=60)
@given(ages=st.lists(st.floats(0, 200), min_size=1, max_size=5), source=st.booleans())
def test_the_score_does_not_change_before_it_is_due(ages, source):
    events = {"behaviour.email_click": days_ago(*ages), "behaviour.event_attendance": days_ago(*ages[:2])}
    facts = {"source": "trial_signup" if source else "seo"}
    s = score(RULES, facts, now=NOW, events=events)
    decaying = [f.points for f in s.factors if f.half_life_days]
    exact = (20 if source else 0) + sum(
        core._capped(r.points * sum(core.decay_weight((NOW - t).total_seconds() / 86400, r.half_life_days)
                                    for t in events.get(r.field, [])), r.cap)
        for r in RULES if r.half_life_days
    )  # fmt: skip
    assume(abs(exact - round(exact) - 0.5) > 1e-6 and abs(exact - round(exact) + 0.5) > 1e-6)
    exact_decaying = exact - (20 if source else 0)
    due = core.next_change_days(20 if source else 0, [exact_decaying], [14])
    if due is None:
        assert not decaying or s.engagement == (20 if source else 0) or exact_decaying < 0.5
        return
    assume(due > core.MIN_REFRESH_DAYS)  # refreshes are at least an hour apart: a change may come sooner
    just_before = score(RULES, facts, now=NOW + timedelta(days=due * 0.999), events=events)
    assert just_before.engagement == s.engagement


def test_nothing_decays_without_half_lives():
    assert core.next_change_days(30, [], []) is None
    assert core.next_change_days(0, [0.2], [7]) is None  # already rounds to 0


# --- the bulk scorer agrees with the one-lead reference --------------------------------------------------

profile = st.fixed_dictionaries(
    {
        "seniority": st.sampled_from(["c_level", "vp", "director", "manager", "", "unknown"]),
        "industry": st.sampled_from(["software", "Software ", "制造", "retail", ""]),
        "company_size": st.one_of(st.none(), st.integers(0, 5000)),
        "region": st.sampled_from(["East", "east", "West", ""]),
        "source": st.sampled_from(["trial_signup", "seo"]),
        "budget": st.sampled_from([None, "500k+", "100K-500K", "<100k"]),
    }
)
lead_events = st.lists(st.tuples(st.sampled_from(BEHAVIOURS), st.floats(-0.01, 400)), max_size=8)


@settings(max_examples=60)
@given(leads=st.lists(st.tuples(profile, lead_events), min_size=1, max_size=12))
def test_bulk_scores_equal_one_by_one_scores(leads):
    scorer = core.BulkScorer(RULES)
    rows = []
    ev_lead, ev_b, ev_age = [], [], []
    for i, (p, evs) in enumerate(leads):
        facts = {**p, "extra": {"budget": p["budget"]}, "extra.budget": p["budget"]}
        rows.append(tuple(facts[f] for f in scorer.fields))
        for field, age in evs:
            ev_lead.append(i)
            ev_b.append(scorer.behaviours.index(field))
            ev_age.append(age)
    result = scorer.score(scorer.profiles(rows), np.array(ev_lead, dtype=np.int64), np.array(ev_b, dtype=np.int64),
                          np.array(ev_age, dtype=np.float64))  # fmt: skip
    for i, (p, evs) in enumerate(leads):
        events: dict[str, list[datetime]] = {}
        for field, age in evs:
            events.setdefault(field, []).append(NOW - timedelta(days=age))
        one = score(RULES, {**p, "extra": {"budget": p["budget"]}}, now=NOW, events=events)
        bulk = result.at(i)
        assert (bulk.fit, bulk.grade[0], bulk.band if bulk.fit == one.fit else one.band) == (
            one.fit,
            one.grade[0],
            one.band,
        )
        assert (
            abs(bulk.engagement - one.engagement) <= 1
        )  # the same sums; the age arithmetic may differ by an ulp
        if bulk.engagement == one.engagement:
            assert (bulk.total, bulk.grade, bulk.band, bulk.band_rule) == (
                one.total,
                one.grade,
                one.band,
                one.band_rule,
            )
        assert {f.label for f in bulk.factors} == {f.label for f in one.factors}
        for a, b in zip(sorted(bulk.factors_as_dicts(), key=lambda d: d["label"]),
                        sorted(one.factors_as_dicts(), key=lambda d: d["label"]), strict=True):  # fmt: skip
            assert a.keys() == b.keys()
            assert a["points"] == pytest.approx(b["points"], abs=0.011)


def test_bulk_profiles_are_scored_once():
    scorer = core.BulkScorer(RULES)
    rows = [("vp", "software", 300, "East", "seo", None)] * 1000 + [
        ("director", "retail", 10, "", "seo", None)
    ]
    fields = ("seniority", "industry", "company_size", "region", "source", "extra.budget")
    rows = [tuple(dict(zip(fields, r, strict=True))[f] for f in scorer.fields) for r in rows]
    profiles = scorer.profiles(rows)
    assert len(set(profiles.tolist())) == 2 and len(scorer.profile_fit) == 2


def test_bulk_due_days_match_the_reference():
    scorer = core.BulkScorer(RULES)
    rows = [tuple(None for _ in scorer.fields)]
    b = scorer.behaviours.index("behaviour.email_click")
    result = scorer.score(
        scorer.profiles(rows), np.zeros(2, dtype=np.int64), np.full(2, b), np.array([1.0, 3.0])
    )
    contribution = 5 * (0.5 ** (1 / 14) + 0.5 ** (3 / 14))
    assert result.engagement[0] == round(contribution)
    assert result.due_days[0] == pytest.approx(core.next_change_days(0, [contribution], [14]))


def test_a_capped_contribution_holds_until_its_events_decay_below_the_cap():
    scorer = core.BulkScorer(RULES)
    rows = [tuple(None for _ in scorer.fields)]
    b = scorer.behaviours.index("behaviour.email_click")
    # 8 fresh clicks: 40 points uncapped, capped at 20, for 14 × log2(40 / 20) = 14 days.
    result = scorer.score(scorer.profiles(rows), np.zeros(8, dtype=np.int64), np.full(8, b), np.zeros(8))
    assert result.engagement[0] == 20
    assert 14 < result.due_days[0] < 14 + 1
    later = score(RULES, {}, now=NOW + timedelta(days=13.9), events={"behaviour.email_click": [NOW] * 8})
    assert later.engagement == 20


# --- validation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "where", "text"),
    [
        (Rule("fit", "shoe_size", "eq", "42", 5, "x"), "field", "unknown field 'shoe_size'"),
        (Rule("fit", "title", "regex", "x", 5, "x"), "op", "unknown operator 'regex'"),
        (Rule("mood", "title", "eq", "x", 5, "x"), "kind", "'fit' or 'engagement'"),
        (
            Rule("engagement", "behaviour.replied", "count", "", 5, "x", half_life_days=-3),
            "half_life_days",
            "above 0",
        ),
        (
            Rule("engagement", "behaviour.replied", "count", "", 5, "x", half_life_days=0),
            "half_life_days",
            "above 0",
        ),
        (Rule("engagement", "behaviour.replied", "count", "", 5, "x", cap=-1), "cap", "≥ 0"),
        (Rule("fit", "behaviour.replied", "count", "", 5, "x"), "op", "only engagement rules count"),
        (Rule("engagement", "title", "count", "", 5, "x"), "field", "counts a behaviour"),
        (Rule("engagement", "behaviour.replied", "gte", 2, 5, "x"), "op", "use op 'count'"),
        (Rule("fit", "title", "eq", "CEO", 5, "x", half_life_days=7), "half_life_days", "only count rules"),
        (Rule("fit", "title", "in", "CEO", 5, "x"), "value", "non-empty list"),
        (Rule("fit", "company_size", "gte", "many", 5, "x"), "value", "needs a number"),
        (Rule("fit", "company_size", "between", [200, 50], 5, "x"), "value", "low < high"),
        (Rule("fit", "company_size", "between", [None, None], 5, "x"), "value", "one of them may be null"),
        (Rule("fit", "title", "eq", "CEO", 5, " "), "label", "needs a label"),
        (Rule("fit", "extra.", "eq", "x", 5, "x"), "field", "extra.<name>"),
        (Rule("fit", "title", "eq", "CEO", 5000, "x"), "points", "between -1000 and 1000"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(rule, where, text):
    problems = core.rule_problems(rule)
    assert text in problems[where]
    with pytest.raises(ValueError):
        core.validate_rule(rule)


def test_good_rules_pass():
    for rule in RULES:
        assert core.rule_problems(rule) == {}


def test_thresholds_out_of_order_are_refused():
    assert "must go down strictly" in core.grades_problems(Grades((40, 60, 20), (60, 30, 10)))["fit"]
    assert "must go down strictly" in core.grades_problems(Grades((60, 40, 20), (10, 10, 5)))["engagement"]
    assert "three whole numbers" in core.grades_problems(Grades((60, 40), (60, 30, 10)))["fit"]
    problems = core.bands_problems([BandRule("sdr_queue", "C", "3"), BandRule("handoff_ready", "A", "1")])
    assert "never applies" in problems["bands[1]"]
    problems = core.bands_problems([BandRule("nurture", "A", "1"), BandRule("hot", "Z", "9", -1)])
    assert set(problems) == {"bands[0].band", "bands[1].band", "bands[1].fit", "bands[1].engagement",
                             "bands[1].min_total"}  # fmt: skip
    assert core.bands_problems(core.DEFAULT_BANDS) == {}


def test_model_problems_name_every_place():
    problems = core.model_problems(
        [RULES[0], Rule("fit", "title", "regex", "x", 5, "x")],
        Grades((1, 2, 3), (60, 30, 10)),
        core.DEFAULT_BANDS,
    )
    assert set(problems) == {"rules[1].op", "grades.fit"}


def test_model_diff_lists_rule_and_threshold_changes():
    new = RuleSet(
        [
            RULES[0],
            Rule("fit", "seniority", "eq", "director", 25, "Director"),
            Rule("fit", "region", "eq", "North", 5, "North"),
        ],
        grades=Grades((70, 40, 20), (60, 30, 10)),
        bands=core.DEFAULT_BANDS[:2],
    )
    diff = {(d["what"], d["label"]): d["changes"] for d in core.model_diff(RULES, new)}
    assert diff[("rule_changed", "Director")] == {"points": [20, 25]}
    assert ("rule_added", "North") in diff and ("rule_removed", "Target industry") in diff
    assert diff[("grades_changed", "fit")] == {"fit": [[60, 40, 20], [70, 40, 20]]}
    assert ("bands_changed", "bands") in diff
    assert core.model_diff(RULES, RULES) == []
