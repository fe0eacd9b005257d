"""FilterSet of the complaint list (DESIGN §4 names the query parameters)."""

import django_filters

from complaints.models import Complaint


class ComplaintFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=Complaint.Status.choices,
        help_text="Repeat to match several: ?status=received&status=analyzing",
    )
    category = django_filters.CharFilter(
        field_name="category__code", help_text="Top-level category code."
    )
    subcategory = django_filters.CharFilter(field_name="subcategory__code")
    channel = django_filters.MultipleChoiceFilter(choices=Complaint.Channel.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Complaint.Severity.choices)
    received_after = django_filters.IsoDateTimeFilter(
        field_name="received_at", lookup_expr="gte", help_text="received_at ≥ this."
    )
    received_before = django_filters.IsoDateTimeFilter(
        field_name="received_at", lookup_expr="lt", help_text="received_at < this."
    )
    updated_after = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="updated_at ≥ this."
    )
    order_number = django_filters.CharFilter()
    customer = django_filters.CharFilter(
        field_name="customer__code", help_text="Kefu customer number."
    )

    class Meta:
        model = Complaint
        fields: list[str] = []
