"""Base class for every Kefu ModelAdmin: rows come from the scoping module."""

from django.contrib import admin

from crm import scoping
from crm.admin_log import PersonalDataSafeLogMixin


class ScopedModelAdmin(PersonalDataSafeLogMixin, admin.ModelAdmin):
    """A ModelAdmin whose changelist, change form and actions see only the rows
    ``crm.scoping.visible_to`` allows the logged-in staff member."""

    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) over 1M rows on every page is waste

    def get_queryset(self, request):
        return scoping.visible_to(request.user, super().get_queryset(request))
