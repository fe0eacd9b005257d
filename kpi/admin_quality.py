"""Admin of quality inspection (质检) configuration and work: checklists with
their items (versioned by ``kpi.services.checklists``), sampling plans, and the
queue of sampled complaints each QA inspector works through."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.admin_base import ScopedModelAdmin, ScopedTabularInline, adopt_saved
from kpi import selectors
from kpi.models import Checklist, ChecklistItem, InspectionSample, SamplingPlan
from kpi.services.checklists import checklist_is_used, checklist_save


class ChecklistItemInline(ScopedTabularInline):
    model = ChecklistItem
    fields = ("position", "code", "label", "weight", "max_score", "pass_mark")
    extra = 0
    ordering = ("position", "pk")


class ChecklistForm(forms.ModelForm):
    class Meta:
        model = Checklist
        fields = ("code", "kind", "name", "pass_mark", "is_active")


@admin.register(Checklist)
class ChecklistAdmin(ScopedModelAdmin):
    """Editing a version already used saves the next version (the inspections
    made keep theirs); the service does every write."""

    form = ChecklistForm
    list_display = ("name", "code", "version", "kind", "pass_mark", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")
    inlines = (ChecklistItemInline,)

    def get_readonly_fields(self, request, obj=None):
        return ("code", "version") if obj is not None else ("version",)

    def has_delete_permission(self, request, obj=None):
        return False  # inspections keep their version: deactivate instead

    def save_model(self, request, obj, form, change):
        pass  # saved with its items in save_related (one service call)

    def save_related(self, request, form, formsets, change):
        items = []
        for formset in formsets:
            # the service writes the items: nothing for Django to save or log
            formset.new_objects, formset.changed_objects = [], []
            formset.deleted_objects = []
            if formset.model is not ChecklistItem:
                continue
            kept = [
                f.cleaned_data
                for f in formset.forms
                if f.cleaned_data
                and not f.cleaned_data.get("DELETE")
                and (f.instance.pk is not None or f.has_changed())
            ]
            kept.sort(key=lambda data: data.get("position") or 0)
            items = [
                {
                    "code": data.get("code"),
                    "label": data.get("label"),
                    "weight": data.get("weight"),
                    "max_score": data.get("max_score"),
                    "pass_mark": data.get("pass_mark"),
                }
                for data in kept
            ]
        data = form.cleaned_data
        original = Checklist.objects.get(pk=form.instance.pk) if change else None
        used = original is not None and checklist_is_used(original)
        saved = checklist_save(
            actor=request.user,
            checklist=original,
            code=data.get("code") or (original.code if original else ""),
            kind=data["kind"],
            name=data["name"],
            pass_mark=data["pass_mark"],
            is_active=data["is_active"],
            items=items,
        )
        adopt_saved(form.instance, saved)
        if used and saved.pk != original.pk:
            messages.info(
                request,
                gettext(
                    "Version %(old)s has been used by inspections, which keep it: "
                    "your changes are saved as version %(new)s."
                )
                % {"old": original.version, "new": saved.version},
            )


class SamplingPlanForm(forms.ModelForm):
    class Meta:
        model = SamplingPlan
        fields = (
            "name",
            "team",
            "checklist",
            "period",
            "rate",
            "min_per_agent",
            "inspectors",
            "is_active",
        )

    def clean(self):
        data = super().clean()
        team, inspectors = data.get("team"), data.get("inspectors")
        if inspectors is not None and not inspectors:
            self.add_error("inspectors", _("Choose at least one QA inspector."))
        if team is not None and inspectors:
            # inspectors come from the field's queryset (selectors.qa_inspectors:
            # QA inspectors only); what is left to check is their department
            outside = [u for u in inspectors if u.department_id != team.department_id]
            if outside:
                self.add_error(
                    "inspectors",
                    _("Choose QA inspectors of the team's department."),
                )
        return data


@admin.register(SamplingPlan)
class SamplingPlanAdmin(ScopedModelAdmin):
    form = SamplingPlanForm
    selector = staticmethod(selectors.sampling_plan_list)
    list_display = (
        "name",
        "team",
        "checklist",
        "period",
        "rate",
        "min_per_agent",
        "is_active",
    )
    list_filter = ("period", "is_active")
    list_select_related = ("team", "checklist")
    search_fields = ("name",)
    filter_horizontal = ("inspectors",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "checklist" and field is not None:
            field.queryset = field.queryset.filter(is_active=True)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "inspectors":
            kwargs["queryset"] = selectors.qa_inspectors(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False  # samples keep their plan: deactivate instead


class PendingFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "pending"

    def lookups(self, request, model_admin):
        return (("1", _("to inspect")), ("0", _("inspected")))

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(inspection__isnull=True)
        if self.value() == "0":
            return queryset.filter(inspection__isnull=False)
        return queryset


@admin.register(InspectionSample)
class InspectionSampleAdmin(ScopedModelAdmin):
    """The queue: read-only; a sample is done by recording its inspection."""

    selector = staticmethod(selectors.inspection_sample_list)
    list_display = (
        "drawn_on",
        "period_key",
        "plan",
        "complaint",
        "staff",
        "inspector",
        "state",
    )
    list_filter = (PendingFilter, "period_key", "plan")
    list_select_related = ("plan", "complaint", "staff", "inspector", "inspection")
    search_fields = ("complaint__reference",)
    readonly_fields = (
        "plan",
        "period_key",
        "period_start",
        "complaint",
        "staff",
        "team",
        "inspector",
        "drawn_on",
        "inspection",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False  # drawn by kpi.draw_inspection_samples

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("status"))
    def state(self, obj):
        if obj.inspection_id is not None:
            return format_html(
                '<a href="{}">{} ({})</a>',
                reverse("admin:kpi_qualityinspection_change", args=[obj.inspection_id]),
                gettext("inspected"),
                obj.inspection.total,
            )
        url = reverse("admin:kpi_qualityinspection_add")
        return format_html(
            '<a href="{}?complaint={}">{}</a>',
            url,
            obj.complaint.reference,
            gettext("Record the inspection"),
        )
