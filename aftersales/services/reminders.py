"""The day-before reminders of booked visits, exactly once each.

For every live appointment of tomorrow (local date, Asia/Shanghai):

- the technician gets a notification (crm's notification outbox, keyed by the
  appointment);
- the customer gets a text through the customer-message outbox of complaints
  (``customer_message_queue``: the customer's preferred channel and language,
  quiet hours, the editable template ``visit_reminder``), keyed by the
  appointment — a moved visit is a new appointment, so it is reminded again for
  its new time; a cancelled or moved one has its unsent reminder withdrawn
  (``aftersales.services.booking.release``);
- the order's timeline says that the reminder was *queued* (customer-visible),
  or, staff only, why no text could be queued (no usable address, erased data).

``customer_reminded_at`` / ``technician_reminded_at`` mark the appointment done
under the row locks of its order and itself (taken in the booking services'
order: order, then appointment; the due filter re-checked under them), and both
outbox rows have unique keys: concurrent or repeated sweeps remind once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.models import Appointment, ServiceOrder, ServiceOrderEvent
from aftersales.services.common import event
from complaints.models import MessageChannel, MessageKind
from complaints.services.customer_messages import (
    customer_message_queue,
    message_language,
)
from crm.notifications import notify


def customer_trigger_key(appointment_id: int) -> str:
    """The customer-message trigger of one appointment's reminder."""
    return f"aftersales:visit:{appointment_id}"


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
    for pk, order_id in list(_due(now).values_list("pk", "order_id")):
        with transaction.atomic():
            # The order first, then the appointment: the booking services' order
            # of locks (a sweep that held the appointment and then wrote the
            # order's event could deadlock with a cancellation holding the order).
            ServiceOrder.objects.select_for_update().filter(pk=order_id).exists()
            appointment = (
                _due(now)
                .select_for_update(of=("self",))
                .select_related("slot__technician__user", "order__customer")
                .filter(pk=pk)
                .first()
            )
            if appointment is None:  # another sweep did it, or it was moved
                continue
            _remind(appointment, now=now)
            done += 1
    return done


def _technician_name(user, customer) -> str:
    """The name the customer reads: the technician's full name, else a neutral
    word in the customer's language (never the staff login name)."""
    name = user.get_full_name().strip()
    if name:
        return name
    with translation.override(message_language(customer)):
        return _("our service engineer")


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
    message, reason = customer_message_queue(
        customer=order.customer,
        reference=order.reference,
        kind=MessageKind.VISIT_REMINDER,
        trigger_key=customer_trigger_key(appointment.pk),
        values={
            "time_window": when,
            "technician": _technician_name(slot.technician.user, order.customer),
        },
        # the visit the customer booked is a transaction of theirs: SMS, else
        # e-mail, without marketing consent (their preferred channel first
        # when they consented)
        fallback_channel=(MessageChannel.SMS, MessageChannel.EMAIL),
        now=now,
    )
    if message is not None:
        event(
            order,
            ServiceOrderEvent.Kind.REMINDED,
            note=_(
                "Reminder of the visit (%(time)s) queued for the customer by %(channel)s."
            )
            % {"time": when, "channel": MessageChannel(message.channel).label},
            customer_visible=True,
        )
    else:
        event(
            order,
            ServiceOrderEvent.Kind.NOTE,
            note=_(
                "No reminder of the visit (%(time)s) could be queued for the customer: %(reason)s"
            )
            % {"time": when, "reason": reason},
        )
    appointment.customer_reminded_at = now
    appointment.technician_reminded_at = now
    appointment.save(update_fields=["customer_reminded_at", "technician_reminded_at"])
