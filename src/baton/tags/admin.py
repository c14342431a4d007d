from django.contrib import admin

from baton.tags.models import LeadTag, Tag, TagRule


class ReadOnly(admin.ModelAdmin):
    """Read-only: tags and rules change through the app or the API (validated, on the timeline, audited)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Tag)
class TagAdmin(ReadOnly):
    list_display = ("name", "kind", "colour", "created_at", "created_by")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(TagRule)
class TagRuleAdmin(ReadOnly):
    list_display = ("position", "name", "tag", "active", "updated_at")
    list_filter = ("active",)


@admin.register(LeadTag)
class LeadTagAdmin(ReadOnly):
    list_display = ("lead", "tag", "source", "rule", "added_at", "added_by")
    list_filter = ("source",)
