"""Staff training records, and the record section on the staff page."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from crm import scoping
from crm.admin import UserAdmin as CrmUserAdmin
from crm.admin_base import ScopedModelAdmin
from crm.models import User
from crm.roles import STAFF_ROLES
from training import selectors
from training.admin.common import render_record
from training.api.views import MAX_YEAR, MIN_YEAR
from training.models import (
    TrainingRecord,
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
        if self.value() and _valid_year(self.value()) is None:
            messages.error(
                request,
                _("Enter a year between %(first)s and %(last)s; showing %(year)s.")
                % {
                    "first": MIN_YEAR,
                    "last": MAX_YEAR,
                    "year": selectors.current_year(),
                },
            )
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


def _valid_year(raw: str) -> int | None:
    """``raw`` as a year the records can be computed for, else None (year 0 or
    10000 would crash the date arithmetic)."""
    try:
        year = int(raw)
    except ValueError:
        return None
    return year if MIN_YEAR <= year <= MAX_YEAR else None


def _record_year(request) -> int:
    # An invalid ?year= falls back to the current year (YearFilter says so).
    return _valid_year(request.GET.get("year") or "") or selectors.current_year()


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
    selector = staticmethod(selectors.training_record_list)

    def selector_kwargs(self, request) -> dict:
        return {"year": _record_year(request)}

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
    """crm's staff admin plus a read-only training record section, shown to those
    who may read that person's training record (own, team, department, trainer)."""

    def _shows_record(self, request, obj) -> bool:
        if obj is None:
            return False
        cache = request.__dict__.setdefault("_training_record_visible", {})
        if obj.pk not in cache:
            cache[obj.pk] = selectors.may_see_training_record(
                user=request.user, staff=obj
            )
        return cache[obj.pk]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._shows_record(request, obj):
            return fieldsets
        return (
            *fieldsets,
            (_("Training record"), {"fields": ("training_record_section",)}),
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if not self._shows_record(request, obj):
            return readonly
        return (*readonly, "training_record_section")

    @admin.display(description=_("training record"))
    def training_record_section(self, obj):
        return render_record(selectors.training_record_for(staff=obj))


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, StaffTrainingAdmin)
