"""Admin of SLA configuration: business calendars, calendar days, SLA policies."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext

from complaints.admin_forms import BusinessCalendarForm, SlaPolicyForm
from complaints.models import BusinessCalendar, CalendarDay, SlaPolicy
from crm.admin_base import ScopedModelAdmin, ScopedTabularInline


class CalendarDayInline(ScopedTabularInline):
    model = CalendarDay
    fields = ("date", "kind", "name")
    extra = 1
    ordering = ("date",)


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ScopedModelAdmin):
    form = BusinessCalendarForm
    list_display = ("name", "code", "timezone", "is_default", "updated_at")
    search_fields = ("code", "name")
    inlines = [CalendarDayInline]


@admin.register(CalendarDay)
class CalendarDayAdmin(ScopedModelAdmin):
    list_display = ("date", "kind", "name", "calendar")
    list_filter = ("calendar", "kind")
    list_select_related = ("calendar",)
    date_hierarchy = "date"
    search_fields = ("name",)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ScopedModelAdmin):
    form = SlaPolicyForm
    list_display = (
        "name",
        "channel",
        "severity",
        "category",
        "is_24x7",
        "calendar",
        "first_response_minutes",
        "analysis_minutes",
        "reply_minutes",
        "resolution_minutes",
        "confirmation_minutes",
        "warn_percent",
        "is_active",
    )
    list_filter = ("is_active", "severity", "channel")
    list_select_related = ("category", "calendar")
    search_fields = ("code", "name")

    # Fields whose change moves the due times of complaints under the policy.
    TIMING_FIELDS = frozenset(
        {
            "channel",
            "severity",
            "category",
            "calendar",
            "is_24x7",
            "first_response_minutes",
            "analysis_minutes",
            "reply_minutes",
            "resolution_minutes",
            "confirmation_minutes",
            "elapsed_targets",
            "warn_percent",
            "is_active",
        }
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and self.TIMING_FIELDS.intersection(form.changed_data):
            from complaints import tasks

            policy_id, actor_id = obj.pk, request.user.pk
            transaction.on_commit(
                lambda: tasks.sla_policy_recompute.delay(policy_id, actor_id)
            )
            self.message_user(
                request,
                gettext(
                    "Open complaints under this policy get their due times "
                    "recomputed in the background (overridden ones excepted)."
                ),
                messages.INFO,
            )
