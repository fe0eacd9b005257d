"""Training admin: the trainer's working day (courses, sessions, bulk attendance,
assessments, certifications, assignments) and the staff training record.

Rows come from ``crm.scoping`` (ScopedModelAdmin); state changes go through
``training.services``; domain errors are shown as messages.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from config.errors import DomainError
from crm import scoping
from crm.admin import UserAdmin as CrmUserAdmin
from crm.admin_base import ScopedModelAdmin
from crm.models import User
from crm.roles import STAFF_ROLES, Role
from training import selectors, services
from training.models import (
    Assessment,
    Certification,
    Course,
    Enrollment,
    TrainingAssignment,
    TrainingRecord,
    TrainingRequirement,
    TrainingSession,
)


def _role_label(group: Group) -> str:
    try:
        return str(Role(group.name).label)
    except ValueError:
        return group.name


def render_record(record: dict) -> str:
    """The staff training record as an HTML section (admin pages)."""
    return render_to_string(
        "training/record_section.html",
        {"record": record, "soon": timezone.localdate() + timedelta(days=30)},
    )


class DomainErrorsMixin:
    """Run a service; show a DomainError as an error message instead of a 500."""

    def run_service(self, request, func, **kwargs):
        try:
            return func(**kwargs), True
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None, False

    # When the service refused an addition, nothing was saved: back to the form.
    def log_addition(self, request, obj, message):
        if obj.pk is not None:
            return super().log_addition(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)


# --- courses and requirements ------------------------------------------------


@admin.register(Course)
class CourseAdmin(ScopedModelAdmin):
    list_display = (
        "code",
        "title",
        "topic",
        "format",
        "hours",
        "target_role_names",
        "is_mandatory",
        "is_active",
    )
    list_filter = ("topic", "format", "is_mandatory", "is_active")
    search_fields = ("code", "title")
    autocomplete_fields = ("remedial_course",)
    filter_horizontal = ("target_roles",)
    list_select_related = ("remedial_course",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("target_roles")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "target_roles":
            kwargs["queryset"] = Group.objects.filter(
                name__in=[r.value for r in STAFF_ROLES]
            )
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "target_roles":
            field.label_from_instance = _role_label
        return field

    @admin.display(description=_("target roles"))
    def target_role_names(self, obj):
        return ", ".join(_role_label(g) for g in obj.target_roles.all())


@admin.register(TrainingRequirement)
class TrainingRequirementAdmin(ScopedModelAdmin):
    list_display = ("role", "yearly_hours", "mandatory_course_codes")
    filter_horizontal = ("mandatory_courses",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("mandatory_courses")

    @admin.display(description=_("mandatory courses"))
    def mandatory_course_codes(self, obj):
        return ", ".join(c.code for c in obj.mandatory_courses.all())


# --- sessions and attendance ---------------------------------------------------


class EnrollmentInline(admin.TabularInline):
    """Who is enrolled (read-only: attendance goes through the sheet)."""

    model = Enrollment
    fields = ("staff", "status", "attended_hours", "recorded_by", "recorded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("staff", "recorded_by")


class EnrollmentAddInline(admin.TabularInline):
    """Enrol more staff from the session page (through ``enrollment_create``)."""

    model = Enrollment
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
class TrainingSessionAdmin(DomainErrorsMixin, ScopedModelAdmin):
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
                self.run_service(
                    request,
                    services.enrollment_create,
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
        done = 0
        for session in queryset:
            _result, ok = self.run_service(
                request, services.session_complete, actor=request.user, session=session
            )
            done += ok
        if done:
            self.message_user(
                request,
                _("%(count)s session(s) completed; assessments scheduled.")
                % {"count": done},
            )

    @admin.action(description=_("Cancel the selected sessions"))
    def cancel_sessions(self, request, queryset):
        for session in queryset:
            self.run_service(
                request, services.session_cancel, actor=request.user, session=session
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
            Enrollment.objects.filter(session=session)
            .select_related("staff")
            .order_by("staff__employee_no", "staff__username")
        )
        started = session.starts_at <= timezone.now()
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
                entries = [
                    services.AttendanceEntry(
                        staff_id=f.cleaned_data["staff_id"],
                        status=f.cleaned_data["status"],
                        hours=f.cleaned_data.get("hours"),
                    )
                    for f in formset
                ]
                result, ok = self.run_service(
                    request,
                    services.session_record_attendance,
                    actor=request.user,
                    session=session,
                    entries=entries,
                    complete=complete_form.cleaned_data["complete"],
                )
                if ok:
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
            complete_form = CompleteForm(
                initial={"complete": session.status == TrainingSession.Status.PLANNED}
            )
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
class EnrollmentAdmin(DomainErrorsMixin, ScopedModelAdmin):
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
        result, _ok = self.run_service(
            request,
            services.enrollment_create,
            actor=request.user,
            session=form.cleaned_data["session"],
            staff=form.cleaned_data["staff"],
        )
        if result is not None:
            obj.pk = result[0].pk


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
class AssessmentAdmin(DomainErrorsMixin, ScopedModelAdmin):
    form = AssessmentForm
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
            created, ok = self.run_service(
                request,
                services.assessment_schedule,
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
            if not ok:
                return
            obj.pk = created.pk
            if data.get("score") is None:
                return
        if data.get("score") is not None:
            self.run_service(
                request,
                services.assessment_record_result,
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
class CertificationAdmin(DomainErrorsMixin, ScopedModelAdmin):
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
        if change:
            # Correcting a record (typo, renewed expiry date): plain validated save.
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        created, ok = self.run_service(
            request,
            services.certification_issue,
            actor=request.user,
            staff=data["staff"],
            qualification=data["qualification"],
            issued_on=data["issued_on"],
            expires_on=data.get("expires_on"),
            number=data.get("number") or "",
        )
        if ok:
            obj.pk = created.pk

    @admin.action(description=_("Revoke the selected certifications"))
    def revoke(self, request, queryset):
        for cert in queryset:
            self.run_service(
                request,
                services.certification_revoke,
                actor=request.user,
                certification=cert,
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
class TrainingAssignmentAdmin(DomainErrorsMixin, ScopedModelAdmin):
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
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        result, ok = self.run_service(
            request,
            services.assignment_create,
            actor=request.user,
            staff=data["staff"],
            course=data["course"],
            reason=data["reason"],
            due_on=data.get("due_on"),
            note=data.get("note") or "",
        )
        if ok:
            obj.pk = result[0].pk

    @admin.action(description=_("Mark the selected assignments done"))
    def mark_done(self, request, queryset):
        for assignment in queryset:
            self.run_service(
                request,
                services.assignment_complete,
                actor=request.user,
                assignment=assignment,
            )


# --- staff training records -------------------------------------------------------


class YearFilter(admin.SimpleListFilter):
    """Chooses the year of the record (the annotation reads the same parameter)."""

    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        year = selectors.current_year()
        return [(str(y), str(y)) for y in range(year, year - 3, -1)]

    def queryset(self, request, queryset):
        return queryset


class BelowRequirementFilter(admin.SimpleListFilter):
    title = _("hours requirement")
    parameter_name = "below_requirement"

    def lookups(self, request, model_admin):
        return [("1", _("below the requirement")), ("0", _("requirement met"))]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(below_requirement=self.value() == "1")
        return queryset


class TopPerformerFilter(admin.SimpleListFilter):
    title = _("top performer")
    parameter_name = "top_performer"

    def lookups(self, request, model_admin):
        return [("1", _("top performers"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(top_performer=True)
        return queryset


def _record_year(request) -> int:
    try:
        return int(request.GET.get("year") or selectors.current_year())
    except ValueError:
        return selectors.current_year()


def _may_read_records(request) -> bool:
    user = request.user
    return user.is_active and (
        user.is_superuser or bool(scoping.user_roles(user) & set(STAFF_ROLES))
    )


@admin.register(TrainingRecord)
class TrainingRecordAdmin(ScopedModelAdmin):
    """Read-only training records: own (everyone), team (supervisor), department
    (manager), all (trainer, admin)."""

    list_display = (
        "employee_no",
        "display_name",
        "team",
        "hours",
        "required",
        "mandatory",
        "assessments",
        "certifications",
        "next_expiry",
        "assignments",
        "top",
    )
    list_filter = (
        YearFilter,
        BelowRequirementFilter,
        TopPerformerFilter,
        "department",
        "team",
    )
    search_fields = ("employee_no", "name", "username")
    list_select_related = ("team", "department")
    fields = ("employee_no", "name", "department", "team", "record")
    readonly_fields = fields
    ordering = ("employee_no", "username")

    def get_queryset(self, request):
        staff = super().get_queryset(request).filter(is_active=True)
        return selectors.training_records(staff_qs=staff, year=_record_year(request))

    def has_module_permission(self, request):
        return _may_read_records(request)

    def has_view_permission(self, request, obj=None):
        return _may_read_records(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("full name"), ordering="name")
    def display_name(self, obj):
        return obj.get_full_name()

    @admin.display(description=_("hours"), ordering="training_hours")
    def hours(self, obj):
        if obj.below_requirement:
            return format_html(
                '<strong style="color:#ba2121">{}</strong>', obj.training_hours
            )
        return obj.training_hours

    @admin.display(description=_("required hours"), ordering="required_hours")
    def required(self, obj):
        return obj.required_hours

    @admin.display(description=_("mandatory done/total"))
    def mandatory(self, obj):
        return f"{obj.mandatory_done}/{obj.mandatory_total}"

    @admin.display(description=_("assessments passed/taken"))
    def assessments(self, obj):
        return f"{obj.assessments_passed}/{obj.assessments_taken}"

    @admin.display(description=_("certifications"), ordering="certifications_valid")
    def certifications(self, obj):
        return obj.certifications_valid

    @admin.display(
        description=_("next certification expiry"), ordering="next_certification_expiry"
    )
    def next_expiry(self, obj):
        return obj.next_certification_expiry

    @admin.display(description=_("open assignments"), ordering="open_assignments")
    def assignments(self, obj):
        return obj.open_assignments

    @admin.display(description=_("top performer"), boolean=True)
    def top(self, obj):
        return obj.top_performer

    @admin.display(description=_("training record"))
    def record(self, obj):
        return render_record(
            selectors.training_record_for(staff=obj, year=selectors.current_year())
        )


# --- the staff page gains a training record section -------------------------------


class StaffTrainingAdmin(CrmUserAdmin):
    """crm's staff admin plus a read-only training record section."""

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return (
            *fieldsets,
            (_("Training record"), {"fields": ("training_record_section",)}),
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is None:
            return readonly
        return (*readonly, "training_record_section")

    @admin.display(description=_("training record"))
    def training_record_section(self, obj):
        return render_record(selectors.training_record_for(staff=obj))


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, StaffTrainingAdmin)
