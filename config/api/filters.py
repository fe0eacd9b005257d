"""Filters shared by the API's FilterSets."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _


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
