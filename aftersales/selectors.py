"""Reads of the after-sales app, narrowed by ``crm.scoping``."""

from __future__ import annotations

from aftersales.models import Appointment, ServiceOrder, ServiceOrderEvent
from crm.scoping import visible_to


def service_order_list(*, user):
    """The service orders ``user`` (staff or API key) may see, with what the
    list and the detail read (one query)."""
    return visible_to(
        user,
        ServiceOrder.objects.select_related(
            "customer", "complaint", "technician__user"
        ),
    )


def service_order_event_list(*, user):
    """Events of the orders ``user`` may see (the change page's history)."""
    return visible_to(user, ServiceOrderEvent.objects.select_related("actor"))


def appointment_list(*, user):
    """Visits ``user`` may see: a technician their own (the day list)."""
    return visible_to(
        user,
        Appointment.objects.select_related("slot__technician__user", "order__customer"),
    )


def order_timeline(*, order: ServiceOrder, customer_visible_only: bool):
    events = ServiceOrderEvent.objects.filter(order=order)
    if customer_visible_only:
        events = events.filter(customer_visible=True)
    return events.order_by("pk")
