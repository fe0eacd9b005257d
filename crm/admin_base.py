"""Base class for every Kefu ModelAdmin: rows come from the scoping module."""

from datetime import MAXYEAR, MINYEAR

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList

from crm import scoping

# The date hierarchy's year/month/day parameters Django turns into datetimes:
# beyond these a crafted URL (?due_at__year=9999, =1 or =10**20) crashes
# Django's own arithmetic (year 10000, OverflowError) or the time-zone shift.
_DATE_PARTS = {"year": (MINYEAR + 1, MAXYEAR - 1), "month": (1, 12), "day": (1, 31)}


class KefuChangeList(ChangeList):
    """Django's ChangeList, with date hierarchy parameters checked first: one
    out of range is an invalid lookup (the admin's "?e=1" page), not a 500."""

    def get_filters(self, request):
        if self.date_hierarchy:
            params = self.get_filters_params()
            for part, (low, high) in _DATE_PARTS.items():
                for value in params.get(f"{self.date_hierarchy}__{part}", []):
                    if not (
                        value.isascii()
                        and value.isdigit()
                        and len(value) <= 4
                        and low <= int(value) <= high
                    ):
                        raise IncorrectLookupParameters(value)
        return super().get_filters(request)


class ScopedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose changelist, change form and actions see only the rows
    ``crm.scoping.visible_to`` allows the logged-in staff member."""

    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) over 1M rows on every page is waste

    def get_queryset(self, request):
        return scoping.visible_to(request.user, super().get_queryset(request))

    def get_changelist(self, request, **kwargs):
        return KefuChangeList
