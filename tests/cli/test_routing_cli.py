"""``baton routing``: show, draft (every problem listed), replay, activate, and the month's eligible list."""

import json

import pytest

from baton.cli import main
from baton.leads.services import lead_capture
from baton.org.models import EligibleListEntry
from baton.org.services import team_create, user_create
from baton.routing.models import RoutingDecision, RoutingPolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbound():
    team = team_create("Inbound", "sdr_inbound")
    user_create("li", None, roles=["sdr_inbound"], team=team)
    user_create("wang", None, roles=["sdr_inbound"], team=team)
    user_create("zhao", None, roles=["ae"], team=team_create("East", "sales", region="East"))
    return team


def policy(team_id: int) -> dict:
    return {"rules": [{"key": "seo", "name": "SEO to Li", "conditions": [{"field": "source", "op": "eq", "value": "seo"}],
                       "destination": {"type": "team", "team_id": team_id}, "strategy": "weighted_round_robin",
                       "options": {"weights": {"li": 5, "wang": 1}}}],
            "fallback": {"key": "fallback", "name": "Inbound", "destination": {"type": "team", "team_id": team_id},
                         "strategy": "round_robin"}}  # fmt: skip


def test_show_draft_replay_activate(inbound, tmp_path, capsys):
    for i in range(4):
        lead_capture({"name": f"L{i}", "email": f"l{i}@f{i}.com", "source": "seo"})
    assert main(["routing", "show"]) == 0
    out = capsys.readouterr().out
    assert "lead routing: version 1" in out and "handoff routing: version 1" in out
    assert "otherwise Inbound SDRs, round robin [fallback]" in out and "everyone with the role" in out
    assert main(["routing", "show", "--kind", "lead", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert list(shown) == ["lead"] and shown["lead"]["version"] == 1 and shown["lead"]["drafts"] == []

    file = tmp_path / "policy.json"
    file.write_text(json.dumps(policy(inbound.pk)), encoding="utf-8")
    assert main(["routing", "draft", "--kind", "lead", "--file", str(file), "--note", "SEO weighted"]) == 0
    assert "draft version 2 saved" in capsys.readouterr().out
    assert RoutingPolicy.objects.get(kind="lead", version=2).note == "SEO weighted"

    decisions = RoutingDecision.objects.count()
    assert main(["routing", "replay", "--kind", "lead", "--version", "2", "--last", "3", "--json"]) == 0
    replay = json.loads(capsys.readouterr().out)
    assert replay["ok"] and replay["items"] == 3 and {r["rule"] for r in replay["rows"]} == {"SEO to Li"}
    assert sum(replay["would"].values()) == 3
    assert main(["routing", "replay", "--kind", "lead", "--file", str(file)]) == 0
    out = capsys.readouterr().out
    assert "replay of" in out and "would change" in out and "per person" in out
    assert RoutingDecision.objects.count() == decisions

    assert main(["routing", "activate", "--kind", "lead", "--version", "2"]) == 0
    assert "version 2 is active" in capsys.readouterr().out
    assert RoutingPolicy.objects.get(kind="lead", version=1).state == "retired"
    assert main(["routing", "show", "--kind", "lead"]) == 0
    out = capsys.readouterr().out
    assert (
        "version 2" in out and "SEO to Li [seo]  when source is seo" in out and "weights: li 5, wang 1" in out
    )


def test_bad_input_exits_2_with_every_problem(inbound, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"rules": [{"conditions": [{"field": "shoe", "op": "eq", "value": 1}],
                                          "destination": {"type": "team"}, "strategy": "coin"}]}))  # fmt: skip
    assert main(["routing", "draft", "--kind", "lead", "--file", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "error: the routing policy is not valid" in err
    for problem in ("unknown field 'shoe'", "unknown strategy 'coin'", "needs team_id", "needs a fallback"):
        assert problem in err
    broken = tmp_path / "broken.json"
    broken.write_text("{rules: [", encoding="utf-8")
    assert main(["routing", "draft", "--kind", "lead", "--file", str(broken)]) == 2
    assert "is not valid JSON (line 1" in capsys.readouterr().err
    assert main(["routing", "draft", "--kind", "lead", "--file", str(tmp_path / "missing.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["routing", "activate", "--kind", "lead", "--version", "7"]) == 2
    assert "no lead routing policy version 7" in capsys.readouterr().err
    assert main(["routing", "replay", "--kind", "handoff", "--version", "9", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["ok"] is False
    for argv, says in [
        (["routing", "draft", "--kind", "mql", "--file", str(bad)], "invalid choice: 'mql'"),
        (["routing", "replay", "--kind", "lead"], "one of the arguments --file --version is required"),
        (["routing", "replay", "--kind", "lead", "--version", "1", "--last", "0"], "must be at least 1"),
        (["routing", "eligible", "2026-13"], "not a month: '2026-13'"),
    ]:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        assert says in capsys.readouterr().err
    assert RoutingPolicy.objects.count() == 2


def test_eligible_list(inbound, capsys):
    assert main(["routing", "eligible", "2026-12"]) == 0
    assert "no eligible list for 2026-12" in capsys.readouterr().out
    assert main(["routing", "eligible", "2026-12", "--set", "zhao,li"]) == 0
    assert "eligible list for 2026-12 (2): li, zhao" in capsys.readouterr().out
    assert main(["routing", "eligible", "2026-12", "--set", "zhao,ghost"]) == 2
    assert "unknown users: ghost; nothing was changed" in capsys.readouterr().err
    assert EligibleListEntry.objects.count() == 2
    assert main(["routing", "eligible", "2026-12", "--set", ""]) == 0
    assert "no eligible list" in capsys.readouterr().out and not EligibleListEntry.objects.exists()
