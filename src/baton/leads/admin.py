from django.contrib import admin

from baton.leads.models import WebForm


@admin.register(WebForm)
class WebFormAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "source", "active", "created_at")
