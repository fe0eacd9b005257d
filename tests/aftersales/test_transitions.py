"""Every lifecycle step of a service order, by every role (issue 17)."""

from __future__ import annotations

import pytest

from aftersales import services as s
from aftersales.models import (
    TRANSITIONS,
    Appointment,
    ServiceOrder,
    ServiceOrderEvent,
)
from config.errors import IllegalTransition, NotPermitted
from tests.factories.aftersales import make_order, technician, walk_order

S = ServiceOrder.Status

PRINCIPALS = (
    "admin",
    "manager_a",
    "supervisor_a",
    "agent_a",
    "complaint_handler_a",
    "account_manager_a",
    "relations_specialist_a",
    "qa_inspector_a",
    "trainer_a",
    "technician_a",
    "manager_b",
    "supervisor_b",
)
# The order is registered by agent_a (its owner; team A) and visited by technician_a.
LEADS_A = {"admin", "manager_a", "supervisor_a"}
DESK_A = LEADS_A | {"agent_a"}  # the owner; the handler of team A is not (assigned)
FIELD_A = LEADS_A | {"technician_a"}  # the visit's technician

# (from, to, how) -> principals allowed
STEPS = {
    (S.REQUESTED, S.APPROVED, "transition"): LEADS_A,
    (S.REQUESTED, S.REFUSED, "transition"): LEADS_A,
    (S.REQUESTED, S.CANCELLED, "transition"): DESK_A,
    (S.APPROVED, S.SCHEDULED, "book"): DESK_A,
    (S.APPROVED, S.IN_PROGRESS, "transition"): FIELD_A,
    (S.APPROVED, S.CANCELLED, "transition"): DESK_A,
    (S.SCHEDULED, S.IN_PROGRESS, "check_in"): FIELD_A,
    (S.SCHEDULED, S.APPROVED, "cancel_booking"): DESK_A,
    (S.SCHEDULED, S.CANCELLED, "transition"): DESK_A,
    (S.IN_PROGRESS, S.INSPECTED, "transition"): FIELD_A,
    (S.IN_PROGRESS, S.COMPLETED, "complete"): FIELD_A,
    (S.IN_PROGRESS, S.CANCELLED, "transition"): DESK_A,
    (S.INSPECTED, S.COMPLETED, "complete"): FIELD_A,
    (S.INSPECTED, S.IN_PROGRESS, "transition"): FIELD_A,
}


def test_the_steps_cover_the_transition_table():
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert {(a, b) for a, b, _how in STEPS} == table


def _principal(org, name):
    if name == "technician_a":
        return technician(team=org.team_a).user
    return getattr(org, name)


def _order_in(org, status):
    tech = technician(team=org.team_a)
    order = make_order(actor=org.agent_a)
    order = walk_order(order, status, actor=org.admin, tech=tech)
    if order.technician_id is None:  # the visit's technician, booked or not
        ServiceOrder.objects.filter(pk=order.pk).update(technician=tech)
        order.refresh_from_db()
    return order


def _do(how, *, actor, order, to_status, org):
    from tests.factories.aftersales import slot

    if how == "transition":
        return s.order_transition(
            actor=actor, order=order, to_status=to_status, note="原因说明"
        )
    if how == "book":
        return s.appointment_book(
            actor=actor, order=order, slot=slot(technician(team=org.team_a), days=2)
        )
    if how == "check_in":
        return s.order_check_in(actor=actor, order=order)
    if how == "cancel_booking":
        return s.appointment_cancel(actor=actor, order=order, reason="客户改期")
    if how == "complete":
        return s.order_complete(
            actor=actor, order=order, outcome="已修复", labour_cost="80"
        )
    raise AssertionError(how)


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("step", list(STEPS), ids=[f"{a}-{b}" for a, b, _h in STEPS])
def test_every_step_by_every_role(org, step, principal):
    from_status, to_status, how = step
    order = _order_in(org, from_status)
    actor = _principal(org, principal)
    events_before = ServiceOrderEvent.objects.filter(order=order).count()

    if principal in STEPS[step]:
        _do(how, actor=actor, order=order, to_status=to_status, org=org)
        order.refresh_from_db()
        assert order.status == to_status
        change = ServiceOrderEvent.objects.filter(
            order=order, kind="status_changed"
        ).last()
        assert (change.from_status, change.to_status, change.actor_id) == (
            from_status,
            to_status,
            actor.pk,
        )
    else:
        with pytest.raises(NotPermitted):
            _do(how, actor=actor, order=order, to_status=to_status, org=org)
        order.refresh_from_db()
        assert order.status == from_status
        assert ServiceOrderEvent.objects.filter(order=order).count() == events_before


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        (S.REQUESTED, S.COMPLETED),
        (S.REQUESTED, S.INSPECTED),
        (S.REFUSED, S.APPROVED),
        (S.COMPLETED, S.CANCELLED),
        (S.CANCELLED, S.APPROVED),
        (S.APPROVED, S.INSPECTED),
    ],
)
def test_steps_outside_the_table_are_refused(org, from_status, to_status):
    order = _order_in(org, from_status)
    with pytest.raises(IllegalTransition):
        s.order_transition(actor=org.admin, order=order, to_status=to_status, note="x")
    order.refresh_from_db()
    assert order.status == from_status


def test_completion_records_costs_fix_and_plans_one_revisit(org):
    from crm.models import Revisit

    order = _order_in(org, S.INSPECTED)
    s.order_check_out(actor=org.admin, order=order, first_time_fix=True)
    done = s.order_complete(
        actor=org.supervisor_a,
        order=order,
        outcome="更换电池",
        parts_cost="99.90",
        labour_cost="50",
        logistics_cost="12.5",
        customer_confirmed=True,
    )
    done.refresh_from_db()
    assert (done.status, str(done.total_cost), done.first_time_fix) == (
        "completed",
        "162.40",
        True,
    )
    assert done.customer_confirmed_at is not None and done.checked_out_at is not None
    assert Appointment.objects.get(order=done).status == "done"
    revisits = Revisit.objects.filter(key=f"aftersales:{done.pk}:satisfaction")
    assert revisits.count() == 1
    assert revisits.get().customer_id == done.customer_id


def test_cancelling_a_scheduled_order_frees_its_place(org):
    order = _order_in(org, S.SCHEDULED)
    appointment = Appointment.objects.get(order=order)
    assert appointment.slot.booked == 1
    s.order_transition(actor=org.agent_a, order=order, to_status=S.CANCELLED)
    appointment.refresh_from_db()
    appointment.slot.refresh_from_db()
    assert (appointment.status, appointment.slot.booked) == ("cancelled", 0)
