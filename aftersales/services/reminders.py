"""The day-before reminders of booked visits, exactly once each.

For every live appointment of tomorrow (local date) the technician gets a
notification (crm's notification outbox, keyed by the appointment: a second
run raises nothing) and the reminder is recorded on the order as a
customer-visible event, which a partner reads on the order's events and passes
on (the customer-message outbox of complaints needs a complaint: no text goes to
the customer from here yet); ``customer_reminded_at`` / ``technician_reminded_at``
mark them done under a row lock, so concurrent or repeated sweeps remind once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import Appointment, ServiceOrderEvent
from aftersales.services.common import event
from crm.notifications import notify


def _due(now: datetime):
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    return Appointment.objects.filter(
        status=Appointment.Status.BOOKED,
        slot__date=tomorrow,
        technician_reminded_at__isnull=True,
    )


def visit_reminders_send(*, now: datetime | None = None) -> int:
    """Remind tomorrow's visits not yet reminded; return how many."""
    now = now or timezone.now()
    done = 0
    for pk in list(_due(now).values_list("pk", flat=True)):
        with transaction.atomic():
            appointment = (
                _due(now)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("slot__technician__user", "order__customer")
                .filter(pk=pk)
                .first()
            )
            if appointment is None:  # another sweep has it, or it is done
                continue
            _remind(appointment, now=now)
            done += 1
    return done


def _remind(appointment: Appointment, *, now: datetime) -> None:
    slot, order = appointment.slot, appointment.order
    when = f"{slot.date:%Y-%m-%d} {slot.start:%H:%M}-{slot.end:%H:%M}"
    notify(
        recipient=slot.technician.user,
        kind="aftersales_visit",
        title=_("Visit tomorrow: %(reference)s") % {"reference": order.reference},
        body=_("%(time)s at %(area)s, %(customer)s")
        % {"time": when, "area": slot.area, "customer": order.customer},
        key=f"aftersales:visit:{appointment.pk}:technician",
    )
    event(
        order,
        ServiceOrderEvent.Kind.REMINDED,
        note=_("Reminder of the visit: %(time)s") % {"time": when},
        customer_visible=True,
    )
    appointment.customer_reminded_at = now
    appointment.technician_reminded_at = now
    appointment.save(update_fields=["customer_reminded_at", "technician_reminded_at"])
