"""FilterSet of the complaint list (DESIGN §4 names the query parameters).

Explicit labels: django-filter would otherwise derive each one from the model
on every request (it showed in the list's profile).
"""

import django_filters

from complaints.models import Complaint
from config.api.filters import IsoDateTimeFilter


class ComplaintFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        label="status",
        choices=Complaint.Status.choices,
        help_text="Repeat to match several: ?status=received&status=analyzing",
    )
    category = django_filters.CharFilter(
        label="category",
        field_name="category__code",
        help_text="Top-level category code.",
    )
    subcategory = django_filters.CharFilter(
        label="subcategory", field_name="subcategory__code"
    )
    channel = django_filters.MultipleChoiceFilter(
        label="channel", choices=Complaint.Channel.choices
    )
    severity = django_filters.MultipleChoiceFilter(
        label="severity", choices=Complaint.Severity.choices
    )
    received_after = IsoDateTimeFilter(
        label="received after",
        field_name="received_at",
        lookup_expr="gte",
        help_text="received_at ≥ this.",
    )
    received_before = IsoDateTimeFilter(
        label="received before",
        field_name="received_at",
        lookup_expr="lt",
        help_text="received_at < this.",
    )
    updated_after = IsoDateTimeFilter(
        label="updated after",
        field_name="updated_at",
        lookup_expr="gte",
        help_text="updated_at ≥ this.",
    )
    order_number = django_filters.CharFilter(
        label="order number",
    )
    customer = django_filters.CharFilter(
        label="customer", field_name="customer__code", help_text="Kefu customer number."
    )

    class Meta:
        model = Complaint
        fields: list[str] = []
