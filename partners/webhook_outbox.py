"""The webhook outbox: one delivery row per subscribed endpoint, written in
the transaction of a complaint change, and the delivery task published on commit.

Called by ``partners.followups`` (complaints' follow-up registry) inside the
complaint service's transaction, so a delivery exists if and only if the change
committed. Delivery itself is ``partners.webhooks`` (task
``partners.deliver_webhooks``); this module sits above the task module, which
sits above the delivery, so nothing loops.
"""

from __future__ import annotations

import logging
import uuid

from django.db import transaction
from django.utils import timezone

from partners.models import (
    PartnerEvent,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from partners.tasks import deliver_webhooks

logger = logging.getLogger(__name__)


def complaint_payload_data(complaint) -> dict:
    """The ``data`` of a complaint event: what a partner needs to react."""

    def iso(value):
        return value.isoformat() if value else None

    category = getattr(complaint, "category", None)
    return {
        "reference": complaint.reference,
        "status": complaint.status,
        "severity": complaint.severity,
        "channel": complaint.channel,
        "category": getattr(category, "code", None),
        "subject": complaint.subject,
        "received_at": iso(complaint.received_at),
        "updated_at": iso(getattr(complaint, "updated_at", None)),
        "replied_at": iso(getattr(complaint, "replied_at", None)),
        "resolved_at": iso(getattr(complaint, "resolved_at", None)),
        "resolution_type": getattr(complaint, "resolution_type", "") or None,
    }


def webhook_enqueue(
    *, event: str, complaint, extra: dict | None = None
) -> list[WebhookDelivery]:
    """Record the event in the partner's feed (``PartnerEvent``) and write one
    delivery per endpoint of the complaint's partner that subscribed to
    ``event``, active or not (a disabled endpoint holds its rows until it is
    enabled again); nothing for complaints that came from no partner.

    Call inside the transaction of the change. Delivery is triggered on commit
    (and by the beat sweep should the trigger be lost).
    """
    partner_id = getattr(complaint, "source_partner_id", None)
    return webhook_enqueue_data(
        event=event,
        partner_id=partner_id,
        reference=complaint.reference or "",
        data={**complaint_payload_data(complaint), **(extra or {})},
    )


def service_order_payload_data(order) -> dict:
    """The ``data`` of a service-order event: no free text (the reason and the
    outcome stay in Kefu; the partner reads the order through the API)."""

    def iso(value):
        return value.isoformat() if value else None

    return {
        "reference": order.reference,
        "kind": order.kind,
        "status": order.status,
        "complaint": order.complaint.reference if order.complaint_id else None,
        "due_date": iso(order.due_date),
        "created_at": iso(order.created_at),
        "updated_at": iso(getattr(order, "updated_at", None)),
        "completed_at": iso(order.completed_at),
    }


def webhook_enqueue_data(
    *, event: str, partner_id: int | None, reference: str, data: dict
) -> list[WebhookDelivery]:
    """``webhook_enqueue`` for any subject: the feed row and one delivery per
    subscribed endpoint of ``partner_id`` (nothing when None)."""
    if event not in WebhookEvent.values:
        raise ValueError(f"unknown webhook event {event!r}")
    if partner_id is None:
        return []
    event_id = uuid.uuid4()
    now = timezone.now()
    payload = {
        "id": str(event_id),
        "event": event,
        "created_at": now.isoformat(),
        "data": data,
    }
    PartnerEvent.objects.create(
        partner_id=partner_id,
        event_id=event_id,
        event=event,
        complaint_reference=reference,
        payload=payload,
        created_at=now,
    )
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(partner_id=partner_id).only(
            "pk", "events", "is_active"
        )
        if event in (e.events or [])
    ]
    if not endpoints:
        return []
    rows = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event_id=event_id,
                event=event,
                complaint_reference=reference,
                payload=payload,
                next_attempt_at=now,
            )
            for endpoint in endpoints
        ]
    )
    if any(e.is_active for e in endpoints):
        transaction.on_commit(webhook_delivery_trigger)
    return rows


def webhook_delivery_trigger() -> None:
    """Publish the delivery task (call on commit)."""
    try:
        deliver_webhooks.delay()
    except Exception:  # the beat sweep delivers within a minute anyway
        logger.warning("could not enqueue partners.deliver_webhooks", exc_info=True)
