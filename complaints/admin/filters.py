"""List filters of the complaint changelist."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from complaints import selectors
from complaints.models import Category, Complaint
from complaints.services.common import FINAL_STATUSES


class StatusFilter(admin.SimpleListFilter):
    """Complaints still in work by default (all but closed and rejected:
    resolved ones await confirmation and closing); one status, all, or all but
    rejected (what the KPI figures count)."""

    title = _("status")
    # The name Django's own status filter used: old links keep working.
    parameter_name = "status__exact"

    def lookups(self, request, model_admin):
        return [
            ("open", _("in work (not closed or rejected)")),
            *Complaint.Status.choices,
            ("all", _("all")),
            # What the KPI figures count (the dashboard's links land here).
            ("counted", _("all but rejected")),
        ]

    def choices(self, changelist):
        value = self.value() or "open"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == str(lookup),
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}
                ),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "open":
            # sorted: the same SQL every time (partial index complaint_open_work)
            return queryset.exclude(status__in=sorted(FINAL_STATUSES))
        if value in Complaint.Status.values:
            return queryset.filter(status=value)
        if value == "counted":
            return queryset.exclude(status=Complaint.Status.REJECTED)
        return queryset


class SlaBreachedFilter(admin.SimpleListFilter):
    """Complaints with a breached SLA clock: the denormalised
    ``Complaint.sla_breached`` (kept equal to the targets by
    ``complaints.services.sla.sla_state_sync``; partial index
    ``complaint_sla_breached``), not a semi-join over every SLA target."""

    title = _("SLA breached")
    parameter_name = "sla_breached"

    def lookups(self, request, model_admin):
        return (("yes", _("yes")), ("no", _("no")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(sla_breached=True)
        if self.value() == "no":
            return queryset.filter(sla_breached=False)
        return queryset


class CategoryFilter(admin.SimpleListFilter):
    title = _("category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [
            (c.code, c.name)
            for c in Category.objects.filter(parent__isnull=True).order_by("sort_order")
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(category__code=self.value())
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    """Staff who work complaints, within the user's scope (not a DISTINCT over
    the complaints table, which would scan it on every page)."""

    title = _("assignee")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        users = selectors.complaint_worker_list(user=request.user)
        return [("none", _("unassigned"))] + [(str(u.pk), str(u)) for u in users]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        # ASCII digits of an id a bigint holds ("²" is a digit to isdigit() and
        # 10**20 overflows the driver): anything else filters nothing.
        if value and value.isascii() and value.isdigit() and len(value) <= 18:
            return queryset.filter(assignee_id=int(value))
        return queryset


class ArchivedFilter(admin.SimpleListFilter):
    title = _("archived")
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return (("no", _("not archived")), ("yes", _("archived")), ("all", _("all")))

    def choices(self, changelist):
        value = self.value() or "no"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}
                ),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "no"
        if value == "all":
            return queryset
        return queryset.filter(is_archived=value == "yes")
