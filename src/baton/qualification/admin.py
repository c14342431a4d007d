from django.contrib import admin

from baton.qualification.models import Criterion, CriterionAnswer, Framework, GateRule


class ReadOnly(admin.ModelAdmin):
    """Read-only: templates, answers and gates change through the app or the API (validated, audited)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Framework)
class FrameworkAdmin(ReadOnly):
    list_display = ("position", "key", "name", "name_zh", "builtin", "active", "updated_at")


@admin.register(Criterion)
class CriterionAdmin(ReadOnly):
    list_display = ("framework", "position", "key", "label", "label_zh", "active")
    list_select_related = ("framework",)
    list_filter = ("framework", "active")


@admin.register(CriterionAnswer)
class CriterionAnswerAdmin(ReadOnly):
    list_display = ("lead", "criterion", "state", "set_by", "set_at")
    list_select_related = ("lead", "criterion", "set_by")
    list_filter = ("criterion__framework", "state")


@admin.register(GateRule)
class GateRuleAdmin(ReadOnly):
    list_display = ("team", "framework", "kind", "count", "numerator", "denominator", "updated_at")
    list_select_related = ("team", "framework")
