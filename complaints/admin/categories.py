"""Admin of the complaint taxonomy and routing: categories (with their
subcategories) and assignment rules.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from complaints.models import AssignmentRule, Category
from crm.admin_base import ScopedModelAdmin, ScopedTabularInline


class SubcategoryInline(ScopedTabularInline):
    model = Category
    fk_name = "parent"
    fields = ("code", "name", "sort_order", "is_active")
    extra = 0
    verbose_name = _("subcategory")
    verbose_name_plural = _("subcategories")


@admin.register(Category)
class CategoryAdmin(ScopedModelAdmin):
    list_display = ("name", "code", "parent", "sort_order", "is_active")
    list_filter = ("is_active", "parent")
    list_select_related = ("parent",)
    search_fields = ("code", "name")
    inlines = [SubcategoryInline]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: complaints keep their category


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(ScopedModelAdmin):
    list_display = ("name", "category", "channel", "team", "auto_assign", "is_active")
    list_select_related = ("category", "team")
    list_filter = ("is_active", "team")
    autocomplete_fields = ("team",)
    search_fields = ("name",)
