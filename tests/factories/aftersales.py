"""Factories of the after-sales tests (service orders, technicians, slots)."""

from __future__ import annotations

from datetime import time, timedelta

from django.utils import timezone

from aftersales.models import AppointmentSlot, ServiceOrder, Technician
from tests.factories.crm import UserFactory


def technician(*, username="technician_a", team=None, skills=None, areas=None):
    user = UserFactory(username=username, team=team, roles=["technician"])
    return Technician.objects.get_or_create(
        user=user,
        defaults={
            "department": user.department,
            "skills": skills or ["repair", "installation", "maintenance"],
            "areas": areas or ["浦东"],
        },
    )[0]


def slot(tech, *, kind="repair", area="浦东", capacity=3, days=1, start=9):
    return AppointmentSlot.objects.create(
        technician=tech,
        date=timezone.localdate() + timedelta(days=days),
        start=time(start),
        end=time(start + 2),
        area=area,
        kind=kind,
        capacity=capacity,
    )


def make_order(*, actor, customer=None, kind="repair", **overrides) -> ServiceOrder:
    from aftersales.services import order_create
    from tests.factories.complaints import customer_for

    values = {"product_name": "扫地机器人 X1", "reason": "无法开机"}
    values.update(overrides)
    return order_create(
        actor=actor, kind=kind, customer=customer or customer_for(actor), **values
    )


def walk_order(
    order: ServiceOrder, to_status: str, *, actor, tech=None
) -> ServiceOrder:
    """Move ``order`` along the usual path to ``to_status`` as ``actor`` (an
    administrator or a lead of its scope)."""
    from aftersales import services as s

    S = ServiceOrder.Status
    if to_status == S.REQUESTED:
        return order
    if to_status in (S.REFUSED, S.CANCELLED):
        return s.order_transition(
            actor=actor, order=order, to_status=to_status, note="不符合条件"
        )
    order = s.order_transition(actor=actor, order=order, to_status=S.APPROVED)
    if to_status == S.APPROVED:
        return order
    tech = tech or technician()
    s.appointment_book(actor=actor, order=order, slot=slot(tech, kind=order.kind))
    order.refresh_from_db()
    if to_status == S.SCHEDULED:
        return order
    order = s.order_check_in(actor=actor, order=order)
    if to_status == S.IN_PROGRESS:
        return order
    order = s.order_transition(actor=actor, order=order, to_status=S.INSPECTED)
    if to_status == S.INSPECTED:
        return order
    return s.order_complete(
        actor=actor, order=order, outcome="更换主板后恢复正常", parts_cost="120.50"
    )
