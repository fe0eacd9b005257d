"""Service orders: creation (policy windows), the lifecycle, on-site work."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales import hooks
from aftersales.models import (
    Appointment,
    ServiceKind,
    ServiceOrder,
    ServiceOrderEvent,
)
from aftersales.services import permissions
from aftersales.services.common import change_status, event, lock, reference_next
from aftersales.services.policies import policy_check
from config.errors import InvalidInput, NotPermitted
from crm import scoping
from crm.models import Revisit
from crm.services.revisits import revisit_create

S = ServiceOrder.Status

# Days from the request to the date the order is due (the desk list shows it).
DUE_DAYS = {
    ServiceKind.RETURN: 3,
    ServiceKind.EXCHANGE: 5,
    ServiceKind.REPAIR: 7,
    ServiceKind.INSTALLATION: 3,
    ServiceKind.MAINTENANCE: 7,
}
# The after-sales satisfaction revisit: this long after completion.
REVISIT_AFTER_HOURS = 48

# Which roles may move an order into which status (booking moves it to
# "scheduled" and back to "approved": ``aftersales.services.booking``).
TRANSITION_ROLES = {
    S.APPROVED: permissions.LEADS,
    S.REFUSED: permissions.LEADS,
    S.CANCELLED: permissions.DESK,
    S.IN_PROGRESS: permissions.FIELD,
    S.INSPECTED: permissions.FIELD,
    S.COMPLETED: permissions.FIELD,
}

# Complaint resolution type → the order it opens.
COMPLAINT_RESOLUTION_KINDS = {
    "refund": ServiceKind.RETURN,
    "replacement": ServiceKind.EXCHANGE,
    "repair": ServiceKind.REPAIR,
}


def _require_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message, field=field)
    return value


@transaction.atomic
def order_create(
    *,
    actor,
    kind: str,
    customer,
    product_name: str,
    partner=None,
    complaint=None,
    product_category: str = "",
    serial_number: str = "",
    order_number: str = "",
    waybill_number: str = "",
    purchase_date: date | None = None,
    quality_problem: bool = False,
    reason: str = "",
    owner=None,
    override_reason: str = "",
) -> ServiceOrder:
    """Open a service order (status requested).

    Returns, exchanges and repairs are checked against their ``ReturnPolicy``
    on today's local date; a request outside it is refused naming the field,
    unless a supervisor or manager gives ``override_reason`` (an event records
    it). ``actor`` None with ``partner``: a partner's API request.
    """
    permissions.require_role(actor, permissions.DESK)
    if kind not in ServiceKind.values:
        raise InvalidInput(_("Choose a service kind."), field="kind")
    product_name = _require_text(product_name, "product_name", _("Name the product."))
    scoping.require_visible(actor, customer, field="customer")
    scoping.require_visible(actor, complaint, field="complaint")
    scoping.require_colleague(actor, owner, field="owner")
    if partner is not None and customer.partner_id not in (None, partner.pk):
        raise InvalidInput(_("Unknown customer."), field="customer")
    override_reason = (override_reason or "").strip()
    breach = policy_check(
        kind=kind,
        product_category=product_category,
        purchase_date=purchase_date,
        quality_problem=quality_problem,
    )
    if breach is not None and breach.code in (
        "policy_window",
        "policy_quality_required",
    ):
        if not override_reason:
            raise InvalidInput(breach.message, field=breach.field, code=breach.code)
        if actor is None or not permissions.has_role(actor, permissions.LEADS):
            raise NotPermitted(
                _("Only a supervisor or manager may override the policy."),
                code="policy_override",
            )
    elif breach is not None:
        raise InvalidInput(breach.message, field=breach.field, code=breach.code)
    elif override_reason:
        override_reason = ""  # nothing to override
    now = timezone.now()
    if owner is None and actor is not None:
        owner = actor
    order = ServiceOrder.objects.create(
        reference=reference_next(),
        kind=kind,
        customer=customer,
        complaint=complaint,
        complaint_cycle=(complaint.reopened_count + 1) if complaint else None,
        source_partner=partner,
        department=getattr(complaint, "department", None)
        or getattr(actor, "department", None)
        or customer.department,
        team=getattr(complaint, "team", None) or getattr(actor, "team", None),
        owner=owner,
        created_by=actor,
        product_name=product_name,
        product_category=product_category,
        serial_number=serial_number,
        order_number=order_number,
        waybill_number=waybill_number,
        purchase_date=purchase_date,
        quality_problem=quality_problem,
        reason=reason,
        policy_override_reason=override_reason,
        due_date=timezone.localdate() + timedelta(days=DUE_DAYS[kind]),
        created_at=now,
    )
    event(
        order,
        ServiceOrderEvent.Kind.CREATED,
        actor=actor,
        to_status=order.status,
        note=reason,
        customer_visible=True,
    )
    if override_reason:
        event(
            order,
            ServiceOrderEvent.Kind.POLICY_OVERRIDE,
            actor=actor,
            note=f"{breach.message} — {override_reason}",
        )
    hooks.run(hooks.Moment.CREATED, order=order, actor=actor)
    return order


def order_create_for_complaint(*, complaint, actor=None) -> ServiceOrder | None:
    """The order a complaint resolved with a refund / replacement / repair
    opens: one per resolution cycle, the same one on a retry (None for other
    resolution types). Runs in the resolving transaction; the policy windows
    do not apply (the complaint's resolution decided)."""
    kind = COMPLAINT_RESOLUTION_KINDS.get(complaint.resolution_type or "")
    if kind is None:
        return None
    cycle = complaint.reopened_count + 1
    existing = ServiceOrder.objects.filter(
        complaint=complaint, complaint_cycle=cycle
    ).first()
    if existing is not None:
        return existing
    now = timezone.now()
    try:
        with transaction.atomic():
            order = ServiceOrder.objects.create(
                reference=reference_next(),
                kind=kind,
                customer_id=complaint.customer_id,
                complaint=complaint,
                complaint_cycle=cycle,
                source_partner_id=complaint.source_partner_id,
                department_id=complaint.department_id,
                team_id=complaint.team_id,
                owner_id=complaint.assignee_id,
                created_by=actor,
                product_name=(complaint.subject or "")[:200] or complaint.reference,
                reason=complaint.resolution_summary or "",
                due_date=timezone.localdate() + timedelta(days=DUE_DAYS[kind]),
                created_at=now,
            )
    except IntegrityError:  # a concurrent retry won the unique constraint
        return ServiceOrder.objects.get(complaint=complaint, complaint_cycle=cycle)
    event(
        order,
        ServiceOrderEvent.Kind.CREATED,
        actor=actor,
        to_status=order.status,
        note=_("Opened by the resolution of complaint %(reference)s.")
        % {"reference": complaint.reference},
        customer_visible=True,
    )
    hooks.run(hooks.Moment.CREATED, order=order, actor=actor)
    return order


@transaction.atomic
def order_transition(
    *, actor, order: ServiceOrder, to_status: str, note: str = ""
) -> ServiceOrder:
    """Approve, refuse, cancel, start, inspect (TRANSITION_ROLES; completing
    with its figures is ``order_complete``)."""
    if to_status not in TRANSITION_ROLES:
        raise InvalidInput(_("Unknown target status."), field="status")
    locked = lock(order)
    permissions.require(actor, locked, TRANSITION_ROLES[to_status])
    if to_status == S.REFUSED:
        note = _require_text(note, "note", _("Give the reason for the refusal."))
    if to_status == S.CANCELLED:
        _cancel_live_booking(locked, actor=actor)
    change_status(locked, to_status, actor=actor, note=note)
    return locked


def _cancel_live_booking(order: ServiceOrder, *, actor) -> None:
    from aftersales.services.booking import release

    live = Appointment.objects.filter(order=order, status=Appointment.Status.BOOKED)
    for appointment in live.select_for_update():
        release(appointment, actor=actor, customer_id=order.customer_id)


@transaction.atomic
def order_check_in(*, actor, order: ServiceOrder) -> ServiceOrder:
    """The technician arrives: scheduled → in progress, check-in time."""
    locked = lock(order)
    permissions.require(actor, locked, permissions.FIELD)
    if locked.status != S.SCHEDULED:
        raise_illegal(locked, S.IN_PROGRESS)
    locked.checked_in_at = timezone.now()
    event(locked, ServiceOrderEvent.Kind.CHECKED_IN, actor=actor, customer_visible=True)
    change_status(locked, S.IN_PROGRESS, actor=actor, fields=["checked_in_at"])
    return locked


@transaction.atomic
def order_check_out(
    *, actor, order: ServiceOrder, first_time_fix: bool | None = None, note: str = ""
) -> ServiceOrder:
    """The technician leaves: check-out time, the visit done, the fix flag."""
    locked = lock(order)
    permissions.require(actor, locked, permissions.FIELD)
    if locked.status not in (S.IN_PROGRESS, S.INSPECTED) or not locked.checked_in_at:
        raise_illegal(locked, S.INSPECTED)
    if locked.checked_out_at is not None:
        raise InvalidInput(_("Already checked out."), field="checked_out_at")
    locked.checked_out_at = timezone.now()
    if first_time_fix is not None:
        locked.first_time_fix = first_time_fix
    locked.save(update_fields=["checked_out_at", "first_time_fix", "updated_at"])
    Appointment.objects.filter(order=locked, status=Appointment.Status.BOOKED).update(
        status=Appointment.Status.DONE
    )
    event(
        locked,
        ServiceOrderEvent.Kind.CHECKED_OUT,
        actor=actor,
        note=note,
        customer_visible=True,
    )
    return locked


def raise_illegal(order: ServiceOrder, to_status: str):
    from config.errors import IllegalTransition

    raise IllegalTransition(
        _("A service order cannot go from “%(from)s” to “%(to)s”.")
        % {"from": order.get_status_display(), "to": S(to_status).label},
        field="status",
    )


def turnaround_minutes(requested_at, completed_at) -> int:
    """Whole elapsed minutes from the request to completion (never negative)."""
    return max(int((completed_at - requested_at).total_seconds() // 60), 0)


def _money(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else 0))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Enter a number."), field=field) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("100000000"):
        raise InvalidInput(_("Enter an amount of 0 or more."), field=field)
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def order_complete(
    *,
    actor,
    order: ServiceOrder,
    outcome: str,
    parts_cost=0,
    labour_cost=0,
    logistics_cost=0,
    first_time_fix: bool | None = None,
    customer_confirmed: bool = False,
) -> ServiceOrder:
    """in progress / inspected → completed, with the outcome and costs and the
    turnaround (minutes from the request); plans the after-sales satisfaction
    revisit (once per order)."""
    locked = lock(order)
    permissions.require(actor, locked, permissions.FIELD)
    outcome = _require_text(outcome, "outcome", _("Describe the outcome."))
    locked.outcome = outcome
    locked.parts_cost = _money(parts_cost, "parts_cost")
    locked.labour_cost = _money(labour_cost, "labour_cost")
    locked.logistics_cost = _money(logistics_cost, "logistics_cost")
    if first_time_fix is not None:
        locked.first_time_fix = first_time_fix
    now = timezone.now()
    locked.completed_at = now
    locked.turnaround_minutes = turnaround_minutes(locked.created_at, now)
    if customer_confirmed:
        locked.customer_confirmed_at = now
    change_status(
        locked,
        S.COMPLETED,
        actor=actor,
        note=outcome,
        fields=[
            "outcome",
            "parts_cost",
            "labour_cost",
            "logistics_cost",
            "first_time_fix",
            "completed_at",
            "turnaround_minutes",
            "customer_confirmed_at",
        ],
    )
    revisit_create(
        actor=None,
        customer=locked.customer,
        purpose=Revisit.Purpose.SATISFACTION,
        due_at=now + timedelta(hours=REVISIT_AFTER_HOURS),
        assignee=locked.owner,
        notes=_("After-sales revisit of %(reference)s")
        % {"reference": locked.reference},
        key=f"aftersales:{locked.pk}:satisfaction",
    )
    return locked
