"""Courses and yearly requirements (trainers edit, everyone reads)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from crm.admin_base import ScopedModelAdmin
from crm.roles import STAFF_ROLES
from training.admin.common import role_label
from training.models import (
    Course,
    TrainingRequirement,
)


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
            field.label_from_instance = role_label
        return field

    @admin.display(description=_("target roles"))
    def target_role_names(self, obj):
        return ", ".join(role_label(g) for g in obj.target_roles.all())


@admin.register(TrainingRequirement)
class TrainingRequirementAdmin(ScopedModelAdmin):
    list_display = ("role", "yearly_hours", "mandatory_course_codes")
    filter_horizontal = ("mandatory_courses",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("mandatory_courses")

    @admin.display(description=_("mandatory courses"))
    def mandatory_course_codes(self, obj):
        return ", ".join(c.code for c in obj.mandatory_courses.all())
