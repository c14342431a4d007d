from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from baton.org.models import AuditLog, OrgSettings, RoleAssignment, Team, User


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 1


@admin.register(User)
class BatonUserAdmin(UserAdmin):
    inlines = [RoleInline]
    list_display = (
        "username",
        "display_name",
        "team",
        "manager",
        "is_active",
        "out_of_office",
        "suspended_until",
    )
    list_filter = ("team", "is_active", "out_of_office", "roles__role")
    fieldsets = (
        *UserAdmin.fieldsets,
        (
            "Baton",
            {
                "fields": (
                    "display_name",
                    "team",
                    "manager",
                    "timezone",
                    "language",
                    "out_of_office",
                    "suspended_until",
                )
            },
        ),
    )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "region", "timezone", "parent")


@admin.register(OrgSettings)
class OrgSettingsAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "timezone",
        "currency",
        "default_phone_region",
        "acceptance_sla_hours",
    )


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_id")
    list_filter = ("action",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
