"""Filters shared by the API's FilterSets."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES
from django_filters.filterset import FilterSet
from django_filters.rest_framework import DjangoFilterBackend


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 instant, turned into UTC before it reaches the database.

    Python accepts offsets up to ±23:59 and PostgreSQL only up to ±15:59, so
    the value is normalised here; an instant that leaves the calendar once in
    UTC (year 1 or 9999 at the edges) is a validation error, not a 500.
    """

    default_error_messages = {
        "out_of_range": _("Enter a date and time between the years 1 and 9999."),
    }

    def to_python(self, value):
        result = super().to_python(value)
        if result is None:
            return None
        try:
            return result.astimezone(dt.UTC)
        except OverflowError as exc:
            raise forms.ValidationError(
                self.error_messages["out_of_range"], code="out_of_range"
            ) from exc


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """``django_filters.IsoDateTimeFilter`` that hands the database UTC."""

    field_class = UtcIsoDateTimeField


# --- the filter backend -----------------------------------------------------------


class KefuFilterBackend(DjangoFilterBackend):
    """``DjangoFilterBackend`` that skips building the FilterSet when the query
    string names none of its parameters (``?page_size=100``, ``?cursor=…``).

    Building it costs a deep copy of every filter, a form with a deep copy of
    every field and the form's validation — about as much as the rest of the
    list's Python work. When no parameter of the FilterSet is present, its
    result is ``queryset.all()``, the same SQL; that is checked once per
    FilterSet class (a FilterSet bound to an empty query string must be valid
    and filter nothing), and a class that overrides ``filter_queryset`` or
    ``qs`` always takes the full path. Any parameter whose name starts with a
    filter's parameter name (``status``, ``created_0``, ``amount_min``; empty
    values too) takes the full path as well, so its validation errors (400) and
    filtering are unchanged.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        names = _parameter_names(filterset_class, queryset)
        if names is not None and not any(
            key.startswith(names) for key in request.query_params
        ):
            return queryset.all()
        return super().filter_queryset(request, queryset, view)


_PARAMETER_NAMES: dict[type, tuple[str, ...] | None] = {}


def _parameter_names(filterset_class, queryset) -> tuple[str, ...] | None:
    """The form parameter names of ``filterset_class`` when an empty query string
    is known to filter nothing, else None (the FilterSet must always run)."""
    try:
        return _PARAMETER_NAMES[filterset_class]
    except KeyError:
        pass
    names = None
    if (
        filterset_class.filter_queryset is FilterSet.filter_queryset
        and filterset_class.qs is FilterSet.qs
    ):
        try:
            base = queryset.model._default_manager.all()
            probe = filterset_class(data=QueryDict(), queryset=base)
            if (
                probe.is_valid()
                and all(v in EMPTY_VALUES for v in probe.form.cleaned_data.values())
                and str(probe.qs.query) == str(base.query)
            ):
                form = probe.form
                names = tuple(form.add_prefix(name) for name in form.fields)
        except Exception:  # any doubt: the FilterSet always runs
            names = None
    _PARAMETER_NAMES[filterset_class] = names
    return names
