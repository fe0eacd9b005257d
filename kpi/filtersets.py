"""FilterSets of the kpi API (explicit fields, NetBox style)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kpi.models import KpiPeriod, KpiResult, SubjectType


class KpiResultFilterSet(django_filters.FilterSet):
    period = django_filters.CharFilter(
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
    staff_id = django_filters.NumberFilter(field_name="staff_id")
    team_id = django_filters.NumberFilter(field_name="team_id")
    department_id = django_filters.NumberFilter(field_name="department_id")

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
        if subject_type not in SubjectType.values or not raw_id.isdigit():
            return queryset.none()
        return queryset.filter(Q(subject_type=subject_type, subject_id=int(raw_id)))
