"""20 bookings at once into a slot of capacity 3: exactly 3 win, 17 get the
409 conflict (PostgreSQL row locks; SQLite serialises writers anyway)."""

from __future__ import annotations

import pytest
from django.db import connection

from aftersales import services as s
from aftersales.models import Appointment, AppointmentSlot, ServiceOrder
from config.errors import Conflict
from tests.complaints.test_concurrency import run_together
from tests.factories.aftersales import make_order, slot, technician

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL"
    ),
]


def test_twenty_bookings_into_three_places(org):
    tech = technician(team=org.team_a)
    target = slot(tech, capacity=3)
    orders = []
    for _ in range(20):
        order = make_order(actor=org.agent_a)
        orders.append(
            s.order_transition(actor=org.admin, order=order, to_status="approved")
        )

    results = run_together(
        lambda i: s.appointment_book(actor=org.agent_a, order=orders[i], slot=target),
        20,
    )

    booked = [r for r in results if isinstance(r, Appointment)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert (len(booked), len(conflicts)) == (3, 17), results
    assert {c.code for c in conflicts} == {"slot_full"}
    assert {c.status for c in conflicts} == {409}
    assert AppointmentSlot.objects.get(pk=target.pk).booked == 3
    assert Appointment.objects.filter(slot=target, status="booked").count() == 3
    assert ServiceOrder.objects.filter(status="scheduled").count() == 3
    assert ServiceOrder.objects.filter(status="approved").count() == 17


def test_two_reschedules_into_the_last_place(org):
    tech = technician(team=org.team_a)
    first, last = slot(tech, capacity=2), slot(tech, capacity=1, start=14)
    orders = []
    for _ in range(2):
        order = s.order_transition(
            actor=org.admin, order=make_order(actor=org.agent_a), to_status="approved"
        )
        s.appointment_book(actor=org.agent_a, order=order, slot=first)
        orders.append(order)

    results = run_together(
        lambda i: s.appointment_reschedule(
            actor=org.agent_a, order=orders[i], slot=last
        ),
        2,
    )

    assert len([r for r in results if isinstance(r, Conflict)]) == 1
    assert AppointmentSlot.objects.get(pk=last.pk).booked == 1
    assert AppointmentSlot.objects.get(pk=first.pk).booked == 1
