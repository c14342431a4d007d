"""The SLA panel on the SDR queue and the AE inbox, and the SLA card of the manager dashboard."""

from datetime import timedelta

from baton import clock
from baton.sla.models import Clock, Penalty, Policy

from .conftest import client_for


def running(lead, user, *, policy="acceptance", due) -> Clock:
    return Clock.objects.create(policy=Policy.objects.get(key=policy), lead=lead, user=user, state="running",
                                started_at=due - timedelta(hours=48), due_at=due)  # fmt: skip


def test_the_queue_shows_the_sdrs_running_clocks_and_compliance(org, lead):
    # Routing started the speed-to-lead clock of the captured lead: due in 5 minutes.
    assert Clock.objects.get(lead=lead).user_id == org.sdr1.pk
    html = client_for(org.sdr1).get("/queue/").content.decode()
    panel = html.split('data-testid="sla-panel"', 1)[1].split("</section>", 1)[0]
    assert "Your SLAs" in html
    assert "Speed to lead" in panel and lead.name in panel and f'href="/leads/{lead.pk}/"' in panel
    assert "due soon" in panel and 'class="countdown due-soon"' in panel
    assert "Nothing decided in the last 30 days" in panel
    assert "You receive no new MQLs" not in html


def test_the_inbox_shows_overdue_clocks_the_penalty_and_compliance(org, lead):
    ae = org.ae1
    now = clock.now()
    late = running(lead, ae, due=now - timedelta(hours=2))
    Clock.objects.create(policy=Policy.objects.get(key="acceptance"), lead=lead, user=ae, state="met",
                         started_at=now - timedelta(days=3), due_at=now - timedelta(days=1),
                         stopped_at=now - timedelta(days=2), outcome={"met": True})  # fmt: skip
    Penalty.objects.create(user=ae, started_at=now - timedelta(days=1), until=now + timedelta(days=29),
                           reason="2 acceptance SLA misses in a row", clocks=[1, 2])  # fmt: skip
    html = client_for(ae).get("/inbox/").content.decode()
    panel = html.split('data-testid="sla-panel"', 1)[1].split("</section>", 1)[0]
    assert (
        f'data-clock="{late.pk}"' in panel and 'class="countdown overdue"' in panel and ">overdue<" in panel
    )
    assert "You receive no new MQLs until" in panel and "2 times in a row" in panel
    # Of the two decided in the last 30 days, one met (the open one past due is a miss).
    assert "50.0% met in the last 30 days (1 of 2)" in panel
    # The polled rows stay the inbox table alone.
    rows = client_for(ae).get("/inbox/rows/").content.decode()
    assert "sla-panel" not in rows


def test_the_panel_in_chinese(org, lead):
    org.sdr1.language = "zh-hans"
    org.sdr1.save()
    page = client_for(org.sdr1).get("/queue/")
    assert page.status_code == 200 and 'data-testid="sla-panel"' in page.content.decode()


def test_the_dashboard_shows_sla_compliance_per_policy_and_the_teams_overdue_clocks(org, lead):
    now = clock.now()
    running(lead, org.ae1, due=now - timedelta(hours=1))  # ae1 reports to the director
    running(lead, org.ae2, due=now - timedelta(hours=1))  # ae2 does not
    html = client_for(org.director).get("/dashboard/").content.decode()
    card = html.split('data-testid="sla-card"', 1)[1].split("</section>", 1)[0]
    for key in ("sla_compliance", "sla_compliance_speed_to_lead", "sla_compliance_acceptance",
                "sla_compliance_director_dispatch", "sla_compliance_manager_feedback", "sla_strikes",
                "suspensions"):  # fmt: skip
        assert f'data-kpi="{key}"' in card, key
    assert "1 clock overdue now" in card and "Alex AE" in card and "Olga AE" not in card
    # The admin sees the whole organisation's.
    admin = client_for(org.admin).get("/dashboard/").content.decode()
    assert "2 clocks overdue now" in admin.split('data-testid="sla-card"', 1)[1]
