"""Category lookups shared by the complaint services (intake, analysis)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from complaints.models import Category
from config.errors import InvalidInput


def resolve_category(value, *, field: str = "category", parent=None) -> Category:
    """A ``Category`` from an instance or a code; top level unless ``parent``."""
    if isinstance(value, Category):
        category = value
    else:
        category = Category.objects.filter(code=value).first() if value else None
        if category is None:
            raise InvalidInput(
                _("Unknown category “%(code)s”.") % {"code": value}, field=field
            )
    if not category.is_active:
        raise InvalidInput(_("This category is no longer in use."), field=field)
    if parent is None and category.parent_id is not None:
        raise InvalidInput(_("Choose a top-level category."), field=field)
    if parent is not None and category.parent_id != parent.pk:
        raise InvalidInput(
            _("The subcategory does not belong to the category."), field=field
        )
    return category
