"""End to end, in a real browser against a real server: capture by API → SDR works and hands off →
AE accepts and wins the deal → the sales director sees it in the KPIs.

The server is ``baton serve`` in a subprocess on a fresh data directory; users come from a small setup
script and ``baton token create``. Screenshots of every step go to a temporary folder (or to
$BATON_E2E_SCREENSHOTS when set, to look at them).
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

PASSWORD = "e2e-Password-42"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip

SETUP = """
import os
from baton.cli import _setup
_setup()
pw = os.environ["BATON_PASSWORD"]
from baton.org.services import team_create, user_create
inbound = team_create("Inbound SDR", "sdr_inbound", timezone="Asia/Shanghai")
sales = team_create("Sales East", "sales", region="East", timezone="Asia/Shanghai")
director = user_create("diana", pw, roles=["sales_director"], team=sales, display_name="Diana Director")
user_create("sam", pw, roles=["sdr_inbound"], team=inbound, manager=director, display_name="Sam SDR")
user_create("alex", pw, roles=["ae"], team=sales, manager=director, display_name="Alex AE")
user_create("ops", pw, roles=["ops_admin"], display_name="Sales Ops")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"baton serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"baton serve did not answer {url} within {timeout} s")


@pytest.fixture
def server(tmp_path):
    """A real Baton (gunicorn) on a fresh SQLite data directory; stopped at teardown."""
    env = {**os.environ, "BATON_DATA_DIR": str(tmp_path / "data"), "BATON_PASSWORD": PASSWORD,
           "DJANGO_SETTINGS_MODULE": "baton.settings"}  # fmt: skip
    env.pop("DATABASE_URL", None)
    cli = [sys.executable, "-m", "baton.cli"]
    run = {"env": env, "check": True, "capture_output": True, "text": True, "timeout": 180}
    subprocess.run([*cli, "migrate"], **run)
    subprocess.run([sys.executable, "-c", SETUP], **run)
    token = subprocess.run([*cli, "token", "create", "ops", "--name", "e2e"], **run).stdout.strip()
    port = _free_port()
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 (closed at teardown)
    proc = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--no-worker", "--workers", "1"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/login/", proc)
        yield {"base": base, "token": token, "log": tmp_path / "server.log"}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)
        log.close()


def api_capture(base: str, token: str, lead: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base}/api/v1/leads", data=json.dumps(lead).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Idempotency-Key": "e2e-capture-1"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


def test_the_relay_from_capture_to_the_dashboard(server, chromium_path, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base = server["base"]
    shots = Path(os.environ.get("BATON_E2E_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)

    # 1. A lead arrives through the REST API and is routed to the inbound SDR at once.
    status, lead = api_capture(base, server["token"], {
        "name": "Li Na", "email": "li.na@example-robotics.cn", "phone": "+86 138 0013 8000",
        "company": "Example Robotics 有限公司", "title": "CTO", "source": "trial_signup", "region": "East",
        "industry": "manufacturing", "company_size": 400,
    })  # fmt: skip
    assert status == 201
    assert lead["owner"]["username"] == "sam" and lead["status"] == "new"
    lead_id = lead["id"]

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
            page = context.new_page()
            page.set_default_timeout(15000)
            step = iter(range(1, 100))

            def shot(name: str) -> None:
                # The top bar is sticky: keep it at the top of a full-page picture.
                page.add_style_tag(content=".topbar { position: static; }")
                page.screenshot(path=str(shots / f"{next(step):02d}-{name}.png"), full_page=True)

            def login(username: str) -> None:
                page.goto(f"{base}/login/")
                page.get_by_label("Username").fill(username)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_load_state("networkidle")

            def logout() -> None:
                page.get_by_role("button", name="Sign out").click()
                page.wait_for_url(f"{base}/login/")

            # 2. The SDR sees the lead in the queue, untouched, with the 5-minute countdown.
            login("sam")
            assert page.url == f"{base}/queue/"
            row = page.locator("#queue-table tr", has_text="Li Na")
            expect(row).to_be_visible()
            expect(row.locator("time.countdown")).to_be_visible()
            shot("sdr-queue")

            # 3. The lead page: score factors and the routing explanation.
            row.get_by_role("link", name="Li Na").click()
            page.wait_for_url(f"{base}/leads/{lead_id}/")
            expect(page.locator("#lead-body")).to_contain_text("Decision maker (title)")
            expect(page.locator("#lead-body")).to_contain_text("was chosen by round robin")
            shot("lead-page")

            # 4. Log the first call.
            touch_form = page.get_by_role("form", name="Log a touch")
            touch_form.get_by_label("Channel").select_option("call")
            touch_form.get_by_label("Outcome").select_option("connected")
            touch_form.get_by_label("Duration (min)").fill("6")
            touch_form.get_by_label("Notes", exact=True).fill("Pilot for two plants; budget approved")
            page.get_by_role("button", name="Log touch").click()
            expect(page.locator("#touch-card table")).to_contain_text("Pilot for two plants")
            expect(page.locator("#lead-body h1 .badge")).to_have_text("Working")
            shot("touch-logged")

            # 5. BANT: 3 of 4 met passes the gate.
            for criterion in ("budget", "authority", "need"):
                page.locator(f"label[for=bant_{criterion}_0]").click()
            page.get_by_label("Note on Budget").fill("500k approved for Q1")
            page.get_by_role("button", name="Save qualification").click()
            expect(page.locator("#gate")).to_contain_text("Ready to hand off.")
            shot("bant-passed")

            # 6. Hand off to sales.
            page.get_by_label("Note for the AE").fill("Wants a demo this week")
            page.get_by_role("button", name="Hand off to sales").click()
            expect(page.locator("#lead-body h1 .badge")).to_have_text("MQL")
            expect(page.locator("#lead-body")).to_contain_text("to Alex AE")
            shot("handed-off")
            logout()

            # 7. The AE sees it in the inbox with a live 48-hour countdown, and accepts.
            login("alex")
            assert page.url == f"{base}/inbox/"
            row = page.locator("#inbox-table tr", has_text="Li Na")
            expect(row).to_be_visible()
            countdown = row.locator("time.countdown")
            expect(countdown).to_have_text(re.compile(r"^1d 23:5\d:\d\d$"))
            first = countdown.inner_text()
            page.wait_for_timeout(1500)
            assert countdown.inner_text() != first  # it ticks
            shot("ae-inbox")
            row.get_by_role("link", name="Review").click()
            expect(page.locator("#handoff-body")).to_contain_text("Wants a demo this week")
            expect(page.locator("#handoff-body")).to_contain_text("500k approved for Q1")
            shot("handoff-packet")
            page.get_by_role("button", name="Accept handoff").click()
            expect(page.locator("#decision-card")).to_contain_text("Accepted by Alex AE")

            # 8. Create the opportunity and win it.
            page.get_by_label("Amount").fill("380000")
            page.get_by_role("button", name="Create opportunity").click()
            expect(page.locator("#opportunity-card")).to_contain_text("¥380,000")
            shot("opportunity-created")
            page.goto(f"{base}/pipeline/")
            card = page.locator("article.opp", has_text="Example Robotics")
            card.get_by_label(re.compile("^Stage of")).select_option(label="Won")
            card.get_by_role("button", name="Move").click()
            won_column = page.locator(
                "section.column", has=page.get_by_role("heading", name=re.compile("^Won"))
            )
            expect(won_column).to_contain_text("Example Robotics")
            shot("pipeline-won")
            logout()

            # 9. The sales director sees the relay counted in the KPIs of the quarter.
            login("diana")
            assert page.url == f"{base}/dashboard/"
            for key, value in (
                ("leads", "1"),
                ("mqls", "1"),
                ("sqls", "1"),
                ("opps_created", "1"),
                ("won", "1"),
            ):
                expect(page.locator(f'[data-kpi="{key}"] .v')).to_have_text(value)
            expect(page.locator('[data-kpi="bookings"] .v')).to_have_text("¥380,000")
            expect(page.locator("svg.funnel")).to_be_visible()
            expect(page.locator("table[aria-label=Leaderboard]")).to_contain_text("Sam SDR")
            shot("dashboard")

            # 10. The same dashboard in Chinese, through the language switch.
            page.get_by_role("button", name="中文").click()
            page.wait_for_load_state("networkidle")
            expect(page.locator("h1")).to_have_text("仪表盘")
            expect(page.locator('[data-kpi="sqls"] .k')).to_have_text("SQL")
            shot("dashboard-zh")
        finally:
            browser.close()
