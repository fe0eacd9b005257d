"""Day-before visit reminders: exactly once, at local dates (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
import time_machine

from aftersales import services as s
from aftersales.models import Appointment, AppointmentSlot, ServiceOrderEvent
from aftersales.services.reminders import visit_reminders_send
from aftersales.tasks import visit_reminders
from crm.models import Notification
from tests.factories.aftersales import make_order, technician


def _booked(org, day):
    tech = technician(team=org.team_a)
    slot = AppointmentSlot.objects.create(
        technician=tech,
        date=day,
        start=time(14),
        end=time(16),
        area="浦东",
        kind="repair",
        capacity=2,
    )
    order = s.order_transition(
        actor=org.admin, order=make_order(actor=org.agent_a), to_status="approved"
    )
    return s.appointment_book(actor=org.agent_a, order=order, slot=slot), tech


@pytest.mark.parametrize(
    "utc",
    [
        datetime(2026, 6, 15, 4, 0, tzinfo=UTC),  # 12:00 in Shanghai, 15 June
        datetime(2026, 6, 14, 23, 30, tzinfo=UTC),  # 07:30 on 15 June locally
    ],
)
def test_tomorrows_visit_is_reminded_once(org, utc):
    from datetime import date

    with time_machine.travel(utc, tick=False):
        tomorrow, later = _booked(org, date(2026, 6, 16))[0], None
        later = _booked(org, date(2026, 6, 17))[0]

        assert visit_reminders_send() == 1
        assert visit_reminders_send() == 0
        assert visit_reminders() == 0  # the task: the same service

    tomorrow.refresh_from_db()
    later.refresh_from_db()
    assert tomorrow.customer_reminded_at is not None
    assert tomorrow.technician_reminded_at is not None
    assert later.technician_reminded_at is None
    notes = Notification.objects.filter(kind="aftersales_visit")
    assert list(notes.values_list("recipient__username", flat=True)) == ["technician_a"]
    assert tomorrow.order.reference in notes.get().title
    reminded = ServiceOrderEvent.objects.filter(kind="reminded")
    assert list(reminded.values_list("order_id", "customer_visible")) == [
        (tomorrow.order_id, True)
    ]


def test_a_cancelled_visit_is_not_reminded(org):
    from datetime import date

    with time_machine.travel(datetime(2026, 6, 15, 4, 0, tzinfo=UTC), tick=False):
        appointment, _tech = _booked(org, date(2026, 6, 16))
        s.appointment_cancel(actor=org.agent_a, order=appointment.order, reason="改期")
        assert visit_reminders_send() == 0
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"
    assert not Notification.objects.filter(kind="aftersales_visit").exists()
