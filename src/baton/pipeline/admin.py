from django.contrib import admin

from baton.pipeline.models import Stage


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ("name", "name_zh", "position", "probability", "kind", "active")
    list_editable = ("position", "probability", "active")
