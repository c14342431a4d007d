from django.contrib import admin

from baton.scoring.models import ScoringRule


@admin.register(ScoringRule)
class ScoringRuleAdmin(admin.ModelAdmin):
    list_display = ("label", "kind", "field", "op", "value", "points", "cap", "active", "position")
    list_editable = ("points", "active", "position")
    list_filter = ("kind", "active")
