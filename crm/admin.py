"""Admin of crm: staff and organisation here; customers, revisits, notifications
and privacy in ``crm.admin_customers`` / ``crm.admin_revisits`` (imported below)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from crm.admin_base import ScopedModelAdmin
from crm.models import Department, PartnerOrganisation, Team, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin, ScopedModelAdmin):
    list_display = (
        "employee_no",
        "username",
        "name",
        "department",
        "team",
        "role_names",
        "is_active",
    )
    list_filter = ("is_active", "department", "team", "groups")
    search_fields = ("username", "employee_no", "name", "email")
    list_select_related = ("department", "team")
    autocomplete_fields = ("department", "team", "supervisor")
    ordering = ("employee_no", "username")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Staff details"),
            {
                "fields": (
                    "employee_no",
                    "name",
                    "email",
                    "phone",
                    "department",
                    "team",
                    "supervisor",
                    "hired_on",
                )
            },
        ),
        (
            _("Roles and permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "employee_no",
                    "name",
                    "department",
                    "team",
                    "groups",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def role_names(self, obj):
        return ", ".join(g.name for g in obj.groups.all())


@admin.register(Department)
class DepartmentAdmin(ScopedModelAdmin):
    list_display = ("code", "name", "manager", "is_active")
    search_fields = ("code", "name")
    list_select_related = ("manager",)
    autocomplete_fields = ("manager",)


@admin.register(Team)
class TeamAdmin(ScopedModelAdmin):
    list_display = ("code", "name", "department", "supervisor", "is_active")
    list_filter = ("department", "is_active")
    search_fields = ("code", "name")
    list_select_related = ("department", "supervisor")
    autocomplete_fields = ("department", "supervisor")


@admin.register(PartnerOrganisation)
class PartnerOrganisationAdmin(ScopedModelAdmin):
    list_display = ("code", "name", "contact_email", "is_active", "created_at")
    search_fields = ("code", "name")
    list_filter = ("is_active",)


# Registered on import (kept in their own modules by subject).
from crm import admin_customers, admin_revisits  # noqa: E402, F401
