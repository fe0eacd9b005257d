"""Admin of corrective and preventive actions (CAPA); creation goes through
``capa_create``.
"""

from __future__ import annotations

from django.contrib import admin

from complaints import services
from complaints.models import CorrectiveAction
from crm.admin_base import ScopedModelAdmin, adopt_saved


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(ScopedModelAdmin):
    list_display = ("title", "kind", "owner", "due_date", "status", "verified_at")
    list_filter = ("status", "kind", "department")
    list_select_related = ("owner",)
    search_fields = ("title", "root_cause", "action")
    autocomplete_fields = ("owner", "complaints")
    readonly_fields = (
        "status",
        "completion_note",
        "completed_at",
        "verification_note",
        "verified_by",
        "verified_at",
        "created_by",
        "department",
        "team",
    )
    fields = (
        "title",
        "kind",
        "root_cause",
        "action",
        "owner",
        "due_date",
        "complaints",
        *readonly_fields,
    )

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return (*self.readonly_fields, "owner", "complaints")

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        created = services.capa_create(
            actor=request.user,
            title=data["title"],
            kind=data["kind"],
            root_cause=data["root_cause"],
            action=data["action"],
            owner=data["owner"],
            due_date=data["due_date"],
            complaints=list(data.get("complaints") or []),
        )
        adopt_saved(obj, created)
        return None

    def save_related(self, request, form, formsets, change):
        if change:  # capa_create linked the complaints
            super().save_related(request, form, formsets, change)
