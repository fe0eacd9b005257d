"""Base classes for every Kefu ModelAdmin and inline: rows come from the app's
selectors (which start from the scoping module), and form choices from the
scoping module.

``ScopedModelAdmin`` narrows

- the changelist, change form, actions and autocomplete to its ``selector``
  (``selector = staticmethod(<app>.selectors.<entity>_list)``, called with
  ``user=``), which starts from ``crm.scoping.visible_to``; configuration tables
  (open to every staff role) declare none and list through
  ``crm.selectors.configuration_rows``;
- every foreign-key and many-to-many form field (select, raw id, autocomplete
  widget alike) to the rows of the related model the user may see, so that a
  forged POST with an out-of-scope id is a form error and saves nothing;
- autocomplete answers: Django's ``AutocompleteJsonView`` asks the *related*
  model's admin for ``get_queryset`` / ``get_search_results``, and every
  registered admin is a ``ScopedModelAdmin``.

Inlines use ``ScopedTabularInline`` / ``ScopedStackedInline`` (same rules).
Models that are not personal (categories, calendars, indicators...) have a scope
rule that lets every staff role see them; that is how they are left unscoped —
explicitly, in the registry, never by forgetting — and why they need no selector
of their own (``configuration_rows`` refuses any other model).
"""

from __future__ import annotations

from datetime import MAXYEAR, MINYEAR

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpResponseRedirect

from crm import scoping
from crm.admin_log import PersonalDataSafeLogMixin
from crm.models import Customer, PersonalDataAccess
from crm.selectors import configuration_rows, identifier_lookup
from crm.services import personal_data_access_log

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


def scoped_choices(user, queryset: QuerySet) -> QuerySet:
    """The rows of ``queryset`` that ``user`` may choose in a form.

    A model without a scope rule offers nothing (fail closed); the admin scoping
    tests check that every foreign key of every admin form has a rule.
    """
    try:
        return scoping.visible_to(user, queryset)
    except scoping.ScopeNotRegistered:
        return queryset.none()


# At most this many customers are logged per search (an exact phone number or
# e-mail address belongs to one customer; the cap bounds a pathological term).
SEARCH_LOG_LIMIT = 20


def identifier_search(
    request, queryset: QuerySet, term: str, *, customer: str = "pk", prefix: str = ""
) -> QuerySet | None:
    """The rows of ``queryset`` whose customer has ``term`` as their whole phone
    number or e-mail address, or None when the term is neither or the user is a
    masked role (who gets no phone/e-mail search at all: name and number only).

    ``prefix`` is the lookup path to the customer (``"customer__"``), ``customer``
    the customer's id column in ``queryset``. Every customer found is written to
    the personal-data access log (action "search"): a search by identifier reads
    personal data, like a view of the customer's page.
    """
    lookup = identifier_lookup(user=request.user, term=term, prefix=prefix)
    if lookup is None:
        return None
    found = queryset.filter(lookup)
    customers = Customer.objects.filter(pk__in=found.order_by().values(customer))
    for person in customers.only("pk", "department")[:SEARCH_LOG_LIMIT]:
        personal_data_access_log(
            actor=request.user,
            customer=person,
            action=PersonalDataAccess.Action.SEARCH,
            note=f"admin {queryset.model._meta.label_lower}",
        )
    return found


def selected_rows(model_admin, request) -> QuerySet:
    """The rows of a Kefu admin or inline: its ``selector`` for the logged-in
    user (``configuration_rows`` when it has none), in the admin's ordering —
    what Django's own ``get_queryset`` would return, scoped."""
    # Read on the class: a plain function set as the attribute stays unbound.
    selector = getattr(type(model_admin), "selector", None)
    if selector is None:
        queryset = configuration_rows(user=request.user, model=model_admin.model)
    else:
        queryset = selector(user=request.user, **model_admin.selector_kwargs(request))
    ordering = model_admin.get_ordering(request)
    if ordering:
        queryset = queryset.order_by(*ordering)
    return queryset


def _scope_field(field, request):
    if field is not None and hasattr(field, "queryset"):
        field.queryset = scoped_choices(request.user, field.queryset)
    return field


class ScopedChoicesMixin:
    """Foreign-key and many-to-many choices narrowed to what the user may see."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return _scope_field(field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _scope_field(field, request)


class ScopedModelAdmin(ScopedChoicesMixin, PersonalDataSafeLogMixin, admin.ModelAdmin):
    """A ModelAdmin whose changelist, change form, actions and autocomplete list
    its ``selector``'s rows, and whose form choices see only the rows
    ``crm.scoping.visible_to`` allows the logged-in staff member."""

    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) over 1M rows on every page is waste
    # The selector of the rows: ``selector(user=...) -> QuerySet``; None only for
    # configuration tables (``crm.selectors.configuration_rows``).
    selector = None

    def selector_kwargs(self, request) -> dict:
        """More arguments for the selector, taken from the request."""
        return {}

    def get_queryset(self, request):
        return selected_rows(self, request)

    def get_changelist(self, request, **kwargs):
        return KefuChangeList


class ScopedInlineMixin(ScopedChoicesMixin):
    """An inline listing only the child rows the user may see (history panels):
    its ``selector``'s rows, as on ``ScopedModelAdmin``."""

    selector = None

    def selector_kwargs(self, request) -> dict:
        return {}

    def get_queryset(self, request):
        queryset = selected_rows(self, request)
        if not self.has_view_or_change_permission(request):
            queryset = queryset.none()
        return queryset


class ScopedTabularInline(ScopedInlineMixin, admin.TabularInline):
    pass


class ScopedStackedInline(ScopedInlineMixin, admin.StackedInline):
    pass


class ServiceRefusalMixin:
    """For admins whose ``save_model`` calls a service: when the service refused
    (``save_model`` set ``obj._kefu_error`` to its message), nothing was saved,
    so nothing is logged and the form comes back with the message."""

    @staticmethod
    def _refusal(obj):
        return getattr(obj, "_kefu_error", None)

    def save_related(self, request, form, formsets, change):
        if self._refusal(form.instance) is None:
            super().save_related(request, form, formsets, change)

    def log_addition(self, request, obj, message):
        if self._refusal(obj) is None:
            return super().log_addition(request, obj, message)
        return None

    def log_change(self, request, obj, message):
        if self._refusal(obj) is None:
            return super().log_change(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        if self._refusal(obj) is not None:
            self.message_user(request, self._refusal(obj), messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if self._refusal(obj) is not None:
            self.message_user(request, self._refusal(obj), messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)
