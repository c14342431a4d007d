"""Predictive scoring on the pages: the lead's score card (probability and top factors, or why not) and the
"Predictive model" section of the scoring settings (report, refusal, Train now for sales ops only)."""

from datetime import timedelta

from team_history import build_history

from baton import clock
from baton.org.services import user_create
from baton.scoring.models import PredictiveModel
from baton.scoring.services import predictive_model_train

from .conftest import capture, client_for


def test_the_lead_page_says_why_predictive_scoring_is_off(org, lead):
    html = client_for(org.sdr1).get(f"/leads/{lead.pk}/").content.decode()
    assert 'id="prediction" data-available="false"' in html
    assert "Predictive scoring off: no model has been trained on this team&#x27;s history yet" in html
    assert "rules only" in html


def test_the_lead_page_shows_the_probability_and_its_top_factors(org):
    build_history(org.sdr1, org.ae1, end=clock.now() - timedelta(hours=1), n=600)
    record = predictive_model_train("accepted", actor=org.admin, activate=True)
    lead = capture(1, source="partner")
    html = client_for(org.sdr1).get(f"/leads/{lead.pk}/").content.decode()
    assert 'id="prediction" data-available="true"' in html
    assert "Likelihood of acceptance: <span data-probability=" in html
    assert f"model v{record.version}, trained on 600 leads" in html
    assert "Top factors" in html and 'data-feature="' in html and " pts</span>" in html
    zh = client_for(org.sdr1, HTTP_ACCEPT_LANGUAGE="zh-hans")
    zh.cookies["django_language"] = "zh-hans"
    assert "被接受的可能性" in zh.get(f"/leads/{lead.pk}/").content.decode()


def test_settings_show_the_report_and_only_sales_ops_train(org):
    director = user_create("sdrdir", None, roles=["sdr_director"])
    page = client_for(director).get("/settings/scoring/").content.decode()
    assert 'id="predictive"' in page and "No predictive model is active" in page and "Train now" not in page
    assert client_for(director).post("/settings/scoring/predictive/train/").status_code == 403

    admin = client_for(org.admin)
    response = admin.post("/settings/scoring/predictive/train/", {"outcome": "accepted"})
    assert response.status_code == 302 and response["Location"].endswith("#predictive")
    page = admin.get("/settings/scoring/").content.decode()
    assert 'data-testid="predictive-refusal"' in page and "no lead has a known outcome yet" in page
    assert PredictiveModel.objects.get().status == "refused"
    zh = client_for(org.admin)
    zh.cookies["django_language"] = "zh-hans"
    zh.post("/settings/scoring/predictive/train/", {"outcome": "won"})
    stored = PredictiveModel.objects.get(outcome="won")
    assert stored.fallback_reason.startswith("0 leads whose opportunity was won")  # stored in English
    assert "只" not in stored.fallback_reason and "移交" not in stored.fallback_reason

    build_history(org.sdr1, org.ae1, end=clock.now() - timedelta(hours=1), n=600)
    admin.post("/settings/scoring/predictive/train/", {"outcome": "accepted", "activate": "1"})
    page = admin.get("/settings/scoring/").content.decode()
    assert "Active: version 1 · Likelihood of acceptance" in page
    assert "ROC AUC (higher is better)" in page and "Naive-Bayes baseline" in page
    assert "Calibration on the hold-out" in page and 'data-predictive-version="1"' in page
    # The refusal of "accepted" is gone (a later training of that outcome succeeded); "won" still stands.
    assert "Last training (Handoff accepted" not in page and "Last training (Deal won" in page
    assert admin.post("/settings/scoring/predictive/1/retire/").status_code == 302
    assert PredictiveModel.objects.get(version=1).status == "retired"
    assert admin.post("/settings/scoring/predictive/1/activate/").status_code == 302
    assert PredictiveModel.objects.get(version=1).status == "active"
    assert client_for(director).post("/settings/scoring/predictive/1/retire/").status_code == 403
