"""FilterSets of the customer and revisit lists."""

import django_filters

from config.api.filters import IsoDateTimeFilter
from crm.models import Customer, Revisit


class CustomerFilterSet(django_filters.FilterSet):
    external_id = django_filters.CharFilter(
        field_name="caller_external_id",
        help_text="The calling partner's id of the customer.",
    )
    updated_after = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    tier = django_filters.ChoiceFilter(choices=Customer.Tier.choices)

    class Meta:
        model = Customer
        fields: list[str] = []


class RevisitFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Revisit.Status.choices)
    purpose = django_filters.MultipleChoiceFilter(choices=Revisit.Purpose.choices)
    due_after = IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")
    customer = django_filters.CharFilter(field_name="customer__code")

    class Meta:
        model = Revisit
        fields: list[str] = []
