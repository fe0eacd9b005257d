"""Admin of corrective and preventive actions (CAPA): creation goes through
``capa_create``, edits through ``capa_update``; the page shows the CAPA's
events (read-only).
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from complaints import selectors, services
from complaints.admin.inlines import ReadOnlyInline
from complaints.models import CapaEvent, CorrectiveAction
from crm.admin_base import ScopedModelAdmin, adopt_saved


class CapaEventInline(ReadOnlyInline):
    model = CapaEvent
    selector = staticmethod(selectors.capa_event_list)
    fields = ("created_at", "kind", "actor", "from_status", "to_status", "note")
    readonly_fields = fields
    ordering = ("created_at", "pk")
    verbose_name_plural = _("history")


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.corrective_action_list)
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

    inlines = [CapaEventInline]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return (*self.readonly_fields, "owner", "complaints")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.capa_update(
                actor=request.user,
                capa=obj,
                changes={name: data[name] for name in form.changed_data},
            )
            return None
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
