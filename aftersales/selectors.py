"""Reads of the after-sales app, narrowed by ``crm.scoping``."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q

from aftersales.models import Appointment, ServiceOrder, ServiceOrderEvent
from crm.scoping import visible_to


def order_list_for(*, user):
    """The service orders ``user`` (staff or API key) may see, with what the
    list and the detail read (one query)."""
    return visible_to(
        user,
        ServiceOrder.objects.select_related(
            "customer", "complaint", "technician__user"
        ),
    )


def order_timeline(*, order: ServiceOrder, customer_visible_only: bool):
    events = ServiceOrderEvent.objects.filter(order=order)
    if customer_visible_only:
        events = events.filter(customer_visible=True)
    return events.order_by("pk")


def technician_day(*, user, day: date):
    """The booked visits of ``day`` that ``user`` may see, in time order (the
    technician's day list)."""
    return (
        visible_to(user, Appointment.objects.all())
        .filter(slot__date=day, status__in=["booked", "done"])
        .select_related("slot__technician__user", "order__customer")
        .order_by("slot__technician_id", "slot__start", "pk")
    )


def status_counts(*, user) -> dict[str, int]:
    rows = order_list_for(user=user).values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def overdue(*, user, today: date):
    return order_list_for(user=user).filter(
        ~Q(status__in=["refused", "completed", "cancelled"]), due_date__lt=today
    )
