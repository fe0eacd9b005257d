"""Reads of the after-sales app, narrowed by ``crm.scoping``."""

from __future__ import annotations

from django.db.models import Count, F, Q

from aftersales.models import Appointment, ServiceKind, ServiceOrder, ServiceOrderEvent
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


def visits_of_day(*, user, day):
    """A technician's visits of ``day`` (a local date) by start time: booked and
    done, not cancelled — the home's day list (one query)."""
    return (
        appointment_list(user=user)
        .filter(slot__technician__user=user, slot__date=day)
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("slot", "order__customer")
        .order_by("slot__start", "pk")
    )


def visits_ahead_count(*, user, after, until) -> int:
    """How many live visits ``user`` has booked after ``after`` up to ``until``
    (local dates, inclusive)."""
    return (
        appointment_list(user=user)
        .filter(
            slot__technician__user=user,
            slot__date__gt=after,
            slot__date__lte=until,
            status=Appointment.Status.BOOKED,
        )
        .count()
    )


def order_timeline(*, order: ServiceOrder, customer_visible_only: bool):
    events = ServiceOrderEvent.objects.filter(order=order)
    if customer_visible_only:
        events = events.filter(customer_visible=True)
    return events.order_by("pk")


# --- rows the KPI indicators measure (kpi.measures; system reads, unscoped) ------


def visits_checked_in_between(*, start, end):
    """Appointments visited in [start, end): the technician checked in on the
    order (its check-in instant places the visit in a period) and this is the
    booking checked in against — live, done, or cancelled only after the
    check-in (an order cancelled mid-visit). Bookings given up before the visit
    (rescheduled, cancelled) are not visits."""
    return Appointment.objects.filter(
        order__checked_in_at__gte=start, order__checked_in_at__lt=end
    ).filter(
        ~Q(status=Appointment.Status.CANCELLED)
        | Q(cancelled_at__gt=F("order__checked_in_at"))
    )


def repairs_completed_between(*, start, end):
    """Repair orders completed in [start, end)."""
    return ServiceOrder.objects.filter(
        kind=ServiceKind.REPAIR,
        status=ServiceOrder.Status.COMPLETED,
        completed_at__gte=start,
        completed_at__lt=end,
    )


def orders_requested_between(*, start, end):
    """Service orders of every kind requested in [start, end), except those
    cancelled (withdrawn or opened by mistake)."""
    return ServiceOrder.objects.filter(
        created_at__gte=start, created_at__lt=end
    ).exclude(status=ServiceOrder.Status.CANCELLED)


def requests_by_product(orders, *, kinds):
    """``orders`` grouped by product (category, name): every order, and those
    of ``kinds`` — one grouped query, the most requested first."""
    return (
        orders.order_by()
        .values("product_category", "product_name")
        .annotate(total=Count("pk"), matched=Count("pk", filter=Q(kind__in=kinds)))
        .order_by("-matched", "-total", "product_category", "product_name")
    )
