"""Web pages of tags: the tags card of the lead page (HTMX), and the tags and rules settings (admins)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from baton.behaviour.views import lead_summary
from baton.core import tagging
from baton.core.behaviour import KINDS as BEHAVIOUR_KINDS
from baton.core.errors import DomainError
from baton.leads.selectors import lead_get
from baton.tags import selectors, services
from baton.tags.forms import CONDITION_EXAMPLE, LeadTagsForm, TagForm, TagRuleForm
from baton.tags.models import LeadTag, Tag, TagRule
from baton.web.shortcuts import get_or_404, is_htmx, redirect_after_post, render_partial, role_required


def _admin_only(user) -> bool:
    return False  # role_required lets admins (sales ops) through, nobody else


# --- The lead page card ------------------------------------------------------------------------------


def lead_card_context(lead, *, form=None, error=None) -> dict:
    """Context for ``tags/_card.html``: the lead's tags, the add form and the behaviour summary."""
    tags = list(selectors.lead_tags(lead.pk))
    return {
        "lead": lead,
        "tags_card": {
            "manual": [lt for lt in tags if lt.source == LeadTag.Source.MANUAL],
            "rule": [lt for lt in tags if lt.source == LeadTag.Source.RULE],
            "count": len(tags),
            "form": form or LeadTagsForm(),
            "error": error,
        },
        "behaviour_summary": lead_summary(lead),
    }


def _card(request: HttpRequest, lead, *, status: int = 200, **kwargs) -> HttpResponse:
    return render_partial(request, "tags/_card.html", lead_card_context(lead, **kwargs), status=status)


def _after_change(request: HttpRequest, lead) -> HttpResponse:
    if is_htmx(request):
        return _card(request, lead)
    return redirect_after_post(request, reverse("web:lead", args=[lead.pk]))


def _failed(request: HttpRequest, lead, status: int, **kwargs) -> HttpResponse:
    if is_htmx(request):
        return _card(request, lead, status=status, **kwargs)
    # Without JavaScript: the lead page itself, with the card showing the error.
    from baton.leads.views import lead_context

    context = {**lead_context(request, lead), "tags_card_failed": lead_card_context(lead, **kwargs)}
    return render(request, "leads/lead_detail.html", context, status=status)


@require_GET
@login_required
def lead_card(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_or_404(lead_get, request.user, lead_id)
    return render(request, "tags/_card.html", lead_card_context(lead))


@require_POST
@login_required
def lead_tags_add(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Anyone who can see the lead may tag it; new names become manual tags."""
    lead = get_or_404(lead_get, request.user, lead_id)
    form = LeadTagsForm(request.POST)
    if not form.is_valid() or not form.names_list():
        return _failed(request, lead, 422, form=form, error=_("Type one or more tag names."))
    try:
        changes = services.tags_add([lead.pk], form.names_list(), request.user)
    except DomainError as exc:
        return _failed(request, lead, exc.status, form=form, error=exc.message)
    if changes:
        messages.success(request, _("Tags added: %(tags)s") % {"tags": ", ".join(c.tag for c in changes)})
    else:
        messages.info(request, _("The lead already has these tags."))
    return _after_change(request, lead)


@require_POST
@login_required
def lead_tag_remove(request: HttpRequest, lead_id: int, tag_id: int) -> HttpResponse:
    lead = get_or_404(lead_get, request.user, lead_id)
    tag = get_object_or_404(Tag, pk=tag_id)
    try:
        services.lead_tag_remove(lead.pk, tag.name, request.user)
    except DomainError as exc:
        return _failed(request, lead, exc.status, error=exc.message)
    messages.success(request, _("Tag removed: %(tag)s") % {"tag": tag.name})
    return _after_change(request, lead)


@require_GET
@login_required
def tag_suggestions(request: HttpRequest) -> HttpResponse:
    """The names to suggest in the add-tags field: loaded when the field is first used."""
    return render(request, "tags/_suggestions.html", {"names": selectors.manual_tag_names()})


# --- Settings: tags and rules (admins) ------------------------------------------------------------------


def _describe(rule: TagRule) -> str:
    try:
        return tagging.describe(rule.condition)
    except ValueError as exc:
        return _("not valid, skipped: %(problem)s") % {"problem": exc}


def _condition_help() -> dict:
    return {"fields": tagging.FIELDS, "behaviour_kinds": BEHAVIOUR_KINDS, "example": CONDITION_EXAMPLE}


def _settings_context(*, tag_form=None, rule_form=None, tag_error=None, rule_error=None) -> dict:
    rules = list(selectors.tag_rules())
    return {
        "active": "tags",
        "tags": list(selectors.tags_list()),
        "rules": [{"rule": r, "description": _describe(r)} for r in rules],
        "tag_form": tag_form or TagForm(),
        "rule_form": rule_form or TagRuleForm(initial={"active": True}),
        "tag_error": tag_error,
        "rule_error": rule_error,
        **_condition_help(),
    }


def _settings_response(request: HttpRequest, status: int, **context) -> HttpResponse:
    if status >= 400:
        return render(request, "tags/settings.html", _settings_context(**context), status=status)
    return redirect_after_post(request, reverse("web:tags_settings"))


@require_GET
@role_required(_admin_only)
def settings_page(request: HttpRequest) -> HttpResponse:
    return render(request, "tags/settings.html", _settings_context())


@require_POST
@role_required(_admin_only)
def tag_new(request: HttpRequest) -> HttpResponse:
    form = TagForm(request.POST)
    if not form.is_valid():
        return _settings_response(
            request, 422, tag_form=form, tag_error=_("Please correct the fields marked below.")
        )
    try:
        tag = services.tag_create(form.cleaned_data["name"], request.user, colour=form.cleaned_data["colour"])
    except DomainError as exc:
        return _settings_response(request, exc.status, tag_form=form, tag_error=exc.message)
    messages.success(request, _("Tag %(tag)s created.") % {"tag": tag.name})
    return _settings_response(request, 200)


def _rule_fields(form: TagRuleForm) -> dict:
    data = form.cleaned_data
    return {"name": data["name"], "tag": data["tag"], "condition": data["condition"],
            "position": data["position"], "active": data["active"]}  # fmt: skip


@require_POST
@role_required(_admin_only)
def rule_new(request: HttpRequest) -> HttpResponse:
    form = TagRuleForm(request.POST)
    if not form.is_valid():
        return _settings_response(
            request, 422, rule_form=form, rule_error=_("Please correct the fields marked below.")
        )
    try:
        rule = services.tagrule_create(request.user, **_rule_fields(form))
    except DomainError as exc:
        return _settings_response(request, exc.status, rule_form=form, rule_error=exc.message)
    messages.success(
        request,
        _("Rule %(rule)s created. It applies to a lead when its behaviour is next recorded, or to all leads "
          "when you apply the rules now.") % {"rule": rule.name},
    )  # fmt: skip
    return _settings_response(request, 200)


@require_http_methods(["GET", "POST"])
@role_required(_admin_only)
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(TagRule.objects.select_related("tag"), pk=rule_id)
    error, status = None, 200
    if request.method == "POST":
        form = TagRuleForm(request.POST)
        if form.is_valid():
            fields = _rule_fields(form)
            if fields["position"] is None:
                fields["position"] = rule.position
            try:
                services.tagrule_update(rule.pk, request.user, **fields)
            except DomainError as exc:
                error, status = exc.message, exc.status
            else:
                messages.success(request, _("Rule %(rule)s saved.") % {"rule": fields["name"]})
                return redirect_after_post(request, reverse("web:tags_settings"))
        else:
            error, status = _("Please correct the fields marked below."), 422
    else:
        form = TagRuleForm(initial={"name": rule.name, "tag": rule.tag.name, "position": rule.position,
                                    "active": rule.active,
                                    "condition": json.dumps(rule.condition, indent=2, ensure_ascii=False)})  # fmt: skip
    context = {
        "active": "tags",
        "rule": rule,
        "form": form,
        "error": error,
        "description": _describe(rule),
        **_condition_help(),
    }
    return render(request, "tags/rule_edit.html", context, status=status)


@require_POST
@role_required(_admin_only)
def rules_apply(request: HttpRequest) -> HttpResponse:
    changes = services.tag_rules_apply_all(actor=request.user)
    added = sum(c.action == "added" for c in changes)
    messages.success(
        request,
        _("Rules applied to all leads: %(added)s tags added, %(removed)s removed.")
        % {"added": added, "removed": len(changes) - added},
    )
    return redirect_after_post(request, reverse("web:tags_settings"))
