from django.contrib import admin

from baton.enrichment.models import AccountProfile, EnrichmentRequest, EnrichmentSettings


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EnrichmentRequest)
class EnrichmentRequestAdmin(_ReadOnly):
    """Read-only: requests are the record of each look-up (run one again from the lead page)."""

    list_display = ("lead", "provider", "status", "trigger", "waited", "requested_at", "finished_at")
    list_filter = ("status", "provider", "trigger", "waited")
    raw_id_fields = ("lead", "account")


@admin.register(AccountProfile)
class AccountProfileAdmin(_ReadOnly):
    list_display = ("account", "registered_capital", "funding_round", "source", "as_of", "updated_at")
    raw_id_fields = ("account",)


@admin.register(EnrichmentSettings)
class EnrichmentSettingsAdmin(_ReadOnly):
    """Read-only: change them on Settings → Enrichment (audited)."""

    list_display = ("enabled", "wait_before_routing", "timeout_seconds")
