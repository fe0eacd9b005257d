"""Admin of SLA configuration: business calendars, calendar days, SLA policies."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints import services
from complaints.admin_forms import BusinessCalendarForm, SlaPolicyForm
from complaints.models import BusinessCalendar, CalendarDay, SlaPolicy, SlaPolicyChange
from crm.admin_base import ScopedModelAdmin, ScopedTabularInline

LOG_ROWS = 50  # the change log's most recent edits on the policy page


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

    readonly_fields = ("change_log",)

    @admin.display(description=_("change log"))
    def change_log(self, obj):
        """The policy's recorded edits (``sla_policy_update``), newest first."""
        changes = (
            SlaPolicyChange.objects.filter(policy_id=obj.pk)
            .select_related("actor")
            .order_by("-created_at", "-pk")[:LOG_ROWS]
            if obj.pk
            else []
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    date_format(localtime(c.created_at), "SHORT_DATETIME_FORMAT"),
                    c.actor or "—",
                    "; ".join(
                        f"{name}: {values['from']} → {values['to']}"
                        for name, values in c.changes.items()
                    ),
                    gettext("yes") if c.recompute else gettext("no"),
                )
                for c in changes
            ),
        )
        if not rows:
            return "—"
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            gettext("changed at"),
            gettext("actor"),
            gettext("changes"),
            gettext("due times recomputed"),
            rows,
        )

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # The service saves, records the change and decides on a recompute.
        recorded = services.sla_policy_update(
            actor=request.user,
            policy=obj,
            changes={name: form.cleaned_data[name] for name in form.changed_data},
        )
        if recorded is not None and recorded.recompute:
            self.message_user(
                request,
                gettext(
                    "Open complaints under this policy get their due times "
                    "recomputed in the background (overridden ones excepted)."
                ),
                messages.INFO,
            )
        return None
