"""Admin of corrective and preventive actions (CAPA): creation goes through
``capa_create``, edits through ``capa_update``; the page shows the CAPA's
linked complaints, owner, due date, completion and verification and its events
(read-only), with a button per transition its status allows (start, complete,
verify effective / not effective), each run through its service on the
transition page.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints import selectors, services
from complaints.admin.inlines import ReadOnlyInline
from complaints.admin_forms import CapaTransitionForm
from complaints.models import CapaEvent, CapaEvidence, CorrectiveAction
from complaints.services.capa import CAPA_ACTIONS, capa_actions_for, capa_perform
from crm.admin_base import SERVICE_ERRORS, ScopedModelAdmin, adopt_saved


class CapaEvidenceInline(ReadOnlyInline):
    model = CapaEvidence
    selector = staticmethod(selectors.capa_evidence_list)
    fields = ("created_at", "download", "content_type", "size", "uploaded_by")
    readonly_fields = fields
    verbose_name_plural = _("evidence")

    @admin.display(description=_("file"))
    def download(self, obj):
        """A link to the scoped download view (files are not under MEDIA_URL)."""
        url = reverse("complaints:capa-evidence-download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


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
        "due_reminded_at",
        "escalated_at",
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

    inlines = [CapaEvidenceInline, CapaEventInline]
    change_form_template = "admin/complaints/correctiveaction/change_form.html"

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

    def render_change_form(self, request, context, add=False, change=False, **kw):
        obj = context.get("original")
        if obj is not None and obj.pk:
            context["capa_actions"] = [
                (name, CAPA_ACTIONS[name][1])
                for name in capa_actions_for(obj, actor=request.user)
            ]
        return super().render_change_form(request, context, add, change, **kw)

    # --- transitions --------------------------------------------------------------
    def get_urls(self):
        return [
            path(
                "<int:pk>/transition/",
                self.admin_site.admin_view(self.transition_view),
                name="complaints_correctiveaction_transition",
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request, pk):
        """GET: the form (``?action=`` preselects one); POST: run the service,
        a refusal is shown on the form and changes nothing."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        capa = get_object_or_404(self.get_queryset(request), pk=pk)
        change_url = reverse("admin:complaints_correctiveaction_change", args=[pk])
        if request.method == "POST":
            form = CapaTransitionForm(
                request.POST, request.FILES, capa=capa, actor=request.user
            )
            if form.is_valid():
                data = form.cleaned_data
                try:
                    if data["action"] == "evidence":
                        services.capa_attach_evidence(
                            actor=request.user, capa=capa, file=data["evidence"]
                        )
                    else:
                        capa_perform(
                            actor=request.user,
                            capa=capa,
                            action=data["action"],
                            note=data["note"],
                            version=data["version"],
                        )
                except SERVICE_ERRORS as exc:
                    self.show_refusal(request, exc, form=form)
                else:
                    messages.success(request, gettext("Done."))
                    return HttpResponseRedirect(change_url)
        else:
            form = CapaTransitionForm(
                capa=capa,
                actor=request.user,
                initial={"version": capa.version, "action": request.GET.get("action")},
            )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Work on corrective action %(title)s")
            % {"title": capa.title},
            "opts": self.model._meta,
            "original": capa,
            "form": form,
        }
        return TemplateResponse(
            request, "admin/complaints/correctiveaction/transition.html", context
        )
