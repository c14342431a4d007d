from django.contrib import admin

from baton.handoffs.models import RejectReason


@admin.register(RejectReason)
class RejectReasonAdmin(admin.ModelAdmin):
    list_display = ("code", "label", "label_zh", "active", "position")
    list_editable = ("active", "position")
