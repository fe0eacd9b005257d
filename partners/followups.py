"""What partners does when a complaint moves: webhook outbox rows.

Registered with complaints' follow-up registry in ``PartnersConfig.ready()``
(complaints does not import partners, which sits above it). Runs inside the
complaint service's transaction: a delivery exists if and only if the change
committed. Only complaints that came from a partner have any.
"""

from __future__ import annotations

from partners.models import WebhookEvent
from partners.webhook_outbox import webhook_enqueue


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
