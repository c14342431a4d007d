import json
import subprocess
import sys
from datetime import timedelta

import pytest

from baton import clock
from baton.cli import main
from baton.handoffs.models import Handoff
from baton.handoffs.services import handoff_create, qualification_update
from baton.leads.services import lead_capture, touch_log
from baton.org.models import ApiToken
from baton.org.services import team_create, token_authenticate, user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def relay_handoff():
    inbound = team_create("Inbound", "sdr_inbound")
    sales = team_create("East", "sales", region="East")
    sdr = user_create("sdr", None, roles=["sdr_inbound"], team=inbound)
    user_create("ae", None, roles=["ae"], team=sales)
    lead = lead_capture({"name": "张伟", "email": "zw@corp.cn", "region": "East"})
    touch_log(lead, sdr, channel="call", outcome="connected", duration_seconds=200)
    qualification_update(lead, sdr, {"budget": "met", "authority": "met", "need": "met"})
    return handoff_create(lead, sdr)


def test_token_create_prints_a_working_token(capsys):
    user = user_create("li", None, roles=["sdr_inbound"])
    assert main(["token", "create", "li"]) == 0
    secret = capsys.readouterr().out.strip()
    assert token_authenticate(secret) == user
    assert ApiToken.objects.get().digest != secret  # only the digest is stored


def test_token_create_for_an_unknown_user_fails_clearly(capsys):
    assert main(["token", "create", "ghost"]) == 2
    assert "no user named 'ghost'" in capsys.readouterr().err


def test_sweep_at_an_instant(capsys, relay_handoff):
    at = (relay_handoff.due_at + timedelta(minutes=1)).isoformat()
    assert main(["sweep", "--at", at]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["handoffs_overdue"] == 1
    assert Handoff.objects.get().overdue_at is not None
    assert main(["sweep", "--at", at]) == 0
    assert json.loads(capsys.readouterr().out)["handoffs_overdue"] == 0


def test_sweep_refuses_a_bad_instant(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["sweep", "--at", "yesterday"])
    assert exc.value.code == 2
    assert "not an ISO 8601 time" in capsys.readouterr().err


def test_user_create_with_bad_role(capsys, monkeypatch):
    monkeypatch.setenv("BATON_PASSWORD", "a-long-enough-password")
    assert main(["user", "create", "x", "--role", "wizard"]) == 2
    assert "unknown role" in capsys.readouterr().err
    assert main(["user", "create", "x", "--role", "ae", "--role", "am"]) == 0
    assert "ae, am" in capsys.readouterr().out


def test_kpi_json_has_the_catalogue_keys(capsys, relay_handoff):
    today = clock.now().date()
    assert (
        main(
            [
                "kpi",
                "--from",
                (today - timedelta(days=1)).isoformat(),
                "--to",
                (today + timedelta(days=1)).isoformat(),
                "--format",
                "json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    kpis = report["kpis"]
    assert kpis["leads"] == 1 and kpis["mqls"] == 1 and kpis["sqls"] == 0
    for key in (
        "mql_to_sql_rate",
        "sql_to_opp_rate",
        "opps_created",
        "won",
        "bookings",
        "win_rate",
        "speed_to_lead_median_min",
    ):
        assert key in kpis
    assert kpis["win_rate"] is None  # empty denominator is null, never 0


def test_kpi_refuses_an_empty_period(capsys):
    assert main(["kpi", "--from", "2026-10-02", "--to", "2026-10-01"]) == 2
    assert "--to must be after --from" in capsys.readouterr().err


def test_console_script_runs(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "baton.cli", "--help"], capture_output=True, text=True, check=False
    )
    assert r.returncode == 0
    for command in ("demo", "serve", "worker", "sweep", "token", "kpi", "bench"):
        assert command in r.stdout
