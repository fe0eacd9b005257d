"""Assessments, certifications, assignments and the audit trail."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.admin_base import ScopedModelAdmin, adopt_saved
from training import selectors, services
from training.models import (
    Assessment,
    Certification,
    TrainingAssignment,
    TrainingEvent,
)

# --- assessments -------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = _("result")
    parameter_name = "result"

    def lookups(self, request, model_admin):
        return [
            ("pending", _("not taken yet")),
            ("overdue", _("overdue")),
            ("failed", _("failed")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(taken_on__isnull=True)
        if self.value() == "overdue":
            return queryset.filter(
                taken_on__isnull=True, due_on__lt=timezone.localdate()
            )
        if self.value() == "failed":
            return queryset.filter(passed=False)
        return queryset


class AssessmentForm(forms.ModelForm):
    class Meta:
        model = Assessment
        fields = (
            "staff",
            "course",
            "session",
            "kind",
            "window",
            "due_on",
            "pass_mark",
            "score",
            "taken_on",
            "notes",
        )


@admin.register(Assessment)
class AssessmentAdmin(ScopedModelAdmin):
    form = AssessmentForm
    selector = staticmethod(selectors.assessment_list)
    list_display = (
        "staff",
        "course",
        "kind",
        "window",
        "due_on",
        "score",
        "passed",
        "taken_on",
        "assessor",
    )
    list_filter = (OverdueFilter, "kind", "window", "passed", "course")
    search_fields = ("staff__name", "staff__employee_no", "course__title")
    date_hierarchy = "due_on"
    list_select_related = ("staff", "course", "assessor")
    autocomplete_fields = ("staff", "course", "session")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("passed", "assessor")
        return (
            "staff",
            "course",
            "session",
            "kind",
            "window",
            "due_on",
            "pass_mark",
            "passed",
            "assessor",
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = services.assessment_schedule(
                actor=request.user,
                staff=data["staff"],
                course=data["course"],
                kind=data["kind"],
                due_on=data["due_on"],
                session=data.get("session"),
                window=data.get("window") or "",
                pass_mark=data.get("pass_mark"),
                notes=data.get("notes") or "",
            )
            adopt_saved(obj, created)
            if data.get("score") is None:
                return
        if change and data.get("score") is None and "notes" in form.changed_data:
            services.assessment_update(
                actor=request.user, assessment=obj, notes=data.get("notes") or ""
            )
        if data.get("score") is not None:
            services.assessment_record_result(
                actor=request.user,
                assessment=obj,
                score=data["score"],
                notes=data.get("notes") or "",
                taken_on=data.get("taken_on"),
            )


# --- certifications -------------------------------------------------------------------


class ExpiringFilter(admin.SimpleListFilter):
    title = _("expiry")
    parameter_name = "expiring"

    def lookups(self, request, model_admin):
        return [("30", _("expiring within 30 days")), ("expired", _("expired"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "30":
            return queryset.filter(
                status=Certification.Status.VALID,
                expires_on__gte=today,
                expires_on__lte=today + timedelta(days=30),
            )
        if self.value() == "expired":
            return queryset.filter(expires_on__lt=today)
        return queryset


@admin.register(Certification)
class CertificationAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.certification_list)
    list_display = (
        "staff",
        "qualification",
        "number",
        "issued_on",
        "expires_on",
        "status",
        "expiring_soon",
    )
    list_filter = (ExpiringFilter, "status", "qualification")
    search_fields = ("staff__name", "staff__employee_no", "qualification", "number")
    list_select_related = ("staff",)
    autocomplete_fields = ("staff",)
    readonly_fields = ("status",)
    actions = ("revoke",)

    @admin.display(description=_("expiring soon"), boolean=True)
    def expiring_soon(self, obj):
        if obj.status != Certification.Status.VALID or obj.expires_on is None:
            return None
        return obj.expires_on <= timezone.localdate() + timedelta(days=30)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            if {"expires_on", "issued_on", "number"} & set(form.changed_data):
                services.certification_renew(
                    actor=request.user,
                    certification=obj,
                    expires_on=data.get("expires_on"),
                    issued_on=data.get("issued_on"),
                    number=data.get("number") or "",
                )
            if "qualification" in form.changed_data:
                services.certification_update(
                    actor=request.user,
                    certification=obj,
                    qualification=data["qualification"],
                )
            return None
        created = services.certification_issue(
            actor=request.user,
            staff=data["staff"],
            qualification=data["qualification"],
            issued_on=data["issued_on"],
            expires_on=data.get("expires_on"),
            number=data.get("number") or "",
        )
        adopt_saved(obj, created)

    @admin.action(description=_("Revoke the selected certifications"))
    def revoke(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda c: services.certification_revoke(
                actor=request.user, certification=c
            ),
        )


# --- assignments --------------------------------------------------------------------


class OpenFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("open")), ("no", _("done"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(done_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(done_at__isnull=False)
        return queryset


@admin.register(TrainingAssignment)
class TrainingAssignmentAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.training_assignment_list)
    list_display = (
        "staff",
        "course",
        "reason",
        "due_on",
        "done_at",
        "assigned_by",
        "created_at",
    )
    list_filter = (OpenFilter, "reason", "course")
    search_fields = ("staff__name", "staff__employee_no", "course__title")
    list_select_related = ("staff", "course", "assigned_by")
    autocomplete_fields = ("staff", "course")
    readonly_fields = (
        "done_at",
        "source_assessment",
        "assigned_by",
        "key",
        "created_at",
    )
    actions = ("mark_done",)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ("staff", "course", "reason", *self.readonly_fields)
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.assignment_update(
                actor=request.user,
                assignment=obj,
                due_on=data.get("due_on"),
                note=data.get("note") or "",
            )
            return
        assignment, _created = services.assignment_create(
            actor=request.user,
            staff=data["staff"],
            course=data["course"],
            reason=data["reason"],
            due_on=data.get("due_on"),
            note=data.get("note") or "",
        )
        adopt_saved(obj, assignment)

    @admin.action(description=_("Mark the selected assignments done"))
    def mark_done(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda a: services.assignment_complete(actor=request.user, assignment=a),
        )


@admin.register(TrainingEvent)
class TrainingEventAdmin(ScopedModelAdmin):
    """The audit trail of the training services (read-only)."""

    selector = staticmethod(selectors.training_event_list)

    list_display = ("created_at", "kind", "actor", "staff", "session", "data")
    list_filter = ("kind",)
    search_fields = ("staff__name", "staff__employee_no", "actor__name")
    date_hierarchy = "created_at"
    list_select_related = ("actor", "staff", "session", "session__course")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
