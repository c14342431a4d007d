from django.contrib import admin

from baton.consent.models import ConsentSettings, ContactPreference, DomainSuppression


@admin.register(ContactPreference)
class ContactPreferenceAdmin(admin.ModelAdmin):
    """Read-only: the history is append-only (record changes in the app or through the API)."""

    list_display = ("email", "phone", "channel", "state", "source", "recorded_at", "recorded_by")
    list_filter = ("channel", "state", "source")
    search_fields = ("email", "phone")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DomainSuppression)
class DomainSuppressionAdmin(admin.ModelAdmin):
    """Read-only: suppress and lift domains on Settings → Do not contact (audited)."""

    list_display = ("domain", "reason", "active", "created_at", "created_by", "removed_at")
    list_filter = ("active",)
    search_fields = ("domain",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsentSettings)
class ConsentSettingsAdmin(admin.ModelAdmin):
    """Read-only: change the opt-in requirements on Settings → Do not contact (audited)."""

    list_display = ("opt_in_required_email", "opt_in_required_call", "opt_in_required_message")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
