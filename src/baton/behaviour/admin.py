from django.contrib import admin

from baton.behaviour.models import BehaviourEvent


@admin.register(BehaviourEvent)
class BehaviourEventAdmin(admin.ModelAdmin):
    """Read-only: events are recorded through the API (validated, on the timeline, tag rules applied)."""

    list_display = ("lead", "kind", "occurred_at", "channel", "title", "source", "external_id")
    list_filter = ("kind", "source")
    search_fields = ("title", "url", "campaign", "external_id")
    raw_id_fields = ("lead",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
