"""Reads of the partners app (house style rule 4): API keys, webhook endpoints
and their delivery log, for the admin, the partner API and the delivery sweep.

A scoped selector takes the reader (``user``: staff — only administrators see
partners' keys and webhooks — or a partner's API-key principal) and starts from
``crm.scoping``; one without a ``user`` is a system read (the sweep) or takes
the partner itself (the partner API, where the key names the partner).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from crm import scoping
from partners.models import (
    ApiKey,
    PartnerEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


def api_key_list(*, user) -> QuerySet[ApiKey]:
    """API keys ``user`` may see (administrators: all)."""
    return scoping.visible_to(user, ApiKey.objects.all()).select_related("partner")


def webhook_endpoint_list(*, user) -> QuerySet[WebhookEndpoint]:
    """Webhook endpoints ``user`` may see (administrators: all)."""
    return scoping.visible_to(user, WebhookEndpoint.objects.all()).select_related(
        "partner"
    )


def webhook_endpoints_of(*, partner) -> QuerySet[WebhookEndpoint]:
    """The endpoints ``partner`` registered (the partner API; None: none), by
    id."""
    return scoping.visible_to_partner(partner, WebhookEndpoint.objects.all()).order_by(
        "pk"
    )


def webhook_delivery_list(*, user) -> QuerySet[WebhookDelivery]:
    """The delivery log ``user`` may read (administrators: all)."""
    return scoping.visible_to(user, WebhookDelivery.objects.all()).select_related(
        "endpoint", "endpoint__partner"
    )


def webhook_deliveries_of(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The delivery log of ``endpoint``, which the caller already read through
    ``webhook_endpoints_of`` (its partner's own)."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).select_related("endpoint")


def webhook_held_count(*, endpoint: WebhookEndpoint) -> int:
    """Deliveries ``endpoint`` holds while disabled (pending, not attempted)."""
    if endpoint.is_active:
        return 0
    return WebhookDelivery.objects.filter(
        endpoint=endpoint, status=WebhookDelivery.Status.PENDING
    ).count()


def webhook_attempt_list(*, user) -> QuerySet[WebhookAttempt]:
    """Delivery attempts ``user`` may read (administrators: all)."""
    return scoping.visible_to(user, WebhookAttempt.objects.all())


def webhook_deliveries_due(*, now: datetime) -> QuerySet[WebhookDelivery]:
    """System read (the delivery sweep): pending deliveries to active endpoints
    whose next attempt is due and that no worker holds a lease on, oldest
    first."""
    return (
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now,
            endpoint__is_active=True,
        )
        .exclude(lease_until__gt=now)
        .order_by("next_attempt_at", "pk")
    )


def partner_events_after(
    *, partner, after: int, limit: int, now: datetime | None = None
) -> list[PartnerEvent]:
    """The partner's own events with an id above ``after``, by id, at most
    ``limit`` (the events feed; None: none).

    Events younger than ``KEFU_EVENTS_SETTLE_SECONDS`` are left for the next
    read: an id is drawn when a transaction inserts, not when it commits, so a
    lower id could still appear behind one a reader has already passed.
    """
    now = now or timezone.now()
    settled = now - timedelta(seconds=settings.KEFU_EVENTS_SETTLE_SECONDS)
    return list(
        scoping.visible_to_partner(partner, PartnerEvent.objects.all())
        .filter(pk__gt=after, created_at__lte=settled)
        .order_by("pk")[:limit]
    )
