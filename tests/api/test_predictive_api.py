"""The predictive-scoring API: models (anyone signed in reads), train and activate (sales ops only; a
refusal is a 422 with the reason), and a lead's prediction."""

from datetime import timedelta

from team_history import build_history

from baton import clock
from baton.leads.services import lead_capture
from baton.scoring.models import PredictiveModel


def test_train_activate_and_read_over_the_api(org, api_as):
    admin, sdr = api_as("admin"), api_as("sdr1")
    assert sdr.post("/scoring/predictive/train", {}).status_code == 403
    refused = admin.post("/scoring/predictive/train", {"outcome": "accepted"})
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"] == "insufficient_history" and body["fallback"] == "rules"
    assert "no lead has a known outcome yet" in body["detail"]
    bad = admin.post("/scoring/predictive/train", {"outcome": "signed"})
    assert bad.status_code == 422 and "unknown outcome 'signed'" in bad.json()["detail"]
    assert admin.post("/scoring/predictive/train", {"outcom": "won"}).status_code == 422
    naive = admin.post("/scoring/predictive/train", {"as_of": "2026-01-01T00:00:00"})  # read as UTC
    assert naive.status_code == 422 and "as of 2026-01-01 00:00 UTC" in naive.json()["detail"]

    build_history(org["sdr1"], org["ae1"], end=clock.now() - timedelta(hours=1), n=600)
    trained = admin.post("/scoring/predictive/train", {"outcome": "accepted"})
    assert trained.status_code == 201, trained.json()
    model = trained.json()
    assert model["version"] == 1 and model["status"] == "trained" and model["rows"] == 600
    assert model["report"]["split"] == "time" and len(model["report"]["calibration"]) == 10
    assert model["roc_auc"] == model["report"]["roc_auc"] and model["baseline_roc_auc"] is not None

    listed = sdr.get("/scoring/predictive/models")
    assert listed.status_code == 200
    assert [(m["version"], m["status"]) for m in listed.json()] == [
        (1, "trained"),
        (None, "refused"),
        (None, "refused"),
    ]
    assert sdr.get("/scoring/predictive/models/1").json()["report"]["rows"] == 600
    assert sdr.get("/scoring/predictive/models/7").status_code == 404

    lead = lead_capture(
        {"name": "New", "email": "n@new.com", "company": "New", "source": "partner", "region": "East"}
    )
    off = sdr.get(f"/leads/{lead.pk}/prediction").json()
    assert off["available"] is False and off["reason"] == "no predictive model is active"

    assert sdr.post("/scoring/predictive/models/1/activate", {}).status_code == 403
    activated = admin.post("/scoring/predictive/models/1/activate", {})
    assert activated.status_code == 200 and activated.json()["status"] == "active"
    assert admin.post("/scoring/predictive/models/1/activate", {}).json()["error"] == "already_active"
    on = sdr.get(f"/leads/{lead.pk}/prediction").json()
    assert on["available"] is True and 0 < on["probability"] < 1 and on["model_version"] == 1
    assert (
        on["trained_on"] == 600 and on["factors"] and {"feature", "label", "effect"} <= set(on["factors"][0])
    )
    assert sdr.get(f"/leads/{lead.pk}/prediction", outcome="won").json()["available"] is False
    assert sdr.get(f"/leads/{lead.pk}/prediction", outcome="x").status_code == 422
    assert admin.post("/scoring/predictive/models/1/retire", {}).json()["status"] == "retired"
    assert not PredictiveModel.objects.filter(status="active").exists()
