from django.contrib import admin

from baton.scoring.models import ScoringModel, ScoringRule


class ScoringRuleInline(admin.TabularInline):
    model = ScoringRule
    extra = 0
    fields = (
        "position",
        "kind",
        "field",
        "op",
        "value",
        "points",
        "cap",
        "half_life_days",
        "label",
        "active",
    )
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ScoringModel)
class ScoringModelAdmin(admin.ModelAdmin):
    """Read-only: models change through their drafts (Settings → Scoring, or the API), so that a
    version, once active, is what its snapshots say it was."""

    list_display = ("version", "name", "status", "activated_at", "recomputed_at")
    list_filter = ("status",)
    inlines = [ScoringRuleInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
