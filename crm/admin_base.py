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

Admins save through services; when a service refuses, ``ServiceAdminMixin``
(part of ``ScopedModelAdmin``) rolls the request back and shows the refusal as a
message and form error: one way for every admin, never a 500.
"""

from __future__ import annotations

from datetime import MAXYEAR, MINYEAR

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import router, transaction
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property

from config.errors import DomainError
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


class CappedPaginator(Paginator):
    """A paginator that counts at most ``CAP`` + 1 rows: ``SELECT COUNT(*)
    FROM (… LIMIT 10001)`` stops early instead of counting a million filtered
    rows on every page. Past the cap the list says "10,000+" (``capped``;
    ``templates/admin/pagination.html``) and offers the first ``CAP`` rows'
    pages; filters or the search narrow it down."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        if not hasattr(self.object_list, "order_by"):
            return super().count
        rows = self.object_list.order_by()[: self.CAP + 1]
        found = rows.count()
        self.capped = found > self.CAP
        return min(found, self.CAP)

    capped = False

    @property
    def display_count(self) -> str:
        count = self.count
        return f"{count:,}+" if self.capped else f"{count:,}"


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


# What a service raises to refuse an operation (after changing nothing).
SERVICE_ERRORS = (DomainError, ValidationError)


def refusal_text(exc) -> str:
    """The user-facing text of a service refusal."""
    if isinstance(exc, DomainError):
        return str(exc.message)
    return " ".join(str(m) for m in exc.messages)


def refusal_to_form(form, exc) -> None:
    """Put a service refusal on ``form``: on the field the error names when the
    form has that field, else among the errors above the form."""
    if isinstance(exc, DomainError):
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.error_list)


def _refused_form(form_class, exc):
    """``form_class`` whose bound forms carry ``exc`` as an error (invalid)."""

    class RefusedForm(form_class):
        def full_clean(self):
            super().full_clean()
            if self.is_bound:
                refusal_to_form(self, exc)

    RefusedForm.__name__ = form_class.__name__
    RefusedForm.__qualname__ = form_class.__qualname__
    return RefusedForm


def adopt_saved(obj, saved) -> None:
    """Make ``obj``, the unsaved instance Django handed to ``save_model``, the row
    a service saved: Django logs, names and links that very object afterwards."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


class ServiceAdminMixin:
    """How every Kefu admin turns a service's refusal into an answer (never a 500).

    Admins call services from ``save_model``, ``save_related``/``save_formset``,
    ``delete_model`` and their actions, and let a refusal propagate: a
    ``config.errors.DomainError`` or a Django ``ValidationError`` raised by a
    service (``SERVICE_ERRORS``). This mixin answers it:

    - add and change form: Django saves in one transaction; a refusal rolls it
      back whole (the row, its inlines, the LogEntry) and the form is shown again
      with the refusal as an error message and as a form error (on the field the
      error names when the form has it, else above the form), status 200;
    - delete page: rolled back likewise, an error message, redirect to the
      object's change page;
    - actions (and list-editable saves): the changelist POST runs in one
      transaction; a refusal that escapes the action rolls it back, becomes an
      error message and the changelist is shown again (redirect). Actions that
      work row by row use ``run_each``: a refused row is left as it was, named
      in an error message, and the other rows go on;
    - custom views (workflow panel, attendance sheet, password form) catch
      ``SERVICE_ERRORS`` and call ``show_refusal``.

    ``ScopedModelAdmin`` includes it, so every Kefu admin answers the same way.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        try:
            # Django's changeform_view saves in a transaction: a refusal rolls
            # back everything the POST wrote, log entry included.
            return super().changeform_view(request, object_id, form_url, extra_context)
        except SERVICE_ERRORS as exc:
            self.show_refusal(request, exc)
            request.kefu_service_refusal = exc
        # The same POST again, with a form that shows the refusal as its error:
        # invalid, so Django renders it and saves nothing.
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "kefu_service_refusal", None)
        return form if refusal is None else _refused_form(form, refusal)

    def delete_view(self, request, object_id, extra_context=None):
        if request.method != "POST":
            return super().delete_view(request, object_id, extra_context)
        try:
            return super().delete_view(request, object_id, extra_context)
        except SERVICE_ERRORS as exc:
            self.show_refusal(request, exc)
        opts = self.opts
        return HttpResponseRedirect(
            reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[quote(object_id)],
                current_app=self.admin_site.name,
            )
        )

    def changelist_view(self, request, extra_context=None):
        if request.method != "POST":
            return super().changelist_view(request, extra_context)
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().changelist_view(request, extra_context)
        except SERVICE_ERRORS as exc:
            self.show_refusal(request, exc)
        return HttpResponseRedirect(request.get_full_path())

    def run_each(self, request, rows, call, *, done=None, label=str) -> list:
        """Call the service ``call(row)`` for each of ``rows``; return the
        ``(row, result)`` pairs of the rows done.

        A refused row is left as it was (its own savepoint) and named in an error
        message (``label(row)``); the other rows go on. ``done``, a message with
        ``%(count)d``, reports the number of rows done when there are any.
        """
        results = []
        for row in rows:
            try:
                with transaction.atomic(using=router.db_for_write(self.model)):
                    result = call(row)
            except SERVICE_ERRORS as exc:
                self.show_refusal(request, exc, label=label(row))
            else:
                results.append((row, result))
        if done is not None and results:
            self.message_user(request, done % {"count": len(results)}, messages.SUCCESS)
        return results

    def show_refusal(self, request, exc, *, form=None, label=None) -> None:
        """Show a service refusal: an error message (``label: text``), and on
        ``form`` too when the caller shows that form again."""
        text = refusal_text(exc)
        self.message_user(
            request, text if label is None else f"{label}: {text}", messages.ERROR
        )
        if form is not None:
            refusal_to_form(form, exc)


class ScopedModelAdmin(
    ScopedChoicesMixin, PersonalDataSafeLogMixin, ServiceAdminMixin, admin.ModelAdmin
):
    """A ModelAdmin whose changelist, change form, actions and autocomplete list
    its ``selector``'s rows, whose form choices see only the rows
    ``crm.scoping.visible_to`` allows the logged-in staff member, and whose
    service refusals become messages and form errors (``ServiceAdminMixin``)."""

    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) over 1M rows on every page is waste
    paginator = CappedPaginator  # nor is the filtered count: capped at 10,000
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
