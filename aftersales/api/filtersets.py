"""FilterSets of the service-order list and the free slots."""

import django_filters

from aftersales.models import AppointmentSlot, ServiceKind, ServiceOrder
from config.api.filters import IsoDateTimeFilter


class ServiceOrderFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        label="status", choices=ServiceOrder.Status.choices
    )
    kind = django_filters.MultipleChoiceFilter(
        label="kind", choices=ServiceKind.choices
    )
    customer = django_filters.CharFilter(
        label="customer", field_name="customer__code", help_text="Kefu customer number."
    )
    complaint = django_filters.CharFilter(
        label="complaint", field_name="complaint__reference"
    )
    order_number = django_filters.CharFilter(label="order number")
    created_after = IsoDateTimeFilter(
        label="created after", field_name="created_at", lookup_expr="gte"
    )
    created_before = IsoDateTimeFilter(
        label="created before", field_name="created_at", lookup_expr="lt"
    )

    class Meta:
        model = ServiceOrder
        fields: list[str] = []


class SlotFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label="kind", choices=ServiceKind.choices)
    area = django_filters.CharFilter(label="area", max_length=50)
    date = django_filters.DateFilter(label="date")

    class Meta:
        model = AppointmentSlot
        fields: list[str] = []
