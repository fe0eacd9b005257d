"""seed_demo's after-sales part: every kind in every status, a week of slots,
a return refused by the window; idempotent (issue 17)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from aftersales.models import (
    VISIT_KINDS,
    AppointmentSlot,
    ServiceKind,
    ServiceOrder,
    ServiceOrderEvent,
    Technician,
)
from complaints.models import CustomerMessage

pytestmark = pytest.mark.django_db


def _seed():
    call_command(
        "seed_demo",
        stdout=StringIO(),
        customers=30,
        complaints=0,
        skip=["training", "kpi"],
    )


def test_demo_has_every_kind_and_status_and_a_week_of_slots():
    _seed()
    statuses = set(ServiceOrder.objects.values_list("kind", "status"))
    for kind in ServiceKind:
        wanted = {"requested", "approved", "refused", "in_progress", "inspected"}
        wanted |= {"completed", "cancelled"}
        if kind in VISIT_KINDS:
            wanted.add("scheduled")
        assert {s for k, s in statuses if k == kind} == wanted, kind
    today = timezone.localdate()
    for tech in Technician.objects.all():
        days = set(
            AppointmentSlot.objects.filter(technician=tech).values_list(
                "date", flat=True
            )
        )
        assert len(days) == 7 and min(days) == today
    assert Technician.objects.filter(user__groups__name="technician").count() == 4
    refused = ServiceOrder.objects.get(
        kind="return", status="refused", product_name="蓝牙耳机 B2"
    )
    deadline = (refused.purchase_date + timedelta(days=7)).isoformat()
    refusal = ServiceOrderEvent.objects.get(order=refused, to_status="refused")
    assert deadline in refusal.note
    assert ServiceOrderEvent.objects.filter(
        order=refused, kind="policy_override"
    ).exists()

    # tomorrow's visits (the scheduled orders) are reminded: the customer's text
    # queued, the order's event says so
    scheduled = ServiceOrder.objects.filter(status="scheduled")
    assert scheduled.count() == len(VISIT_KINDS)
    tomorrow = today + timedelta(days=1)
    for order in scheduled:
        assert order.appointments.get(status="booked").slot.date == tomorrow
        assert order.events.filter(kind="reminded", customer_visible=True).exists()
    reminders = CustomerMessage.objects.filter(kind="visit_reminder")
    assert set(reminders.values_list("reference", flat=True)) == {
        order.reference for order in scheduled
    }
    assert set(reminders.values_list("complaint", flat=True)) == {None}

    before = ServiceOrder.objects.count()
    _seed()
    assert ServiceOrder.objects.count() == before
    assert reminders.count() == len(VISIT_KINDS)
