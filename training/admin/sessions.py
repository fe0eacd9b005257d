"""Sessions, enrolment and the trainer's attendance sheet."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.admin_base import (
    SERVICE_ERRORS,
    ScopedModelAdmin,
    ScopedTabularInline,
    adopt_saved,
    refusal_text,
)
from training import selectors, services
from training.models import (
    Enrollment,
    TrainingSession,
)

# --- sessions and attendance ---------------------------------------------------


class EnrollmentInline(ScopedTabularInline):
    """Who is enrolled (read-only: attendance goes through the sheet); each
    viewer sees the enrolments they may see (supervisors their team's)."""

    model = Enrollment
    fields = ("staff", "status", "attended_hours", "recorded_by", "recorded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    selector = staticmethod(selectors.enrollment_list)

    def has_add_permission(self, request, obj=None):
        return False


class EnrollmentAddInline(ScopedTabularInline):
    """Enrol more staff from the session page (through ``enrollment_create``)."""

    model = Enrollment
    selector = staticmethod(selectors.enrollment_list)
    fields = ("staff",)
    autocomplete_fields = ("staff",)
    extra = 3
    can_delete = False
    verbose_name_plural = _("enrol staff")

    def get_queryset(self, request):
        return super().get_queryset(request).none()


class AttendanceForm(forms.Form):
    staff_id = forms.IntegerField(widget=forms.HiddenInput)
    employee_no = forms.CharField(required=False, disabled=True)
    staff_name = forms.CharField(required=False, disabled=True)
    status = forms.ChoiceField(choices=Enrollment.Status.choices)
    hours = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=5,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "style": "width:6em"}),
    )


AttendanceFormSet = forms.formset_factory(AttendanceForm, extra=0)


class CompleteForm(forms.Form):
    complete = forms.BooleanField(
        label=_("Complete the session"),
        required=False,
        help_text=_(
            "Schedules each attendee's assessments: immediately, after one month "
            "and after three months."
        ),
    )


class WhenFilter(admin.SimpleListFilter):
    """The trainer's day: today's sessions, the coming ones, the past ones."""

    title = _("when")
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [
            ("today", _("today")),
            ("upcoming", _("upcoming")),
            ("past", _("past")),
            ("to_record", _("attendance to record")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        start = timezone.make_aware(datetime.combine(today, time.min))
        end = start + timedelta(days=1)
        if self.value() == "today":
            return queryset.filter(starts_at__gte=start, starts_at__lt=end)
        if self.value() == "upcoming":
            return queryset.filter(starts_at__gte=end)
        if self.value() == "past":
            return queryset.filter(starts_at__lt=start)
        if self.value() == "to_record":
            return queryset.filter(
                status=TrainingSession.Status.PLANNED, starts_at__lt=timezone.now()
            )
        return queryset


@admin.register(TrainingSession)
class TrainingSessionAdmin(ScopedModelAdmin):
    list_display = (
        "course",
        "starts_at",
        "ends_at",
        "trainer",
        "place",
        "seats",
        "attended",
        "status",
    )
    list_filter = (WhenFilter, "status", "course__topic", "course__format", "trainer")
    search_fields = ("course__code", "course__title", "place")
    date_hierarchy = "starts_at"
    ordering = ("-starts_at", "pk")  # also pages the session autocomplete stably
    list_select_related = ("course", "trainer")
    autocomplete_fields = ("course", "trainer")
    readonly_fields = ("status", "completed_at")
    inlines = (EnrollmentInline, EnrollmentAddInline)
    actions = ("complete_sessions", "cancel_sessions")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                seat_count=Count(
                    "enrollments",
                    filter=Q(
                        enrollments__status__in=[
                            Enrollment.Status.ENROLLED,
                            Enrollment.Status.ATTENDED,
                        ]
                    ),
                ),
                attended_count=Count(
                    "enrollments",
                    filter=Q(enrollments__status=Enrollment.Status.ATTENDED),
                ),
            )
        )

    @admin.display(description=_("seats taken"), ordering="seat_count")
    def seats(self, obj):
        if obj.capacity:
            return f"{obj.seat_count}/{obj.capacity}"
        return obj.seat_count

    @admin.display(description=_("attended"), ordering="attended_count")
    def attended(self, obj):
        return obj.attended_count

    def save_formset(self, request, form, formset, change):
        if formset.model is not Enrollment:
            return super().save_formset(request, form, formset, change)
        for inline_form in formset.forms:
            if inline_form in formset.deleted_forms or not inline_form.has_changed():
                continue
            if inline_form.instance.pk is None and inline_form.cleaned_data.get(
                "staff"
            ):
                services.enrollment_create(
                    actor=request.user,
                    session=form.instance,
                    staff=inline_form.cleaned_data["staff"],
                )
        formset.new_objects, formset.changed_objects, formset.deleted_objects = (
            [],
            [],
            [],
        )

    @admin.action(description=_("Complete the selected sessions"))
    def complete_sessions(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda s: services.session_complete(actor=request.user, session=s),
            done=_("%(count)s session(s) completed; assessments scheduled."),
        )

    @admin.action(description=_("Cancel the selected sessions"))
    def cancel_sessions(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda s: services.session_cancel(actor=request.user, session=s),
        )

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/attendance/",
                self.admin_site.admin_view(self.attendance_view),
                name="{}_{}_attendance".format(*info),
            ),
            *super().get_urls(),
        ]

    def attendance_view(self, request, object_id):
        """The trainer's attendance sheet: every enrolled staff member on one page."""
        session = get_object_or_404(
            self.get_queryset(request).select_related("course"), pk=object_id
        )
        if not self.has_change_permission(request, session):
            raise PermissionDenied
        enrollments = list(
            selectors.session_attendance_sheet(user=request.user, session=session)
        )
        # Sign-in opens on the session's day (people arrive before it starts).
        started = timezone.localdate(session.starts_at) <= timezone.localdate()
        initial = [
            {
                "staff_id": e.staff_id,
                "employee_no": e.staff.employee_no,
                "staff_name": e.staff.get_full_name(),
                # Most of a sheet is "present": propose it once the session began.
                "status": Enrollment.Status.ATTENDED
                if started and e.status == Enrollment.Status.ENROLLED
                else e.status,
                "hours": e.attended_hours
                if e.status == Enrollment.Status.ATTENDED
                else None,
            }
            for e in enrollments
        ]
        if request.method == "POST":
            formset = AttendanceFormSet(request.POST, initial=initial)
            complete_form = CompleteForm(request.POST)
            if formset.is_valid() and complete_form.is_valid():
                # "All present": every line attended, the hours typed kept.
                all_present = "all_present" in request.POST
                entries = [
                    services.AttendanceEntry(
                        staff_id=f.cleaned_data["staff_id"],
                        status=Enrollment.Status.ATTENDED
                        if all_present
                        else f.cleaned_data["status"],
                        hours=f.cleaned_data.get("hours"),
                    )
                    for f in formset
                ]
                try:
                    result = services.session_record_attendance(
                        actor=request.user,
                        session=session,
                        entries=entries,
                        complete=complete_form.cleaned_data["complete"],
                    )
                except SERVICE_ERRORS as exc:
                    # The sheet comes back as typed (bound forms), with the error.
                    self.show_refusal(request, exc)
                    if getattr(exc, "field", None) == "complete":
                        complete_form.add_error("complete", refusal_text(exc))
                else:
                    self.message_user(
                        request,
                        _(
                            "Attendance saved: %(changed)s changed, "
                            "%(assessments)s assessments scheduled."
                        )
                        % {
                            "changed": result["changed"],
                            "assessments": result["assessments_created"],
                        },
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse(
                            "admin:training_trainingsession_change", args=[session.pk]
                        )
                    )
        else:
            formset = AttendanceFormSet(initial=initial)
            # Never pre-ticked: completing is a decision, taken after the end.
            complete_form = CompleteForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "session": session,
            "formset": formset,
            "complete_form": complete_form,
            "title": _("Record attendance"),
            "subtitle": str(session),
        }
        return TemplateResponse(
            request, "admin/training/trainingsession/attendance.html", context
        )


@admin.register(Enrollment)
class EnrollmentAdmin(ScopedModelAdmin):
    selector = staticmethod(selectors.enrollment_list)
    list_display = (
        "session",
        "staff",
        "status",
        "attended_hours",
        "recorded_by",
        "recorded_at",
    )
    list_filter = ("status", "session__course")
    search_fields = ("staff__name", "staff__employee_no", "session__course__title")
    list_select_related = ("session", "session__course", "staff", "recorded_by")
    autocomplete_fields = ("session", "staff")
    readonly_fields = ("status", "attended_hours", "recorded_by", "recorded_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ("session", "staff", *self.readonly_fields)
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        enrollment, _created = services.enrollment_create(
            actor=request.user,
            session=form.cleaned_data["session"],
            staff=form.cleaned_data["staff"],
        )
        adopt_saved(obj, enrollment)
