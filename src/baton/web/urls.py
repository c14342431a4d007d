from django.contrib.auth import views as auth_views
from django.urls import include, path

from baton.analytics import views as analytics
from baton.behaviour import views as behaviour
from baton.consent import views as consent
from baton.enrichment import views as enrichment
from baton.handoffs import views as handoffs
from baton.imports import views as imports
from baton.leads import views as leads
from baton.notifications import views as notifications
from baton.pipeline import views as pipeline
from baton.qualification import views as qualification
from baton.routing import views as routing
from baton.scoring import views as scoring
from baton.sla import views as sla
from baton.tags import views as tags
from baton.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Ours first: it also stores the choice on the user; the include provides Django's i18n views.
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    # SDR
    path("queue/", leads.queue, name="queue"),
    path("queue/rows/", leads.queue_rows, name="queue_rows"),
    path("pool/", leads.pool, name="pool"),
    path("pool/<int:lead_id>/claim/", leads.claim, name="claim"),
    path("leads/", leads.lead_list, name="lead_list"),
    path("leads/duplicates/", leads.duplicates, name="duplicates"),
    path("targets/", leads.targets, name="targets"),
    path("imports/", imports.import_page, name="imports"),
    path("imports/<int:job_id>/", imports.import_job, name="import_job"),
    path("imports/<int:job_id>/rejects/", imports.import_rejects, name="import_rejects"),
    path("targets/<int:list_id>/", leads.target_list, name="target_list"),
    path("leads/duplicates/<int:pair_id>/", leads.duplicate_decide, name="duplicate_decide"),
    path("leads/<int:lead_id>/", leads.lead_detail, name="lead"),
    path("leads/<int:lead_id>/touches/", leads.touch_create, name="touch_create"),
    path("leads/<int:lead_id>/disqualify/", leads.disqualify, name="disqualify"),
    path("leads/<int:lead_id>/dispatch/", leads.dispatch, name="lead_dispatch"),
    path("leads/<int:lead_id>/qualification/", qualification.save, name="qualification"),
    path("leads/<int:lead_id>/qualification/<slug:framework>/", qualification.card, name="qualification_tab"),
    path(
        "leads/<int:lead_id>/qualification/<slug:framework>/save/",
        qualification.save,
        name="qualification_save",
    ),
    path("leads/<int:lead_id>/handoff/", handoffs.handoff_new, name="handoff_create"),
    path("leads/<int:lead_id>/consent/", consent.lead_panel, name="consent_lead_panel"),
    path("leads/<int:lead_id>/consent/opt-out/", consent.lead_opt_out, name="consent_lead_opt_out"),
    path("leads/<int:lead_id>/enrichment/", enrichment.lead_card, name="enrichment_lead_card"),
    path("leads/<int:lead_id>/enrichment/run/", enrichment.lead_rerun, name="enrichment_lead_rerun"),
    path("leads/<int:lead_id>/tags/", tags.lead_card, name="tags_lead_card"),
    path("tags/suggestions/", tags.tag_suggestions, name="tags_suggestions"),
    path("leads/<int:lead_id>/tags/add/", tags.lead_tags_add, name="tags_lead_add"),
    path("leads/<int:lead_id>/tags/<int:tag_id>/remove/", tags.lead_tag_remove, name="tags_lead_remove"),
    path("leads/<int:lead_id>/behaviour/", behaviour.lead_behaviour_page, name="behaviour_lead"),
    # AE
    path("inbox/", handoffs.inbox, name="inbox"),
    path("inbox/rows/", handoffs.inbox_rows, name="inbox_rows"),
    path("inbox/<int:handoff_id>/", handoffs.handoff_detail, name="handoff"),
    path("inbox/<int:handoff_id>/accept/", handoffs.accept, name="handoff_accept"),
    path("inbox/<int:handoff_id>/reject/", handoffs.reject, name="handoff_reject"),
    path("inbox/<int:handoff_id>/dispatch/", handoffs.dispatch, name="handoff_dispatch"),
    path("inbox/<int:handoff_id>/opportunity/", pipeline.opportunity_new, name="opportunity_create"),
    path("pipeline/", pipeline.board_view, name="pipeline"),
    path("pipeline/<int:opp_id>/", pipeline.opportunity_detail, name="opportunity"),
    path("pipeline/<int:opp_id>/move/", pipeline.move, name="opportunity_move"),
    # Managers
    path("dashboard/", analytics.dashboard, name="dashboard"),
    # Sales ops: do not contact
    path("settings/consent/", consent.settings_page, name="consent_settings"),
    path("settings/consent/suppressions/", consent.suppression_add, name="consent_suppress"),
    path(
        "settings/consent/suppressions/<int:suppression_id>/remove/",
        consent.suppression_remove,
        name="consent_unsuppress",
    ),  # fmt: skip
    path("settings/consent/opt-in/", consent.settings_save, name="consent_settings_save"),
    # Sales ops: enrichment
    path("settings/enrichment/", enrichment.settings_page, name="enrichment_settings"),
    path("settings/enrichment/save/", enrichment.settings_save, name="enrichment_settings_save"),
    # Sales ops: tags and tag rules
    path("settings/tags/", tags.settings_page, name="tags_settings"),
    path("settings/tags/new/", tags.tag_new, name="tags_tag_create"),
    path("settings/tags/rules/new/", tags.rule_new, name="tags_rule_create"),
    path("settings/tags/rules/apply/", tags.rules_apply, name="tags_rules_apply"),
    path("settings/tags/rules/<int:rule_id>/", tags.rule_edit, name="tags_rule_edit"),
    # Sales ops (templates) and managers (their teams' gates): qualification
    path("settings/qualification/", qualification.settings_page, name="qualification_settings"),
    path(
        "settings/qualification/frameworks/new/",
        qualification.framework_new,
        name="qualification_framework_new",
    ),
    path(
        "settings/qualification/frameworks/<slug:key>/",
        qualification.framework_edit,
        name="qualification_framework",
    ),
    path(
        "settings/qualification/frameworks/<slug:key>/criteria/<slug:criterion>/delete/",
        qualification.criterion_delete,
        name="qualification_criterion_delete",
    ),
    path("settings/qualification/gates/default/", qualification.gate_edit, name="qualification_gate_default"),
    path("settings/qualification/gates/<int:team_id>/", qualification.gate_edit, name="qualification_gate"),
    # Sales ops and SDR directors: the scoring model
    path("settings/scoring/", scoring.settings_page, name="scoring_settings"),
    path("settings/scoring/draft/", scoring.draft_new, name="scoring_draft_new"),
    path("settings/scoring/<int:version>/", scoring.draft_edit, name="scoring_edit"),
    path("settings/scoring/<int:version>/activate/", scoring.activate, name="scoring_activate"),
    path("settings/scoring/<int:version>/discard/", scoring.discard, name="scoring_discard"),
    path("settings/scoring/predictive/train/", scoring.predictive_train, name="predictive_train"),
    path(
        "settings/scoring/predictive/<int:version>/activate/",
        scoring.predictive_activate,
        name="predictive_activate",
    ),
    path(
        "settings/scoring/predictive/<int:version>/retire/",
        scoring.predictive_retire,
        name="predictive_retire",
    ),
    # Sales ops (and managers, to read): SLA policies, business calendars, team calendars
    path("settings/sla/", sla.settings_page, name="sla_settings"),
    path("settings/sla/policies/<slug:key>/", sla.policy_save, name="sla_policy"),
    path("settings/sla/calendars/new/", sla.calendar_new, name="sla_calendar_new"),
    path("settings/sla/calendars/<int:pk>/", sla.calendar_edit, name="sla_calendar"),
    path("settings/sla/calendars/<int:pk>/delete/", sla.calendar_delete, name="sla_calendar_delete"),
    path("settings/sla/holidays/", sla.holidays, name="sla_holidays"),
    path("settings/sla/teams/<int:team_id>/", sla.team_save, name="sla_team"),
    path("settings/sla/preview/", sla.preview, name="sla_preview"),
    # Sales ops (managers read and replay): routing policies, the eligible list, leave, territories
    path("settings/routing/", routing.settings_page, name="routing_settings"),
    path("settings/routing/eligible/", routing.eligible_page, name="routing_eligible"),
    path("settings/routing/leaves/", routing.leave_new, name="routing_leave_create"),
    path("settings/routing/territories/", routing.territories_page, name="routing_territories"),
    path("settings/routing/<slug:kind>/draft/", routing.draft_save, name="routing_draft_save"),
    path("settings/routing/<slug:kind>/replay/", routing.replay, name="routing_replay"),
    path("settings/routing/<slug:kind>/<int:version>/activate/", routing.activate, name="routing_activate"),
    # SDR director and sales ops: leads routing could not place
    path("routing/unrouted/", routing.unrouted, name="routing_unrouted"),
    # Sales ops: webhooks
    path("settings/webhooks/", notifications.webhooks_page, name="webhooks"),
    path("settings/webhooks/new/", notifications.webhook_new, name="webhook_create"),
    path("settings/webhooks/<int:endpoint_id>/", notifications.webhook_detail, name="webhook"),
    path("settings/webhooks/<int:endpoint_id>/test/", notifications.webhook_test, name="webhook_test"),
    path("settings/webhooks/<int:endpoint_id>/rotate/", notifications.webhook_rotate, name="webhook_rotate"),
    path("settings/webhooks/<int:endpoint_id>/delete/", notifications.webhook_delete, name="webhook_delete"),
    path(
        "settings/webhooks/deliveries/<int:message_id>/redeliver/",
        notifications.delivery_redeliver,
        name="webhook_redeliver",
    ),
    # Everyone
    path("settings/notifications/", notifications.preferences, name="notification_preferences"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read-all/", notifications.read_all, name="notifications_read_all"),
    path(
        "notifications/<int:notification_id>/open/", notifications.open_notification, name="notification_open"
    ),
    # Public: the unsubscribe link of a message (no sign-in; rate-limited)
    path("unsubscribe/<str:token>/", consent.unsubscribe, name="unsubscribe"),
]
