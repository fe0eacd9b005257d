"""Filters of ``GET /api/v1/training/records/``."""

import django_filters
from django.db.models import Q

from training.models import TrainingRecord

# The largest id a bigint column holds: a longer number is a code, not an id
# (10**20 would overflow the database driver, 5,000 digits int() itself).
_MAX_ID = 2**63 - 1


def _code_or_id(queryset, field: str, value: str):
    value = (value or "").strip()
    if (
        value.isascii()
        and value.isdigit()
        and len(value) <= 19
        and int(value) <= _MAX_ID
    ):
        return queryset.filter(
            Q(**{f"{field}_id": int(value)}) | Q(**{f"{field}__code": value})
        )
    return queryset.filter(**{f"{field}__code": value})


class TrainingRecordFilterSet(django_filters.FilterSet):
    year = django_filters.NumberFilter(
        method="filter_year",
        help_text="Calendar year of the record (default: the current year).",
    )
    team = django_filters.CharFilter(
        method="filter_team", help_text="Team code (or id)."
    )
    department = django_filters.CharFilter(
        method="filter_department", help_text="Department code (or id)."
    )
    below_requirement = django_filters.BooleanFilter(
        field_name="below_requirement",
        help_text="Only staff below (true) or meeting (false) their yearly hours.",
    )

    class Meta:
        model = TrainingRecord
        fields = ["year", "team", "department", "below_requirement"]

    def filter_year(self, queryset, name, value):
        # The year chooses the annotations (see the view); nothing to filter here.
        return queryset

    def filter_team(self, queryset, name, value):
        return _code_or_id(queryset, "team", value)

    def filter_department(self, queryset, name, value):
        return _code_or_id(queryset, "department", value)
