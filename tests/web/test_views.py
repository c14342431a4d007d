"""View tests: every page for the right role, row-level visibility, bad input, CSRF, Chinese."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from baton import clock, localcache
from baton.handoffs.models import Handoff
from baton.handoffs.services import handoff_accept, handoff_create, qualification_update
from baton.leads.models import Lead, Touch
from baton.leads.services import touch_log
from baton.notifications.models import Notification
from baton.pipeline.models import Opportunity, Stage
from baton.pipeline.services import opportunity_create
from baton.qualification.models import CriterionAnswer
from baton.qualification.selectors import bant_states

from .conftest import HTMX, PASSWORD, capture, client_for, pool_lead

BANT_3_OF_4 = {"budget": "met", "authority": "met", "need": "met", "timing": "unknown"}


def qualified(lead, sdr):
    touch_log(lead, sdr, channel="call", outcome="connected", duration_seconds=300)
    qualification_update(lead, sdr, BANT_3_OF_4)
    lead.refresh_from_db()
    return lead


def handed_off(lead, sdr) -> Handoff:
    return handoff_create(qualified(lead, sdr), sdr, note="Wants a demo")


def local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# --- Sign-in, home, navigation --------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_the_login_page():
    response = Client().get("/queue/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/queue/")
    page = Client().get("/login/")
    assert page.status_code == 200
    assert b'name="username"' in page.content and b"<label" in page.content


@pytest.mark.parametrize(("who", "start"), [("sdr1", "/queue/"), ("ae1", "/inbox/"), ("director", "/dashboard/"),
                                            ("admin", "/dashboard/")])  # fmt: skip
def test_sign_in_with_password_and_land_on_the_page_of_the_role(org, who, start):
    client = Client()
    user = getattr(org, who)
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    home = client.get(response["Location"])
    assert home.status_code == 302 and home["Location"] == start


def test_wrong_password_shows_an_error(org):
    response = Client().post("/login/", {"username": "sam", "password": "nope"})
    assert response.status_code == 200
    assert b'role="alert"' in response.content


def test_logout_is_a_post(org):
    client = client_for(org.sdr1)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/queue/").status_code == 302


def test_the_top_navigation_follows_the_roles(org):
    sdr = client_for(org.sdr1).get("/pool/").content.decode()
    assert 'href="/queue/"' in sdr and 'href="/inbox/"' not in sdr
    ae = client_for(org.ae1).get("/inbox/").content.decode()
    assert 'href="/inbox/"' in ae and 'href="/queue/"' not in ae


# --- SDR queue and pool ------------------------------------------------------------------------------


def test_queue_lists_the_sdrs_own_open_leads_with_speed_to_lead(org, lead):
    other = capture(2)  # round robin: the second SDR
    assert other.owner_id == org.sdr2.pk
    page = client_for(org.sdr1).get("/queue/")
    assert page.status_code == 200
    html = page.content.decode()
    assert lead.name in html and other.name not in html
    assert "captured less than a minute ago" in html
    assert "call within" in html and "data-due=" in html
    assert 'hx-trigger="every 15s"' in html


def test_queue_rows_partial_is_polled_and_is_only_for_sdrs(org, lead):
    partial = client_for(org.sdr1).get("/queue/rows/", **HTMX)
    assert partial.status_code == 200
    assert b"<html" not in partial.content and lead.name.encode() in partial.content
    assert client_for(org.ae1).get("/queue/").status_code == 403
    assert client_for(org.ae1).get("/queue/rows/").status_code == 403


def test_pool_lists_unowned_leads_and_an_sdr_claims_one(org):
    unowned = pool_lead()
    page = client_for(org.sdr1).get("/pool/")
    assert page.status_code == 200 and unowned.name.encode() in page.content
    response = client_for(org.sdr1).post(f"/pool/{unowned.pk}/claim/")
    assert response.status_code == 302 and response["Location"] == f"/leads/{unowned.pk}/"
    unowned.refresh_from_db()
    assert unowned.owner_id == org.sdr1.pk


def test_claiming_a_lead_someone_else_just_claimed_fails_and_changes_nothing(org):
    unowned = pool_lead()
    client_for(org.sdr2).post(f"/pool/{unowned.pk}/claim/")
    # sdr1 can no longer see it (owned by sdr2): 404, and the owner stays.
    assert client_for(org.sdr1).post(f"/pool/{unowned.pk}/claim/").status_code == 404
    # The admin sees it, but it is not in the pool any more: an error, nothing changes.
    response = client_for(org.admin).post(f"/pool/{unowned.pk}/claim/", **HTMX)
    assert response.status_code == 403
    assert b"no longer in the public pool" in response.content
    assert response["HX-Retarget"] == "#pool-table"
    unowned.refresh_from_db()
    assert unowned.owner_id == org.sdr2.pk


def test_an_ae_may_not_claim_from_the_pool(org):
    unowned = pool_lead()
    assert client_for(org.ae1).post(f"/pool/{unowned.pk}/claim/").status_code == 403
    assert client_for(org.ae1).get("/pool/").status_code == 403
    unowned.refresh_from_db()
    assert unowned.owner_id is None


# --- Lead page --------------------------------------------------------------------------------------


def test_lead_page_shows_score_factors_routing_and_timeline(org, lead):
    page = client_for(org.sdr1).get(f"/leads/{lead.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Decision maker (title)" in html and "+30" in html  # score factor with its points
    assert "inbound-sdr" in html and "was chosen by round robin" in html  # routing explanation
    assert "wang" in html  # the other candidate, with its tally
    assert "Captured from Website trial / signup" in html  # timeline
    assert 'id="touch-card"' in html and 'id="qualify-card"' in html


def test_lead_page_is_404_for_another_sdrs_lead_and_for_an_ae_without_a_handoff(org, lead):
    assert client_for(org.sdr2).get(f"/leads/{lead.pk}/").status_code == 404
    assert client_for(org.ae1).get(f"/leads/{lead.pk}/").status_code == 404
    assert client_for(org.sdr1).get("/leads/999999/").status_code == 404
    assert client_for(org.admin).get(f"/leads/{lead.pk}/").status_code == 200


def test_another_sdr_cannot_post_to_a_lead_they_cannot_see(org, lead):
    response = client_for(org.sdr2).post(f"/leads/{lead.pk}/touches/", {
        "channel": "call", "direction": "outbound", "outcome": "connected", "duration_minutes": "1",
        "occurred_at": local_input(clock.now()),
    })  # fmt: skip
    assert response.status_code == 404
    assert not Touch.objects.exists()


def test_lead_page_runs_a_constant_number_of_queries(org, lead):
    client = client_for(org.sdr1)
    client.get(f"/leads/{lead.pk}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/leads/{lead.pk}/")
    for _ in range(8):
        touch_log(lead, org.sdr1, channel="email", outcome="sent")
    with CaptureQueriesContext(connection) as many:
        client.get(f"/leads/{lead.pk}/")
    assert len(many) == len(few)
    assert len(few) <= 20


def test_list_pages_run_a_constant_number_of_queries(org):
    """No N+1: the queue, the inbox and the board cost the same with 1 or 4 rows."""
    pages = {org.sdr1: "/queue/", org.ae1: "/inbox/", org.admin: "/pipeline/"}

    def counts() -> dict:
        localcache.clear()  # cached configuration (rules, channel history) is read anew each time
        out = {}
        for user, url in pages.items():
            client = client_for(user)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            out[url] = len(queries)
        return out

    def relay(numbers) -> None:
        for n in numbers:
            lead = capture(n)  # round robin: odd numbers to sdr1
            # Half of sdr1's leads go all the way to an opportunity; the rest wait in the queue.
            if n % 4 == 1:
                handoff_accept(handed_off(lead, org.sdr1), org.ae1)
                opportunity_create(lead, org.ae1, amount=1000 * n)

    relay(range(1, 5))
    before = counts()
    relay(range(5, 17))
    assert Lead.objects.filter(owner=org.sdr1, status="new").count() == 4
    assert Opportunity.objects.count() == 4
    assert counts() == before


def test_log_a_touch(org, lead):
    response = client_for(org.sdr1).post(f"/leads/{lead.pk}/touches/", {
        "channel": "call", "direction": "outbound", "outcome": "connected", "duration_minutes": "4",
        "occurred_at": local_input(clock.now()), "notes": "Discussed the rollout",
    })  # fmt: skip
    assert response.status_code == 302
    touch = Touch.objects.get()
    assert (touch.channel, touch.duration_seconds, touch.notes) == ("call", 240, "Discussed the rollout")
    lead.refresh_from_db()
    assert lead.status == "working" and lead.first_touch_at is not None


def test_log_a_touch_with_htmx_returns_the_lead_body(org, lead):
    response = client_for(org.sdr1).post(f"/leads/{lead.pk}/touches/", {
        "channel": "email", "direction": "outbound", "outcome": "sent", "duration_minutes": "",
        "occurred_at": local_input(clock.now()),
    }, **HTMX)  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('\n<div id="lead-body">') or 'id="lead-body"' in html.split("\n", 3)[1]
    assert "Touch logged." in html and 'hx-swap-oob="true"' in html
    assert Touch.objects.count() == 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("duration_minutes", "-5", "greater than or equal to 0"),
    ("channel", "fax", "Select a valid choice"),
    ("occurred_at", "yesterday-ish", "Enter a valid date/time"),
])  # fmt: skip
def test_bad_touch_input_shows_the_error_and_changes_nothing(org, lead, field, value, message):
    data = {"channel": "call", "direction": "outbound", "outcome": "connected", "duration_minutes": "3",
            "occurred_at": local_input(clock.now())}  # fmt: skip
    data[field] = value
    response = client_for(org.sdr1).post(f"/leads/{lead.pk}/touches/", data, **HTMX)
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#touch-card"
    html = response.content.decode()
    assert message in html and "Please correct the fields marked below." in html
    assert not Touch.objects.exists()
    lead.refresh_from_db()
    assert lead.status == "new"


def test_a_touch_in_the_future_is_refused_by_the_service(org, lead):
    later = clock.now() + timedelta(hours=2)
    response = client_for(org.sdr1).post(f"/leads/{lead.pk}/touches/", {
        "channel": "call", "direction": "outbound", "outcome": "connected", "occurred_at": local_input(later),
    })  # fmt: skip
    assert response.status_code == 422
    assert b"occurred_at: is in the future" in response.content
    assert b"<html" in response.content  # a plain POST gets the whole page back, with the error
    assert not Touch.objects.exists()


def test_bant_form_updates_the_qualification_and_shows_the_gate(org, lead):
    client = client_for(org.sdr1)
    response = client.post(f"/leads/{lead.pk}/qualification/", {
        "budget": "met", "authority": "met", "need": "not_met", "timing": "unknown", "budget_note": "500k approved",
    }, **HTMX)  # fmt: skip
    assert response.status_code == 200
    states, notes = bant_states(lead)
    assert states == {"budget": "met", "authority": "met", "need": "not_met", "timing": "unknown"}
    assert notes["budget"] == "500k approved"
    html = response.content.decode()
    assert "BANT 2 of 4 met (the gate needs 3)." in html
    assert "Missing for the handoff gate:" in html and "BANT: 1 more of" in html and "Need, Timing" in html


def test_bad_bant_input_changes_nothing(org, lead):
    response = client_for(org.sdr1).post(f"/leads/{lead.pk}/qualification/", {
        "budget": "maybe", "authority": "met", "need": "met", "timing": "met",
    }, **HTMX)  # fmt: skip
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#qualify-card"
    assert b"Please choose met, not met or unknown" in response.content
    assert not CriterionAnswer.objects.exists()


def test_handoff_is_refused_before_the_gate_passes(org, lead):
    touch_log(lead, org.sdr1, channel="call", outcome="connected")
    response = client_for(org.sdr1).post(f"/leads/{lead.pk}/handoff/", {"note": "please"}, **HTMX)
    assert response.status_code == 409
    assert b"does not pass the handoff gate" in response.content
    assert not Handoff.objects.exists()
    lead.refresh_from_db()
    assert lead.status == "working"


def test_hand_off_a_qualified_lead(org, lead):
    qualified(lead, org.sdr1)
    page = client_for(org.sdr1).get(f"/leads/{lead.pk}/").content.decode()
    assert "Ready to hand off." in page
    response = client_for(org.sdr1).post(f"/leads/{lead.pk}/handoff/", {"note": "Hot, wants a demo"}, **HTMX)
    assert response.status_code == 200
    handoff = Handoff.objects.get()
    assert handoff.ae_id == org.ae1.pk and handoff.packet["sdr_note"] == "Hot, wants a demo"
    lead.refresh_from_db()
    assert lead.status == "mql"
    assert "Handed off to Alex AE" in response.content.decode()


def test_disqualify_needs_a_reason(org, lead):
    client = client_for(org.sdr1)
    response = client.post(f"/leads/{lead.pk}/disqualify/", {"reason": "  "}, **HTMX)
    assert response.status_code == 422 and response["HX-Retarget"] == "#dq-card"
    lead.refresh_from_db()
    assert lead.status == "new"
    response = client.post(f"/leads/{lead.pk}/disqualify/", {"reason": "Student, no company"})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.status, lead.disqualified_reason) == ("disqualified", "Student, no company")


def test_lead_list_searches_within_visibility(org, lead):
    other = capture(2)
    page = client_for(org.sdr1).get("/leads/", {"q": "Lead"})
    assert page.status_code == 200
    assert lead.name.encode() in page.content and other.name.encode() not in page.content
    admin = client_for(org.admin).get(
        "/leads/", {"q": "Lead 2"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="lead-results"
    )
    assert other.name.encode() in admin.content and b"<html" not in admin.content


# --- AE inbox and handoff page ----------------------------------------------------------------------


def test_inbox_lists_pending_handoffs_with_a_countdown(org, lead):
    handoff = handed_off(lead, org.sdr1)
    page = client_for(org.ae1).get("/inbox/")
    assert page.status_code == 200
    html = page.content.decode()
    assert lead.name in html and "Sam SDR" in html
    assert f'data-due="{handoff.due_at.isoformat()}"' in html
    assert "1d 23:59" in html  # 48 hours minus the seconds the test took
    assert client_for(org.sdr1).get("/inbox/").status_code == 403
    assert client_for(org.ae2).get("/inbox/").content.count(lead.name.encode()) == 0


def test_handoff_page_shows_the_packet_and_is_404_for_another_ae(org, lead):
    handoff = handed_off(lead, org.sdr1)
    page = client_for(org.ae1).get(f"/inbox/{handoff.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Wants a demo" in html and "BANT 3 of 4 met" in html and "Decision maker (title)" in html
    assert "Accept handoff" in html and "Reject handoff" in html
    assert "No real need" in html  # a reject reason
    assert client_for(org.ae2).get(f"/inbox/{handoff.pk}/").status_code == 404
    # The SDR who sent it may look, but cannot decide.
    sdr_view = client_for(org.sdr1).get(f"/inbox/{handoff.pk}/")
    assert sdr_view.status_code == 200 and b"Accept handoff" not in sdr_view.content
    assert client_for(org.sdr2).get(f"/inbox/{handoff.pk}/").status_code == 404


def test_another_ae_cannot_accept(org, lead):
    handoff = handed_off(lead, org.sdr1)
    assert client_for(org.ae2).post(f"/inbox/{handoff.pk}/accept/").status_code == 404
    handoff.refresh_from_db()
    assert handoff.status == "pending"


def test_the_sender_cannot_accept_their_own_handoff(org, lead):
    handoff = handed_off(lead, org.sdr1)
    response = client_for(org.sdr1).post(f"/inbox/{handoff.pk}/accept/", **HTMX)
    assert response.status_code == 403
    assert b"only they can accept or reject it" in response.content
    handoff.refresh_from_db()
    assert handoff.status == "pending"


def test_accept_then_create_the_opportunity(org, lead):
    handoff = handed_off(lead, org.sdr1)
    client = client_for(org.ae1)
    response = client.post(f"/inbox/{handoff.pk}/accept/", **HTMX)
    assert response.status_code == 200
    assert b"Create opportunity" in response.content
    handoff.refresh_from_db()
    lead.refresh_from_db()
    assert handoff.status == "accepted" and lead.status == "sql"
    bad = client.post(f"/inbox/{handoff.pk}/opportunity/", {"amount": "-1", "name": "Acme"}, **HTMX)
    assert bad.status_code == 422 and bad["HX-Retarget"] == "#opportunity-card"
    assert not Opportunity.objects.exists()
    ok = client.post(f"/inbox/{handoff.pk}/opportunity/", {"amount": "120000", "name": "Acme rollout",
                                                           "expected_close": "2031-03-31"})  # fmt: skip
    assert ok.status_code == 302
    opp = Opportunity.objects.get()
    assert (opp.name, str(opp.amount), opp.owner_id) == ("Acme rollout", "120000.00", org.ae1.pk)
    # Converting makes the lead's person a contact at its account (capture only writes the lead).
    lead.refresh_from_db()
    assert opp.contact_id == lead.contact_id is not None
    assert (opp.contact.name, opp.contact.email, opp.contact.account_id) == (
        lead.name,
        lead.email,
        lead.account_id,
    )


def test_reject_needs_a_reason_and_then_returns_the_lead_to_nurture(org, lead):
    handoff = handed_off(lead, org.sdr1)
    client = client_for(org.ae1)
    bad = client.post(f"/inbox/{handoff.pk}/reject/", {"reason": "", "note": "meh"}, **HTMX)
    assert bad.status_code == 422 and bad["HX-Retarget"] == "#decision-card"
    assert b"A rejection needs a reason." in bad.content
    handoff.refresh_from_db()
    assert handoff.status == "pending"
    past = client.post(f"/inbox/{handoff.pk}/reject/", {"reason": "no_budget", "nurture_until": "2000-01-01"})
    assert past.status_code == 422 and b"must be a future date" in past.content
    handoff.refresh_from_db()
    assert handoff.status == "pending"
    ok = client.post(f"/inbox/{handoff.pk}/reject/", {"reason": "no_budget", "note": "Next year"})
    assert ok.status_code == 302 and ok["Location"] == "/inbox/"
    handoff.refresh_from_db()
    lead.refresh_from_db()
    assert handoff.status == "rejected" and handoff.reject_reason.code == "no_budget"
    assert lead.status == "nurturing"
    # The SDR sees the decision and the reason on the lead page.
    page = client_for(org.sdr1).get(f"/leads/{lead.pk}/").content.decode()
    assert "No budget" in page and "Next year" in page


# --- Pipeline ---------------------------------------------------------------------------------------


@pytest.fixture
def opportunity(org, lead):
    handoff = handed_off(lead, org.sdr1)
    handoff_accept(handoff, org.ae1)
    opp, _created = opportunity_create(lead, org.ae1, amount=50000, name="Acme deal")
    return opp


def test_board_shows_the_opportunity_in_its_stage(org, opportunity):
    page = client_for(org.ae1).get("/pipeline/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Acme deal" in html and "¥50,000" in html and "Discovery" in html
    assert f'id="opp-{opportunity.pk}"' in html
    assert "Acme deal" not in client_for(org.ae2).get("/pipeline/").content.decode()
    assert client_for(org.ae2).get(f"/pipeline/{opportunity.pk}/").status_code == 404
    assert client_for(org.ae1).get(f"/pipeline/{opportunity.pk}/").status_code == 200


def test_moving_to_lost_needs_a_reason(org, opportunity):
    lost = Stage.objects.get(kind="lost")
    response = client_for(org.ae1).post(f"/pipeline/{opportunity.pk}/move/", {"stage": lost.pk}, **HTMX)
    assert response.status_code == 422
    assert b"needs a reason" in response.content
    opportunity.refresh_from_db()
    assert opportunity.stage.kind == "open"


def test_move_an_opportunity_to_won(org, opportunity):
    won = Stage.objects.get(kind="won")
    response = client_for(org.ae1).post(f"/pipeline/{opportunity.pk}/move/", {"stage": won.pk}, **HTMX)
    assert response.status_code == 200 and b'id="board"' in response.content
    opportunity.refresh_from_db()
    assert opportunity.stage_id == won.pk and opportunity.closed_at is not None


def test_only_the_owner_moves_an_opportunity(org, opportunity):
    won = Stage.objects.get(kind="won")
    response = client_for(org.sdr1).post(f"/pipeline/{opportunity.pk}/move/", {"stage": won.pk}, **HTMX)
    assert response.status_code == 403
    opportunity.refresh_from_db()
    assert opportunity.stage.kind == "open"


# --- Dashboard --------------------------------------------------------------------------------------


def test_dashboard_counts_the_relay_for_a_manager(org, opportunity):
    page = client_for(org.director).get("/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Your team (2 people)" in html
    assert '<svg class="funnel"' in html
    assert 'data-kpi="sqls"' in html
    assert "Leaderboard" in html and "Alex AE" in html


def test_dashboard_for_admin_shows_the_whole_organisation(org, opportunity):
    page = client_for(org.admin).get("/dashboard/", {"preset": "this_month"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Whole organisation" in html
    assert "Sam SDR" in html and "Website trial / signup" in html  # leaderboard and channel quality
    assert 'aria-label="Leads 1, MQLs 1, SQLs 1, Opportunities 1, Won 0"' in html


def test_dashboard_for_a_rep_shows_their_own_work_and_checks_the_period(org, lead):
    client = client_for(org.sdr1)
    page = client.get("/dashboard/")
    assert page.status_code == 200 and b"Your own work" in page.content and b"Leaderboard" not in page.content
    custom = client.get("/dashboard/", {"start": "2026-01-01", "end": "2026-01-31"})
    assert custom.status_code == 200 and b"2026-01-01 \xe2\x80\x93 2026-01-31" in custom.content
    bad = client.get("/dashboard/", {"start": "2026-02-01", "end": "2026-01-01"})
    assert bad.status_code == 200 and b"must not be before its start" in bad.content


# --- Notifications, CSRF, language ------------------------------------------------------------------


def test_notifications_are_listed_and_marked_read(org, lead):
    client = client_for(org.sdr1)
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert b"New lead assigned to you: Lead 1 (Acme 1)" in page.content
    assert b'data-testid="unread-count">1<' in page.content
    assert client.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(user=org.sdr1, read_at=None).exists()


def test_opening_a_notification_marks_it_read_and_follows_its_link(org, lead):
    note = Notification.objects.get(user=org.sdr1)
    response = client_for(org.sdr1).post(f"/notifications/{note.pk}/open/")
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert client_for(org.sdr2).post(f"/notifications/{note.pk}/open/")["Location"] == "/notifications/"


def test_csrf_is_enforced(org, lead):
    client = client_for(org.sdr1, enforce_csrf_checks=True)
    data = {
        "channel": "call",
        "direction": "outbound",
        "outcome": "connected",
        "occurred_at": local_input(clock.now()),
    }
    assert client.post(f"/leads/{lead.pk}/touches/", data).status_code == 403
    assert not Touch.objects.exists()
    page = client.get(f"/leads/{lead.pk}/")
    token = page.cookies["csrftoken"].value
    assert f'"X-CSRFToken": "{page.context["csrf_token"]}"'.encode() in page.content  # htmx sends it
    ok = client.post(f"/leads/{lead.pk}/touches/", data, HTTP_X_CSRFTOKEN=token, **HTMX)
    assert ok.status_code == 200
    assert Touch.objects.count() == 1


def test_chinese_through_the_language_switch_is_kept_on_the_user(org, lead):
    client = client_for(org.sdr1)
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/queue/"})
    assert response.status_code == 302 and response["Location"] == "/queue/"
    org.sdr1.refresh_from_db()
    assert org.sdr1.language == "zh-hans"
    page = client.get("/queue/").content.decode()
    assert '<html lang="zh-Hans">' in page
    assert "我的队列" in page and "公海" in page
    # Another browser (no language cookie) gets Chinese too: the choice is stored on the user.
    fresh = client_for(org.sdr1).get(f"/leads/{lead.pk}/").content.decode()
    assert "时间线" in fresh and "官网试用 / 注册" in fresh
    note = client_for(org.sdr1).get("/notifications/").content.decode()
    assert "新线索已分配给你" in note


def test_reject_reasons_show_their_chinese_label(org, lead):
    handoff = handed_off(lead, org.sdr1)
    org.ae1.language = "zh-hans"
    org.ae1.save()
    page = client_for(org.ae1).get(f"/inbox/{handoff.pk}/").content.decode()
    assert "没有预算" in page and "接受" in page


def test_lead_capture_for_queue_ordering(org):
    """Untouched new leads come before worked ones in the queue, whatever their scores."""
    worked = capture(1, title="CEO")
    capture(2)  # round robin: the other SDR
    fresh = capture(3, title="Intern", source="other")
    touch_log(worked, org.sdr1, channel="call", outcome="connected")
    html = client_for(org.sdr1).get("/queue/").content.decode()
    assert Lead.objects.get(pk=fresh.pk).owner_id == org.sdr1.pk
    assert html.index(fresh.name) < html.index(worked.name)
