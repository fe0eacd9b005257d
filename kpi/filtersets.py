"""FilterSets of the kpi API (explicit fields, NetBox style)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kpi.models import KpiPeriod, KpiResult, SubjectType
from kpi.periods import FIRST_YEAR, LAST_YEAR, parse_key


class PeriodKeyField(forms.CharField):
    """A period key (``2026-11``, ``2026-Q4``, ``2026``) within the years a
    period may have: anything else is a 400 naming the parameter, not a
    silent empty list."""

    def validate(self, value):
        super().validate(value)
        if value and parse_key(value) is None:
            raise forms.ValidationError(
                _(
                    "Enter a period such as 2026-11, 2026-Q4 or 2026, "
                    "between %(first)s and %(last)s."
                ),
                code="invalid",
                params={"first": FIRST_YEAR, "last": LAST_YEAR},
            )


class PeriodKeyFilter(django_filters.CharFilter):
    field_class = PeriodKeyField


class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number a bigint column holds (10**20 is a 400, not an
    OverflowError in the database driver)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class KpiResultFilterSet(django_filters.FilterSet):
    period = PeriodKeyFilter(
        field_name="period__key", label=_("period key (2026-11, 2026-Q4, 2026)")
    )
    period_kind = django_filters.ChoiceFilter(
        field_name="period__kind", choices=KpiPeriod.Kind.choices
    )
    indicator = django_filters.CharFilter(
        field_name="indicator__code", label=_("indicator code")
    )
    subject_type = django_filters.ChoiceFilter(choices=SubjectType.choices)
    subject = django_filters.CharFilter(
        method="filter_subject", label=_("subject, e.g. staff:12, team:3, department:1")
    )
    staff_id = IdFilter(field_name="staff_id")
    team_id = IdFilter(field_name="team_id")
    department_id = IdFilter(field_name="department_id")

    class Meta:
        model = KpiResult
        fields = [
            "period",
            "period_kind",
            "indicator",
            "subject_type",
            "subject",
            "staff_id",
            "team_id",
            "department_id",
        ]

    def filter_subject(self, queryset, name, value):
        subject_type, _sep, raw_id = value.partition(":")
        if subject_type not in SubjectType.values or not (
            raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 18
        ):
            return queryset.none()
        return queryset.filter(Q(subject_type=subject_type, subject_id=int(raw_id)))
