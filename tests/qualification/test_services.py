"""Qualification services: answers (permissions, validation, history), templates, gates per team, handoff."""

from datetime import timedelta

import pytest

from baton import clock
from baton.core.errors import Conflict, InvalidInput, NotAllowed
from baton.handoffs.models import Handoff
from baton.handoffs.services import handoff_create, qualification_update
from baton.leads.models import LeadEvent
from baton.org.models import AuditLog
from baton.qualification import selectors
from baton.qualification.models import Criterion, CriterionAnswer, Framework, GateRule
from baton.qualification.services import (
    criteria_set,
    criterion_delete,
    framework_create,
    framework_update,
    gate_set,
)

from .conftest import NOW

BANT_3 = {"budget": ("met", "500k approved"), "authority": ("met", None), "need": ("met", "")}


def profile_met(n: int) -> dict:
    keys = [c.key for c in selectors.templates().get("profile").active_criteria]
    return {k: ("met", None) for k in keys[:n]}


# --- Answers ------------------------------------------------------------------------------------------


def test_set_criteria_records_who_and_when_and_a_timeline_entry(org, leads):
    lead = leads.sam
    rows = criteria_set(lead, "bant", BANT_3, org.sam)
    assert len(rows) == 3
    view = selectors.lead_qualification(lead)
    bant = view.framework("bant")
    assert (bant.progress.met, bant.progress.total) == (3, 4)
    assert [c.key for c in bant.missing] == ["timing"]
    budget = next(r for r in bant.rows if r.criterion.key == "budget")
    assert (budget.state, budget.note, budget.answer.set_by, budget.answer.set_at) == (
        "met", "500k approved", "Sam SDR", NOW,
    )  # fmt: skip
    event = LeadEvent.objects.filter(lead=lead, kind="qualified").get()
    assert event.actor == org.sam and event.data["framework"] == "bant"
    assert [c["criterion"] for c in event.data["changes"]] == ["budget", "authority", "need"]
    assert event.data["bant"] == {"budget": "met", "authority": "met", "need": "met", "timing": "unknown"}
    assert view.gate.passed and view.gate.source.kind == "default"


def test_answers_are_append_only_and_the_latest_wins(org, leads):
    lead = leads.sam
    criteria_set(lead, "champ", {"money": ("not_met", "no budget this year")}, org.sam)
    with clock.travel_to(NOW + timedelta(hours=1)):
        criteria_set(lead, "champ", {"money": ("met", None)}, org.director)  # the note is kept
    with clock.travel_to(NOW + timedelta(hours=2)):
        assert criteria_set(lead, "champ", {"money": ("met", None)}, org.sam) == []  # no change, no row
    money = Criterion.objects.get(framework__key="champ", key="money")
    rows = CriterionAnswer.objects.filter(criterion=money).order_by("set_at", "id")
    assert list(rows.values_list("state", "note", "set_by__username")) == [
        ("not_met", "no budget this year", "sam"), ("met", "no budget this year", "dora"),
    ]  # fmt: skip
    answer = selectors.lead_answers(lead)[money.pk]
    assert (answer.state, answer.set_by, answer.set_at) == ("met", "Dora Director", NOW + timedelta(hours=1))
    history = selectors.answer_history(lead, "champ")
    assert [(h["state"], h["set_by"]) for h in history] == [("met", "dora"), ("not_met", "sam")]
    assert LeadEvent.objects.filter(lead=lead, kind="qualified").count() == 2


def test_a_backfilled_answer_does_not_override_a_later_one(org, leads):
    lead = leads.sam
    criteria_set(lead, "bant", {"timing": ("met", "Q1")}, org.sam)
    criteria_set(lead, "bant", {"timing": ("not_met", "old call")}, org.sam, at=NOW - timedelta(hours=5))
    timing = Criterion.objects.get(framework__key="bant", key="timing")
    assert selectors.lead_answers(lead)[timing.pk].state == "met"


@pytest.mark.parametrize(("who", "allowed"), [("sam", True), ("director", True), ("admin", True), ("wang", False),
                                              ("sales_director", False), ("ae", False)])  # fmt: skip
def test_only_the_owner_their_manager_or_an_admin_may_qualify(org, leads, who, allowed):
    actor = getattr(org, who)
    if allowed:
        assert criteria_set(leads.sam, "meddic", {"champion": ("met", "the CIO")}, actor)
    else:
        with pytest.raises(NotAllowed, match="owner, their manager or an ops admin"):
            criteria_set(leads.sam, "meddic", {"champion": ("met", "the CIO")}, actor)
        assert not CriterionAnswer.objects.exists()


@pytest.mark.parametrize(("framework", "answers", "message"), [
    ("spin", {"x": ("met", "")}, "unknown qualification framework 'spin'; expected one of bant, champ, meddic, profile"),
    ("bant", {"budgett": ("met", ""), "need": ("yes", "")}, "unknown BANT criteria: 'budgett'.*not need: 'yes'"),
    ("bant", {"budget": ("met", "x" * 2001)}, "at most 2000 characters: budget"),
    ("bant", {}, "nothing to set"),
])  # fmt: skip
def test_bad_input_is_refused_naming_it_and_nothing_is_written(org, leads, framework, answers, message):
    with pytest.raises(InvalidInput, match=message):
        criteria_set(leads.sam, framework, {"authority": ("met", "")} | answers if answers else {}, org.sam)
    assert not CriterionAnswer.objects.exists()
    assert not LeadEvent.objects.filter(kind="qualified").exists()


def test_the_bant_shorthand_keeps_working(org, leads):
    qualification_update(leads.sam, org.sam, {"budget": "met", "need": "met"}, {"need": "CRM replacement"})
    states, notes = selectors.bant_states(leads.sam)
    assert states == {"budget": "met", "authority": "unknown", "need": "met", "timing": "unknown"}
    assert notes == {"need": "CRM replacement"}


# --- Gates per team -------------------------------------------------------------------------------------


def test_the_default_gate_is_bant_3_of_4_migrated_from_the_org_settings(org, leads):
    rule = GateRule.objects.get(team=None)
    assert (rule.framework.key, rule.kind, rule.count) == ("bant", "at_least", 3)
    assert not selectors.handoff_gate(leads.sam).passed
    criteria_set(leads.sam, "bant", BANT_3, org.sam)
    gate = selectors.handoff_gate(leads.sam)
    assert gate.passed and gate.explanation == "BANT 3 of 4 met (gate: at least 3)"


def test_a_team_gate_applies_to_its_leads_and_to_child_teams_by_inheritance(org, leads):
    gate_set(
        org.team_b,
        [{"framework": "profile", "kind": "more_than", "numerator": 2, "denominator": 3}],
        org.admin,
    )
    gate_set(org.sdr_root, [{"framework": "bant", "kind": "at_least", "count": 2},
                            {"framework": "meddic", "kind": "at_least", "count": 1}], org.director)  # fmt: skip
    # Wang's team has its own: the profile checklist, more than 2/3.
    criteria_set(
        leads.wang, "bant", {k: ("met", "") for k in ("budget", "authority", "need", "timing")}, org.wang
    )
    view = selectors.gate_view(leads.wang)
    assert (view.source.kind, view.source.team_name, view.passed) == ("team", "Inbound B", False)
    assert view.result.rules[0].required == 11 and view.result.rules[0].short == 11
    criteria_set(leads.wang, "profile", profile_met(10), org.wang)
    assert not selectors.handoff_gate(leads.wang).passed  # exactly 2/3 is not more than 2/3
    criteria_set(leads.wang, "profile", profile_met(11), org.wang)
    assert selectors.handoff_gate(leads.wang).passed
    # Sam's team has none: it inherits the parent's two rules, both must pass.
    criteria_set(leads.sam, "bant", {"budget": ("met", ""), "need": ("met", "")}, org.sam)
    view = selectors.gate_view(leads.sam)
    assert (view.source.kind, view.source.team_name, view.passed) == ("inherited", "SDR", False)
    assert "MEDDIC 0 of 6 met" in view.result.explanation
    criteria_set(leads.sam, "meddic", {"champion": ("met", "")}, org.sam)
    assert selectors.handoff_gate(leads.sam).passed
    # The gate of another team can be asked for explicitly.
    assert not selectors.handoff_gate(leads.sam, org.team_b).passed
    # Removing the team's own gate falls back to the parent's.
    gate_set(org.team_b, [], org.director)
    assert selectors.gate_view(leads.wang).source.kind == "inherited"


def test_a_handoff_needs_the_team_gate_and_carries_every_framework(org, leads):
    gate_set(
        org.team_a,
        [{"framework": "profile", "kind": "more_than", "numerator": 2, "denominator": 3}],
        org.admin,
    )
    criteria_set(leads.sam, "bant", BANT_3, org.sam)  # enough for the default gate, not for the team's
    with pytest.raises(Conflict, match="Customer profile checklist 0 of 15 met") as refused:
        handoff_create(leads.sam, org.sam)
    assert refused.value.code == "gate_not_passed" and len(refused.value.details["missing"]) == 15
    assert not Handoff.objects.exists()
    criteria_set(leads.sam, "profile", profile_met(11), org.sam)
    criteria_set(leads.sam, "champ", {"challenges": ("met", "manual event sign-up")}, org.sam)
    handoff = handoff_create(leads.sam, org.sam, note="hot")
    packet = handoff.packet["qualification"]
    assert packet["bant"] == {"budget": "met", "authority": "met", "need": "met", "timing": "unknown"}
    assert packet["notes"] == {"budget": "500k approved"}
    assert packet["gate"] == "Customer profile checklist 11 of 15 met (gate: more than 2/3, i.e. at least 11)"
    assert packet["gate_passed"] and packet["gate_team"] == "Inbound A"
    assert [r["framework"] for r in packet["gate_rules"]] == ["profile"]
    frameworks = {f["key"]: f for f in packet["frameworks"]}
    assert set(frameworks) == {"bant", "champ", "meddic", "profile"}
    assert (frameworks["profile"]["met"], frameworks["profile"]["total"]) == (11, 15)
    challenges = frameworks["champ"]["criteria"][0]
    assert challenges == {"key": "challenges", "label": "Challenges", "label_zh": "挑战", "state": "met",
                          "note": "manual event sign-up", "set_by": "Sam SDR", "set_at": NOW.isoformat()}  # fmt: skip


@pytest.mark.parametrize(("rules", "message"), [
    ([{"framework": "spin", "kind": "at_least", "count": 1}], "rule 1: unknown framework 'spin'"),
    ([{"framework": "bant", "kind": "at_least", "count": 5}], "BANT has 4 active criteria, so ≥ 5 can never pass"),
    ([{"framework": "bant", "kind": "more_than", "numerator": 3, "denominator": 3}], "0 <= n < d"),
    ([{"framework": "bant", "kind": "most", "count": 1}], "unknown gate rule kind 'most'"),
    ([{"framework": "bant", "kind": "at_least", "count": 1}, {"framework": "bant", "kind": "at_least", "count": 2}],
     "BANT appears twice"),
])  # fmt: skip
def test_bad_gates_are_refused_and_the_old_gate_stays(org, rules, message):
    gate_set(org.team_a, [{"framework": "bant", "kind": "at_least", "count": 2}], org.admin)
    with pytest.raises(InvalidInput, match=message):
        gate_set(org.team_a, rules, org.admin)
    assert list(GateRule.objects.filter(team=org.team_a).values_list("count", flat=True)) == [2]


def test_the_default_gate_needs_a_rule_and_an_admin(org):
    with pytest.raises(InvalidInput, match="needs at least one rule"):
        gate_set(None, [], org.admin)
    with pytest.raises(NotAllowed, match="only ops admins may change"):
        gate_set(None, [{"framework": "bant", "kind": "at_least", "count": 4}], org.director)
    gate_set(None, [{"framework": "bant", "kind": "at_least", "count": 4}], org.admin)
    assert GateRule.objects.get(team=None).count == 4
    assert AuditLog.objects.filter(action="qualification.gate_set", object_id="default").exists()


@pytest.mark.parametrize(("who", "team", "allowed"), [
    ("director", "team_a", True), ("director", "sdr_root", True), ("director", "sales", False),
    ("sales_director", "sales", True), ("sales_director", "team_a", False), ("sam", "team_a", False),
    ("admin", "sales", True),
])  # fmt: skip
def test_managers_set_the_gates_of_their_teams_only(org, who, team, allowed):
    rules = [{"framework": "champ", "kind": "at_least", "count": 3}]
    if allowed:
        gate_set(getattr(org, team), rules, getattr(org, who))
        assert GateRule.objects.filter(team=getattr(org, team)).count() == 1
    else:
        with pytest.raises(NotAllowed):
            gate_set(getattr(org, team), rules, getattr(org, who))
        assert not GateRule.objects.exclude(team=None).exists()


# --- Templates ----------------------------------------------------------------------------------------------


def test_admins_create_and_edit_frameworks(org, leads):
    with pytest.raises(NotAllowed):
        framework_create(org.director, key="spin", name="SPIN")
    fw = framework_create(org.admin, key="spin", name="SPIN", name_zh="SPIN 销售法", criteria=[
        {"key": "situation", "label": "Situation", "label_zh": "现状"},
        {"key": "problem", "label": "Problem"},
    ])  # fmt: skip
    assert not fw.builtin and [c.key for c in fw.criteria.all()] == ["situation", "problem"]
    criteria_set(leads.sam, "spin", {"problem": ("met", "manual reports")}, org.sam)
    framework_update("spin", org.admin, name="SPIN selling", criteria=[
        {"key": "problem", "label": "Problem found", "active": False},
        {"key": "implication", "label": "Implication"},
    ])  # fmt: skip
    spin = selectors.templates().get("spin")
    assert spin.name == "SPIN selling"
    assert [(c.key, c.active) for c in spin.criteria] == [
        ("situation", True),
        ("problem", False),
        ("implication", True),
    ]
    progress = selectors.lead_qualification(leads.sam).framework("spin").progress
    assert (progress.met, progress.total) == (0, 2)  # the deactivated criterion's answer no longer counts
    with pytest.raises(InvalidInput, match="deactivated SPIN selling criteria cannot be answered: 'problem'"):
        criteria_set(leads.sam, "spin", {"problem": ("met", "")}, org.sam)
    assert CriterionAnswer.objects.filter(criterion__key="problem").count() == 1  # kept, with its history


def test_an_answered_criterion_is_never_deleted(org, leads):
    framework_update("champ", org.admin, criteria=[{"key": "timeline", "label": "Timeline"}])
    criterion_delete("champ", "timeline", org.admin)  # nobody answered it
    assert not Criterion.objects.filter(framework__key="champ", key="timeline").exists()
    criteria_set(leads.sam, "champ", {"money": ("met", "")}, org.sam)
    with pytest.raises(Conflict, match="'Money' has 1 answers and is kept for their history; deactivate it"):
        criterion_delete("champ", "money", org.admin)
    assert Criterion.objects.filter(framework__key="champ", key="money").exists()


def test_a_template_change_that_would_block_a_gate_is_refused(org):
    gate_set(org.team_a, [{"framework": "champ", "kind": "at_least", "count": 4}], org.admin)
    with pytest.raises(Conflict, match="used by the handoff gate of: Inbound A"):
        framework_update("champ", org.admin, criteria=[{"key": "money", "active": False}])
    with pytest.raises(Conflict, match="framework deactivated"):
        framework_update("champ", org.admin, active=False)
    champ = Framework.objects.get(key="champ")
    assert champ.active and champ.criteria.filter(active=True).count() == 4
    framework_update("meddic", org.admin, active=False)  # in no gate
    assert "meddic" not in [f.key for f in selectors.templates().active]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"key": "Bad Key", "name": "X"}, "must start with a letter"),
    ({"key": "bant", "name": "X"}, "exists already"),
    ({"key": "x", "name": " "}, "name is required"),
    ({"key": "x", "name": "X", "criteria": [{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]}, "appear twice"),
    ({"key": "x", "name": "X", "criteria": [{"key": "a_note", "label": "A"}]}, "may not end in '_note'"),
    ({"key": "x", "name": "X", "criteria": [{"key": "a", "label": ""}]}, "label is required"),
])  # fmt: skip
def test_bad_templates_are_refused_and_nothing_is_created(org, kwargs, message):
    count = Framework.objects.count()
    with pytest.raises((InvalidInput, Conflict), match=message):
        framework_create(org.admin, **kwargs)
    assert Framework.objects.count() == count


def test_the_builtins_come_back_in_an_empty_database(org):
    GateRule.objects.all().delete()
    Criterion.objects.all().delete()
    Framework.objects.all().delete()
    from baton import localcache

    localcache.clear()
    assert [f.key for f in selectors.templates().active] == ["bant", "champ", "meddic", "profile"]
    assert selectors.gates().for_team(None).kind == "builtin"  # BANT ≥ 3, as before
