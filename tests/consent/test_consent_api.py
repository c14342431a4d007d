"""The consent API: happy paths, bad input, tokens and roles, in the project's error format."""

import pytest

from baton.consent import services
from baton.consent.models import ContactPreference, DomainSuppression


def test_a_decision_needs_a_token(api_as):
    r = api_as(None).get("/consent/decision", email="a@acme.com", channel="email")
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"


def test_read_a_decision(api_as, org):
    api = api_as("sdr")
    r = api.get("/consent/decision", email="a@acme.com", channel="email")
    assert r.status_code == 200
    assert r.json() == {"channel": "email", "allowed": True, "code": "legitimate_interest",
                        "reason": "no opt-out recorded (legitimate interest)", "email": "a@acme.com", "phone": None}  # fmt: skip
    services.preference_record(phone="13800138000", channel="call", state="opted_out", actor=org.sdr)
    r = api.get("/consent/decision", phone="+86 138 0013 8000", channel="call")
    assert r.json()["allowed"] is False and r.json()["code"] == "opted_out"


@pytest.mark.parametrize(
    ("params", "status", "detail"),
    [
        ({"email": "not-an-email", "channel": "email"}, 422, "email:"),
        ({"email": "a@acme.com", "channel": "fax"}, 422, "channel:"),
        ({"email": "a@acme.com"}, 422, "channel:"),
        ({"channel": "email"}, 422, "an e-mail or a phone number is required"),
        ({"phone": "12", "channel": "call"}, 422, "phone:"),
    ],
)
def test_bad_decision_requests(api_as, params, status, detail):
    r = api_as("ae").get("/consent/decision", **params)
    assert r.status_code == status
    body = r.json()
    assert body["error"] == "invalid_input" and detail in body["detail"]


def test_record_preferences_by_role(api_as, org):
    r = api_as("sdr").post("/consent/preferences", {"email": "Li@Acme.com", "channel": "all", "state": "opted_out",
                                                     "note": "asked on the call"})  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["email"], body["channel"], body["state"], body["source"]) == (
        "li@acme.com",
        "all",
        "opted_out",
        "api",
    )
    assert body["recorded_by"]["username"] == "sam"
    r = api_as("ae").post(
        "/consent/preferences", {"email": "li@acme.com", "channel": "email", "state": "opted_in"}
    )
    assert r.status_code == 403 and r.json()["error"] == "forbidden" and "opt-out" in r.json()["detail"]
    r = api_as("marketer").post("/consent/preferences", {"email": "li@acme.com", "channel": "email",
                                                         "state": "opted_in", "source": "form"})  # fmt: skip
    assert r.status_code == 201
    history = api_as("ae").get("/consent/preferences", email="li@acme.com").json()
    assert [(p["state"], p["source"]) for p in history] == [("opted_in", "form"), ("opted_out", "api")]
    assert (
        api_as("ae").get("/consent/decision", email="li@acme.com", channel="email").json()["allowed"] is True
    )
    assert (
        api_as("ae").get("/consent/decision", email="li@acme.com", channel="call").json()["allowed"] is False
    )


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        ({"email": "nope", "channel": "email", "state": "opted_out"}, "email:"),
        ({"email": "a@acme.com", "channel": "sms", "state": "opted_out"}, "channel:"),
        ({"email": "a@acme.com", "channel": "email", "state": "no"}, "state:"),
        ({"email": "a@acme.com", "channel": "email", "state": "opted_out", "colour": "red"}, "colour:"),
        ({"channel": "email", "state": "opted_out"}, "an e-mail or a phone number is required"),
    ],
)
def test_bad_preferences_are_refused(api_as, payload, detail):
    r = api_as("admin").post("/consent/preferences", payload)
    assert r.status_code == 422 and r.json()["error"] == "invalid_input" and detail in r.json()["detail"]
    assert not ContactPreference.objects.exists()


def test_malformed_json_and_missing_token_on_writes(api_as):
    r = api_as("admin").post("/consent/preferences", raw="{not json")
    assert r.status_code == 400 and r.json()["error"] == "malformed_json"
    r = api_as(None).post(
        "/consent/preferences", {"email": "a@acme.com", "channel": "email", "state": "opted_out"}
    )
    assert r.status_code == 401


def test_domain_suppressions(api_as, org):
    admin = api_as("admin")
    r = admin.post("/consent/suppressions", {"domain": "www.Acme.com", "reason": "legal asked"})
    assert (
        r.status_code == 201
        and r.json()["domain"] == "acme.com"
        and r.json()["created_by"]["username"] == "root"
    )
    assert (
        admin.post("/consent/suppressions", {"domain": "acme.com", "reason": "x"}).json()["error"]
        == "already_suppressed"
    )
    listed = api_as("sdr").get("/consent/suppressions").json()
    assert [s["domain"] for s in listed] == ["acme.com"]
    d = api_as("sdr").get("/consent/decision", email="li@acme.com", channel="call").json()
    assert d["allowed"] is False and d["code"] == "domain_suppressed"
    r = admin.client.delete("/api/v1/consent/suppressions/acme.com", headers=admin._headers())
    assert (
        r.status_code == 200 and r.json()["active"] is False and r.json()["removed_by"]["username"] == "root"
    )
    r = admin.client.delete("/api/v1/consent/suppressions/acme.com", headers=admin._headers())
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert api_as("sdr").get("/consent/suppressions").json() == []
    assert len(api_as("sdr").get("/consent/suppressions", include_removed="true").json()) == 1


@pytest.mark.parametrize("who", ["sdr", "ae", "marketer"])
def test_only_admins_manage_suppressions(api_as, org, who):
    services.domain_suppress("acme.com", "competitor", org.admin)
    api = api_as(who)
    r = api.post("/consent/suppressions", {"domain": "beta.com", "reason": "no"})
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    r = api.client.delete("/api/v1/consent/suppressions/acme.com", headers=api._headers())
    assert r.status_code == 403
    assert DomainSuppression.objects.filter(active=True).count() == 1


@pytest.mark.parametrize(
    ("payload", "status", "detail"),
    [
        ({"domain": "not a domain", "reason": "x"}, 422, "not a valid domain"),
        ({"domain": "gmail.com", "reason": "x"}, 422, "free-mail"),
        ({"domain": "acme.com", "reason": ""}, 422, "reason"),
        ({"domain": "acme.com"}, 422, "reason:"),
    ],
)
def test_bad_suppressions(api_as, payload, status, detail):
    r = api_as("admin").post("/consent/suppressions", payload)
    assert r.status_code == status and detail in r.json()["detail"]


def test_one_click_unsubscribe_needs_no_token_but_a_valid_link(api_as, org):
    token = services.unsubscribe_token("li@acme.com")
    r = api_as(None).post(f"/consent/unsubscribe/{token}")
    assert r.status_code == 200 and r.json() == {"unsubscribed": True, "channel": "email"}
    assert ContactPreference.objects.get().source == "unsubscribe_link"
    r = api_as(None).post(f"/consent/unsubscribe/{token[:-3]}abc")
    assert r.status_code == 422 and r.json()["error"] == "invalid_token"
    assert ContactPreference.objects.count() == 1


def test_the_openapi_document_lists_the_consent_endpoints(api_as):
    paths = api_as("admin").get("/openapi.json").json()["paths"]
    assert {"/api/v1/consent/decision", "/api/v1/consent/preferences", "/api/v1/consent/suppressions",
            "/api/v1/consent/suppressions/{domain}", "/api/v1/consent/unsubscribe/{token}"} <= set(paths)  # fmt: skip
