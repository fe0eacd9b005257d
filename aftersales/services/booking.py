"""Appointments: booking, rescheduling and cancelling visits in slots.

A slot never holds more live bookings than its capacity, whatever the
concurrency: the order row, then the slot row are locked
(``select_for_update``) and the slot's ``booked`` counter is checked and
raised under that lock (a check constraint backs it). A full slot answers
``Conflict`` (409, code ``slot_full``).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales import hooks
from aftersales.models import (
    Appointment,
    AppointmentSlot,
    ServiceOrder,
    ServiceOrderEvent,
)
from aftersales.services import permissions, reminders
from aftersales.services.common import change_status, event, lock
from complaints.services.customer_messages import customer_message_withdraw
from config.errors import Conflict, InvalidInput

S = ServiceOrder.Status


def free_slots(*, kind: str = "", area: str = "", day: date | None = None):
    """Slots with room left, from today on (local date)."""
    slots = AppointmentSlot.objects.filter(
        booked__lt=F("capacity"),
        date__gte=timezone.localdate(),
        technician__is_active=True,
    ).select_related("technician__user")
    if kind:
        slots = slots.filter(kind=kind)
    if area:
        slots = slots.filter(area=area)
    if day:
        slots = slots.filter(date=day)
    return slots.order_by("date", "start", "pk")


def _take(slot_id: int, order: ServiceOrder) -> AppointmentSlot:
    slot = AppointmentSlot.objects.select_for_update().get(pk=slot_id)
    if slot.kind != order.kind:
        raise InvalidInput(_("This slot is for another kind of service."), field="slot")
    if slot.date < timezone.localdate():
        raise InvalidInput(_("This slot lies in the past."), field="slot")
    if slot.booked >= slot.capacity:
        raise Conflict(_("This slot is fully booked."), code="slot_full", field="slot")
    AppointmentSlot.objects.filter(pk=slot.pk).update(booked=F("booked") + 1)
    slot.booked += 1
    return slot


def release(appointment: Appointment, *, actor, customer_id: int) -> None:
    """Cancel a live (locked) appointment and give its place back; its
    customer reminder, if queued and not yet being sent, is withdrawn."""
    AppointmentSlot.objects.filter(pk=appointment.slot_id).update(
        booked=F("booked") - 1
    )
    if appointment.customer_reminded_at is not None:
        customer_message_withdraw(
            customer=customer_id,
            trigger_key=reminders.customer_trigger_key(appointment.pk),
        )
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.save(update_fields=["status", "cancelled_at"])


@transaction.atomic
def appointment_book(
    *, actor, order: ServiceOrder, slot: AppointmentSlot
) -> Appointment:
    """Book ``slot`` for an approved order: the order is scheduled with the
    slot's technician. 409 when the slot is full."""
    locked = lock(order)
    permissions.require(actor, locked, permissions.DESK)
    if locked.status != S.APPROVED:
        raise Conflict(
            _("Only an approved service order can be booked."),
            code="illegal_transition",
        )
    taken = _take(slot.pk, locked)
    now = timezone.now()
    appointment = Appointment.objects.create(
        order=locked, slot=taken, booked_by=actor, booked_at=now
    )
    locked.technician_id = taken.technician_id
    event(
        locked,
        ServiceOrderEvent.Kind.BOOKED,
        actor=actor,
        note=str(taken),
        customer_visible=True,
    )
    change_status(locked, S.SCHEDULED, actor=actor, fields=["technician"])
    hooks.run(hooks.Moment.BOOKED, order=locked, actor=actor, appointment=appointment)
    return appointment


def _live(order: ServiceOrder) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update()
        .filter(order=order, status=Appointment.Status.BOOKED)
        .first()
    )
    if appointment is None:
        raise Conflict(_("This service order has no booked visit."), code="not_booked")
    return appointment


@transaction.atomic
def appointment_reschedule(
    *, actor, order: ServiceOrder, slot: AppointmentSlot
) -> Appointment:
    """Move the order's booked visit to another slot (409 when it is full)."""
    locked = lock(order)
    permissions.require(actor, locked, permissions.DESK)
    if locked.status != S.SCHEDULED:
        raise Conflict(
            _("Only a scheduled visit can be moved."), code="illegal_transition"
        )
    current = _live(locked)
    if current.slot_id == slot.pk:
        return current
    # Lock both slots in primary-key order: two opposite moves never deadlock.
    list(
        AppointmentSlot.objects.select_for_update()
        .filter(pk__in={current.slot_id, slot.pk})
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    taken = _take(slot.pk, locked)
    release(current, actor=actor, customer_id=locked.customer_id)
    appointment = Appointment.objects.create(
        order=locked, slot=taken, booked_by=actor, booked_at=timezone.now()
    )
    locked.technician_id = taken.technician_id
    locked.save(update_fields=["technician", "updated_at"])
    event(
        locked,
        ServiceOrderEvent.Kind.RESCHEDULED,
        actor=actor,
        note=str(taken),
        customer_visible=True,
    )
    hooks.run(hooks.Moment.BOOKED, order=locked, actor=actor, appointment=appointment)
    return appointment


@transaction.atomic
def appointment_cancel(*, actor, order: ServiceOrder, reason: str = "") -> ServiceOrder:
    """Cancel the booked visit: the place is freed, the order back to approved."""
    locked = lock(order)
    permissions.require(actor, locked, permissions.DESK)
    if locked.status != S.SCHEDULED:
        raise Conflict(
            _("Only a scheduled visit can be cancelled."), code="illegal_transition"
        )
    release(_live(locked), actor=actor, customer_id=locked.customer_id)
    event(
        locked,
        ServiceOrderEvent.Kind.BOOKING_CANCELLED,
        actor=actor,
        note=reason,
        customer_visible=True,
    )
    locked.technician = None
    change_status(locked, S.APPROVED, actor=actor, note=reason, fields=["technician"])
    return locked
