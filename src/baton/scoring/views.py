"""Web pages of scoring: the scoring settings (active version, the draft, its diff, activation) for
sales ops and SDR directors."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from baton.core import scoring as core
from baton.core.errors import DomainError, InvalidInput, NotFound
from baton.scoring import history, selectors, services
from baton.scoring.forms import BandFormSet, ModelMetaForm, RuleForm, RuleFormSet
from baton.scoring.models import PredictiveModel, ScoringModel
from baton.web.shortcuts import redirect_after_post, role_required


def _editor(user) -> bool:
    return services.may_edit_models(user)


def _matrix(model: ScoringModel) -> list[dict]:
    """The grade matrix (fit A–D × engagement 1–4) with the band each cell gets (at the lowest total
    the cell allows: thresholds with a minimum score are shown as such)."""
    bands = model.band_rules()
    rows = []
    for letter in core.FIT_LETTERS:
        cells = []
        for digit in core.ENGAGEMENT_DIGITS:
            grade = letter + digit
            hit = next((i for i, b in enumerate(bands) if core.band_rule_matches(b, grade, 10**6)), None)
            needs = bands[hit].min_total if hit is not None else 0
            cells.append({"grade": grade, "band": bands[hit].band if hit is not None else core.NURTURE,
                          "min_total": needs})  # fmt: skip
        rows.append({"letter": letter, "cells": cells})
    return rows


def _model_view(model: ScoringModel) -> dict:
    rules = selectors.model_rules(model)
    return {
        "model": model,
        "fit_rules": [r for r in rules if r.kind == "fit"],
        "engagement_rules": [r for r in rules if r.kind == "engagement"],
        "matrix": _matrix(model),
        "bands": model.band_rules(),
    }


@require_GET
@role_required(_editor)
def settings_page(request: HttpRequest) -> HttpResponse:
    try:
        active = selectors.active_model()
    except NotFound:
        active = None
    draft = selectors.draft_model()
    context = {
        "active": "scoring",
        "current": _model_view(active) if active else None,
        "draft": draft,
        "diff": selectors.scoring_model_diff(draft, active) if draft and active else [],
        "history": list(selectors.scoring_models()[:20]),
        "pending": services.stale_leads_count(active.version)
        if active and active.recomputed_at is None
        else 0,
        "sync_max": services.SYNC_RECOMPUTE_MAX,
        **predictive_context(request.user),
    }
    return render(request, "scoring/settings.html", context)


def _report_view(record: PredictiveModel) -> dict:
    """An active model's hold-out report as the settings page shows it."""
    r = record.report or {}
    return {
        "record": record,
        "label": history.OUTCOME_LABELS[record.outcome],
        "definition": history.describe_outcome(record.outcome, (record.params or {}).get("window_days", 30)),
        "metrics": [
            (_("ROC AUC (higher is better)"), r.get("roc_auc"), r.get("baseline_roc_auc")),
            (_("PR AUC (higher is better)"), r.get("pr_auc"), r.get("baseline_pr_auc")),
            (_("Brier score (lower is better)"), r.get("brier"), r.get("baseline_brier")),
        ],
        "base_rate_brier": r.get("base_rate_brier"),
        "calibration": r.get("calibration", []),
        "top_factors": r.get("top_factors", [])[:8],
        "warnings": r.get("warnings", []),
    }


def predictive_context(user) -> dict:
    """The "Predictive model" section: the active models with their reports, the last refusal, the
    trained versions, and whether this user may train."""
    records = list(selectors.predictive_models().exclude(status=PredictiveModel.Status.REFUSED)[:20])
    active = [r for r in records if r.status == PredictiveModel.Status.ACTIVE]
    refusal = selectors.last_refusal()
    return {
        "predictive_active": [_report_view(r) for r in active],
        "predictive_models": records,
        # A refusal is news until a later training of the same outcome succeeded.
        "predictive_refusal": refusal
        if refusal is not None
        and not any(r.outcome == refusal.outcome and r.trained_at >= refusal.trained_at for r in records)
        else None,
        "can_train": services.may_train_models(user),
        "outcomes": PredictiveModel.Outcome.choices,
        "train_max": services.SYNC_TRAIN_MAX,
    }


@require_POST
@role_required(services.may_train_models)
def predictive_train(request: HttpRequest) -> HttpResponse:
    """Train now, while the user waits (up to SYNC_TRAIN_MAX leads; larger histories: the CLI)."""
    outcome = request.POST.get("outcome") or history.DEFAULT_OUTCOME
    back = reverse("web:scoring_settings") + "#predictive"
    try:
        record = services.predictive_model_train(outcome, actor=request.user, activate=bool(request.POST.get("activate")),
                                                 max_rows=services.SYNC_TRAIN_MAX)  # fmt: skip
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect_after_post(request, back)
    if record.status == PredictiveModel.Status.REFUSED:
        messages.error(request, _("Not trained: %(reason)s. Leads are scored by the rules alone.")
                       % {"reason": record.fallback_reason})  # fmt: skip
    else:
        r = record.report
        messages.success(request, _("Version %(v)s trained on %(n)s leads: ROC AUC %(auc).3f (naive Bayes baseline "
                                    "%(base).3f) on the newest %(test)s.%(active)s")
                         % {"v": record.version, "n": f"{record.rows:,}", "auc": r["roc_auc"],
                            "base": r["baseline_roc_auc"], "test": record.test_rows,
                            "active": " " + _("It is active now.") if record.status == PredictiveModel.Status.ACTIVE
                            else ""})  # fmt: skip
    return redirect_after_post(request, back)


@require_POST
@role_required(services.may_train_models)
def predictive_activate(request: HttpRequest, version: int) -> HttpResponse:
    try:
        record = services.predictive_model_activate(version, request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Predictive model version %(v)s is active.") % {"v": record.version})
    return redirect_after_post(request, reverse("web:scoring_settings") + "#predictive")


@require_POST
@role_required(services.may_train_models)
def predictive_retire(request: HttpRequest, version: int) -> HttpResponse:
    try:
        services.predictive_model_retire(version, request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Predictive model version %(v)s is switched off: rules only.") % {"v": version}
        )
    return redirect_after_post(request, reverse("web:scoring_settings") + "#predictive")


@require_POST
@role_required(_editor)
def draft_new(request: HttpRequest) -> HttpResponse:
    try:
        draft = services.scoring_model_draft_create(request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect_after_post(request, reverse("web:scoring_settings"))
    messages.success(
        request, _("Draft version %(v)s created: a copy of the active version.") % {"v": draft.version}
    )
    return redirect_after_post(request, reverse("web:scoring_edit", args=[draft.version]))


def _get_draft(version: int) -> ScoringModel:
    try:
        model = selectors.scoring_model_get(version)
    except NotFound:
        raise Http404
    return model


def _edit_context(model: ScoringModel, meta, rules, bands, error=None, problems=None) -> dict:
    try:
        active = selectors.active_model()
    except NotFound:
        active = None
    return {
        "active": "scoring",
        "model": model,
        "meta": meta,
        "rules": rules,
        "bands": bands,
        "error": error,
        "problems": problems or {},
        "diff": selectors.scoring_model_diff(model, active) if active and active.pk != model.pk else [],
        "fields": [*core.PROFILE_FIELDS, "extra.budget", *core.BEHAVIOUR_FIELDS],
    }


def _problem_lines(problems: dict[str, str]) -> list[str]:
    """Field paths (rules[2].op) in the words of the page (rule 3, test: …)."""
    lines = []
    for where, text in problems.items():
        head, _dot, attr = where.partition(".")
        if head.startswith("rules[") and head.endswith("]"):
            n = int(head[6:-1]) + 1
            lines.append(_("Rule %(n)s (%(attr)s): %(text)s") % {"n": n, "attr": attr or "-", "text": text})
        elif head.startswith("bands[") and head.endswith("]"):
            n = int(head[6:-1]) + 1
            lines.append(
                _("Threshold %(n)s (%(attr)s): %(text)s") % {"n": n, "attr": attr or "-", "text": text}
            )
        else:
            lines.append(f"{where}: {text}")
    return lines


@require_http_methods(["GET", "POST"])
@role_required(_editor)
def draft_edit(request: HttpRequest, version: int) -> HttpResponse:
    model = _get_draft(version)
    if model.status != ScoringModel.Status.DRAFT:
        messages.error(request, _("Version %(v)s is %(status)s and cannot change: create a draft to edit.")
                       % {"v": model.version, "status": model.get_status_display()})  # fmt: skip
        return redirect_after_post(request, reverse("web:scoring_settings"))
    if request.method == "GET":
        grades = model.grades
        meta = ModelMetaForm(initial={
            "name": model.name, "notes": model.notes, "fit_a": grades.fit[0], "fit_b": grades.fit[1],
            "fit_c": grades.fit[2], "engagement_1": grades.engagement[0], "engagement_2": grades.engagement[1],
            "engagement_3": grades.engagement[2]})  # fmt: skip
        rules = RuleFormSet(
            prefix="rules", initial=[RuleForm.initial_of(r) for r in selectors.model_rules(model)]
        )
        bands = BandFormSet(prefix="bands", initial=model.bands)
        return render(request, "scoring/edit.html", _edit_context(model, meta, rules, bands))
    meta = ModelMetaForm(request.POST)
    rules = RuleFormSet(request.POST, prefix="rules")
    bands = BandFormSet(request.POST, prefix="bands")
    if not (meta.is_valid() and rules.is_valid() and bands.is_valid()):
        return render(request, "scoring/edit.html",
                      _edit_context(model, meta, rules, bands, _("Please correct the fields marked below.")),
                      status=422)  # fmt: skip
    kept = [f for f in rules.forms if f.has_changed() or f.initial]
    rule_list = [f.as_rule() for f in kept if f.cleaned_data and not f.cleaned_data.get("DELETE")]
    band_list = [
        {k: f.cleaned_data[k] for k in ("band", "fit", "engagement", "min_total")}
        for f in bands.forms
        if f.cleaned_data
        and f.cleaned_data.get("band")
        and not f.cleaned_data.get("DELETE")  # no band: ignored
    ]
    try:
        services.scoring_model_update(model.version, request.user, name=meta.cleaned_data["name"],
                                      notes=meta.cleaned_data["notes"], rules=rule_list, grades=meta.grades(),
                                      bands=band_list)  # fmt: skip
    except InvalidInput as exc:
        problems = exc.details.get("fields", {})
        context = _edit_context(model, meta, rules, bands, _("The draft was not saved:"), problems)
        context["problem_lines"] = _problem_lines(problems)
        return render(request, "scoring/edit.html", context, status=422)
    except DomainError as exc:
        return render(request, "scoring/edit.html", _edit_context(model, meta, rules, bands, exc.message),
                      status=exc.status)  # fmt: skip
    messages.success(request, _("Draft version %(v)s saved.") % {"v": model.version})
    return redirect_after_post(request, reverse("web:scoring_settings"))


@require_POST
@role_required(_editor)
def activate(request: HttpRequest, version: int) -> HttpResponse:
    try:
        model, result = services.scoring_model_activate(version, request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect_after_post(request, reverse("web:scoring_settings"))
    if result is not None:
        messages.success(request, _("Version %(v)s is active. %(n)s leads rescored, %(c)s changed.")
                         % {"v": model.version, "n": result["leads"], "c": result["changed"]})  # fmt: skip
    else:
        messages.success(request, _("Version %(v)s is active. The background sweep rescores the leads (or run "
                                    "`baton score recompute`).") % {"v": model.version})  # fmt: skip
    return redirect_after_post(request, reverse("web:scoring_settings"))


@require_POST
@role_required(_editor)
def discard(request: HttpRequest, version: int) -> HttpResponse:
    try:
        services.scoring_model_discard(version, request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Draft version %(v)s discarded.") % {"v": version})
    return redirect_after_post(request, reverse("web:scoring_settings"))
