"""What partners does when a complaint moves: webhook outbox rows.

Registered with complaints' follow-up registry in ``PartnersConfig.ready()``
(complaints does not import partners, which sits above it). Runs inside the
complaint service's transaction: a delivery exists if and only if the change
committed. Only complaints that came from a partner have any.
"""

from __future__ import annotations

from partners.models import WebhookEvent
from partners.webhook_outbox import (
    service_order_payload_data,
    webhook_enqueue,
    webhook_enqueue_data,
)


def _enqueue(event: str, complaint, **extra) -> None:
    if complaint.source_partner_id is None:
        return
    webhook_enqueue(event=event, complaint=complaint, extra=extra or None)


def complaint_created(*, complaint, **_moment) -> None:
    _enqueue(WebhookEvent.COMPLAINT_CREATED, complaint)


def complaint_status_changed(*, complaint, from_status, to_status, **_moment) -> None:
    _enqueue(
        WebhookEvent.COMPLAINT_STATUS_CHANGED,
        complaint,
        previous_status=from_status,
        status=to_status,
    )


def complaint_replied(*, complaint, **_moment) -> None:
    _enqueue(WebhookEvent.COMPLAINT_REPLIED, complaint)


def complaint_resolved(*, complaint, **_moment) -> None:
    _enqueue(WebhookEvent.COMPLAINT_RESOLVED, complaint)


# --- after-sales service orders (aftersales.hooks) ---------------------------


def _order_enqueue(event: str, order, **extra) -> None:
    if order.source_partner_id is None:
        return
    webhook_enqueue_data(
        event=event,
        partner_id=order.source_partner_id,
        reference=order.reference,
        data={**service_order_payload_data(order), **extra},
    )


def service_order_created(*, order, **_moment) -> None:
    _order_enqueue(WebhookEvent.SERVICE_ORDER_CREATED, order)


def service_order_status_changed(*, order, from_status, to_status, **_moment) -> None:
    _order_enqueue(
        WebhookEvent.SERVICE_ORDER_STATUS_CHANGED,
        order,
        previous_status=from_status,
        status=to_status,
    )


def appointment_booked(*, order, appointment, **_moment) -> None:
    slot = appointment.slot
    _order_enqueue(
        WebhookEvent.APPOINTMENT_BOOKED,
        order,
        appointment={
            "id": appointment.pk,
            "date": slot.date.isoformat(),
            "start": slot.start.isoformat(timespec="minutes"),
            "end": slot.end.isoformat(timespec="minutes"),
            "area": slot.area,
        },
    )
