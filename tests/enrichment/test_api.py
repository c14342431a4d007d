"""The enrichment API: re-run a lead's look-up, read its requests and the status; bad inputs."""

import json

import pytest

from baton.enrichment.models import EnrichmentRequest

from .conftest import captured

ACME = {"name": "Li Lei", "email": "li@acme.com", "company": "Acme Software Ltd"}


def test_run_again_and_read_the_requests(api_as, enrichment_on, org):
    lead = captured(ACME)[0]
    r = api_as("sdr").post(f"/leads/{lead.pk}/enrich")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["lead_id"], body["status"], body["provider"], body["trigger"]) == (
        lead.pk,
        "enriched",
        "directory",
        "manual",
    )
    assert body["waited"] is False and body["wait_seconds"] is None
    assert body["found"]["registered_capital"] == "10000000.00"
    filled = {(c["target"], c["field"]) for c in body["changes"] if c["action"] == "fill"}
    assert ("lead", "city") in filled and ("account_profile", "registered_capital") in filled
    listed = api_as("sdr").get(f"/leads/{lead.pk}/enrichment").json()
    assert [x["id"] for x in listed] == [body["id"]]


def test_status(api_as, enrichment_on):
    captured(ACME)
    body = api_as("sdr").get("/enrichment/status").json()
    assert body["provider"] == "directory" and body["configured"] is True and body["error"] == ""
    assert (body["enabled"], body["wait_before_routing"], body["timeout_seconds"]) == (True, True, 120)
    directory = body["directory"]
    assert (directory["file"], directory["companies"], directory["bad_rows"]) == ("companies.csv", 3, 0)
    assert directory["columns"]["name"] == "name" and directory["loaded_at"]
    assert str(enrichment_on.parent) not in json.dumps(body)  # the file name only, never the server's path
    assert body["requests"] == {"pending": 0, "enriched": 0, "not_found": 0, "failed": 0, "timed_out": 0}


def test_status_without_a_provider(api_as):
    body = api_as("sdr").get("/enrichment/status").json()
    assert body["provider"] is None and body["configured"] is False and body["directory"] is None


def test_status_with_a_missing_directory(api_as, settings, tmp_path):
    settings.BATON_ENRICHMENT = {"provider": "directory", "directory": str(tmp_path / "gone.csv")}
    body = api_as("admin").get("/enrichment/status").json()
    assert body["configured"] is True and "gone.csv cannot be opened" in body["error"]
    assert body["directory"]["exists"] is False and body["directory"]["loaded"] is False


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/leads/abc/enrich", 422, "invalid_input"),
        ("/leads/999999/enrich", 404, "not_found"),
        ("/leads/-1/enrich", 404, "not_found"),
    ],
)
def test_bad_lead_ids(api_as, enrichment_on, path, status, code):
    r = api_as("sdr").post(path)
    assert r.status_code == status and r.json()["error"] == code


def test_a_lead_the_user_cannot_see(api_as, enrichment_on, org):
    from baton.leads.models import Lead

    lead = captured(ACME)[0]
    Lead.objects.filter(pk=lead.pk).update(owner=org.sdr2)
    r = api_as("sdr").post(f"/leads/{lead.pk}/enrich")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert not EnrichmentRequest.objects.exists()


def test_without_a_provider_or_anything_to_look_up(api_as, settings, directory):
    lead = captured(ACME)[0]
    r = api_as("sdr").post(f"/leads/{lead.pk}/enrich")
    assert r.status_code == 409 and r.json()["error"] == "enrichment_unavailable"
    assert "BATON_ENRICHMENT_PROVIDER" in r.json()["detail"]
    settings.BATON_ENRICHMENT = {"provider": "directory", "directory": str(directory)}
    bare = captured({"name": "Someone", "email": "someone@qq.com"})[0]
    r = api_as("sdr").post(f"/leads/{bare.pk}/enrich")
    assert r.status_code == 422 and r.json()["error"] == "nothing_to_look_up"


def test_a_token_is_needed(api_as, enrichment_on):
    lead = captured(ACME)[0]
    assert api_as(None).post(f"/leads/{lead.pk}/enrich").status_code == 401
    assert api_as(None).get("/enrichment/status").status_code == 401


def test_only_post_runs_it(api_as, enrichment_on):
    lead = captured(ACME)[0]
    assert api_as("sdr").get(f"/leads/{lead.pk}/enrich").status_code == 405
