"""Partner webhooks: delivery of the outbox, signing.

The outbox rows are written by ``partners.webhook_outbox.webhook_enqueue`` in the
transaction of the complaint change (one ``WebhookDelivery`` per subscribed
endpoint). ``webhook_deliver_due`` (task ``partners.deliver_webhooks``, published
on commit and swept every minute by beat) leases due rows, POSTs them and
records the outcome; failures are retried with exponential backoff and an
endpoint that keeps failing is disabled.

Every attempt first checks the endpoint's URL again (``partners.webhook_http``:
https, a public address, resolved now and connected to as checked); a refused
URL is a failed attempt with outcome ``refused`` and no connection. Redirects
are not followed (a 3xx is a failure) and only the start of an answer is read.
Refusals count as failures: they are retried with backoff and disable the
endpoint like any other failure.

Each request carries ``X-Kefu-Signature: sha256=<hex HMAC-SHA256 of the raw body
keyed with the endpoint's secret>``, ``X-Kefu-Timestamp`` (Unix seconds of the
attempt), ``X-Kefu-Event`` and ``X-Kefu-Delivery`` (the event id, the same on
every retry: receivers use it to drop duplicates).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.outbox import (
    Lease,
    OutboxFields,
    outbox_claim,
    outbox_held,
    outbox_holds,
)
from partners import selectors
from partners.models import (
    PartnerEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from partners.webhook_http import WebhookURLRefused, webhook_post, webhook_target

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Kefu-Signature"
TIMESTAMP_HEADER = "X-Kefu-Timestamp"


def webhook_sign(secret: str, body: bytes) -> str:
    """The value of ``X-Kefu-Signature`` for ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_verify(secret: str, body: bytes, signature: str) -> bool:
    """What a receiver does: compare the signature in constant time."""
    return hmac.compare_digest(webhook_sign(secret, body), signature or "")


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failed ones (1, 2, 4, 8… × base)."""
    base = settings.KEFU_WEBHOOK_BACKOFF_SECONDS
    cap = settings.KEFU_WEBHOOK_BACKOFF_MAX_SECONDS
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


# Lease fields of WebhookDelivery (config.outbox).
LEASE = OutboxFields(until="lease_until", token="lease_token")


def _row_seconds() -> float:
    """The longest one attempt can take: the POST's timeout for connecting and
    again for the answer, plus a margin for the database work around it."""
    return 2 * settings.KEFU_WEBHOOK_TIMEOUT_SECONDS + 5


def _claim(now, exclude: set[int]) -> Lease | None:
    """Lease the next due delivery (one row: the lease covers one attempt)."""
    due = selectors.webhook_deliveries_due(now=now).exclude(pk__in=exclude)
    leases = outbox_claim(
        due, now=now, seconds=settings.KEFU_WEBHOOK_LEASE_SECONDS, fields=LEASE
    )
    return leases[0] if leases else None


def _post(url: str, body: bytes, headers: dict) -> tuple[str, int | None, str, str]:
    """Check the URL, then POST; return (outcome, status code or None, error
    text for staff, response excerpt)."""
    Outcome = WebhookDelivery.Outcome
    try:
        target = webhook_target(url)
    except WebhookURLRefused as exc:
        return Outcome.REFUSED, None, f"refused: {exc.detail}", ""
    timeout = settings.KEFU_WEBHOOK_TIMEOUT_SECONDS
    code, error, excerpt = webhook_post(target, body, headers, timeout=timeout)
    if code is None:
        return Outcome.FAILED, None, error, excerpt
    if 200 <= code < 300:
        return Outcome.DELIVERED, code, "", excerpt
    error = f"HTTP {code}"
    if 300 <= code < 400:
        error += " (redirects are not followed)"
    return Outcome.FAILED, code, error, excerpt


def webhook_attempt(*, lease: Lease) -> WebhookDelivery | None:
    """Make one attempt of a leased delivery and record it.

    The lease is checked right before the POST and the result is recorded only
    while the token is still ours (``config.outbox``): a worker whose lease
    passed to another never posts, and one that posted and lost the lease
    meanwhile does not overwrite the new holder's record. Safe to run twice: a
    delivery no longer pending is left alone. Celery's ``SoftTimeLimitExceeded``
    is not a delivery failure: it propagates and the lease expires.
    """
    delivery = (
        WebhookDelivery.objects.select_related("endpoint")
        .filter(
            pk=lease.pk,
            status=WebhookDelivery.Status.PENDING,
            lease_token=lease.token,
        )
        .first()
    )
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    body = json.dumps(
        delivery.payload, ensure_ascii=False, separators=(",", ":")
    ).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Kefu-Webhooks/1.0",
        SIGNATURE_HEADER: webhook_sign(endpoint.secret, body),
        TIMESTAMP_HEADER: str(int(time.time())),
        "X-Kefu-Event": delivery.event,
        "X-Kefu-Delivery": str(delivery.event_id),
    }
    if not outbox_holds(
        WebhookDelivery,
        lease,
        now=timezone.now(),
        margin=_row_seconds(),
        fields=LEASE,
    ):
        logger.info("webhook delivery %s: lease too short or lost", delivery.pk)
        return None
    started = time.monotonic()
    outcome, code, error, excerpt = _post(endpoint.url, body, headers)
    duration = int((time.monotonic() - started) * 1000)
    if outcome == WebhookDelivery.Outcome.REFUSED:
        logger.warning(
            "webhook delivery %s to endpoint %s %s", delivery.pk, endpoint.pk, error
        )
    return _record(
        lease=lease,
        outcome=outcome,
        code=code,
        error=error,
        excerpt=excerpt,
        duration=duration,
    )


@transaction.atomic
def _record(
    *, lease, outcome, code, error, excerpt, duration
) -> WebhookDelivery | None:
    now = timezone.now()
    ok = outcome == WebhookDelivery.Outcome.DELIVERED
    delivery = (
        outbox_held(WebhookDelivery, lease, fields=LEASE).select_for_update().first()
    )
    if delivery is None:  # the lease passed to another worker: theirs to record
        logger.warning("webhook delivery %s: lease lost, result dropped", lease.pk)
        return None
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    delivery.attempts += 1
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        attempted_at=now,
        status_code=code,
        error=error[:500],
        duration_ms=duration,
        response_excerpt=excerpt[:500],
    )
    delivery.last_status_code = code
    delivery.last_error = error[:500]
    delivery.last_outcome = outcome
    delivery.last_attempt_at = now
    delivery.lease_until = None
    delivery.lease_token = None
    endpoint_fields = []
    if ok:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        if endpoint.consecutive_failures:
            endpoint.consecutive_failures = 0
            endpoint_fields.append("consecutive_failures")
    else:
        if delivery.attempts >= settings.KEFU_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        endpoint.consecutive_failures += 1
        endpoint_fields.append("consecutive_failures")
        limit = settings.KEFU_WEBHOOK_DISABLE_AFTER_FAILURES
        if endpoint.is_active and endpoint.consecutive_failures >= limit:
            endpoint.is_active = False
            endpoint.disabled_at = now
            endpoint_fields += ["is_active", "disabled_at"]
            logger.warning(
                "webhook endpoint %s disabled after %s consecutive failures",
                endpoint.pk,
                endpoint.consecutive_failures,
            )
    delivery.save(
        update_fields=[
            "attempts",
            "status",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "last_outcome",
            "last_attempt_at",
            "lease_until",
            "lease_token",
            "delivered_at",
        ]
    )
    if endpoint_fields:
        endpoint.save(update_fields=[*endpoint_fields, "updated_at"])
    return delivery


def webhook_deliver_due(
    *, now=None, budget_seconds: float | None = None
) -> dict[str, int]:
    """Lease and attempt due deliveries one at a time; return counts.

    A new row is taken only while the sweep's budget (``budget_seconds``,
    default ``KEFU_WEBHOOK_SWEEP_SECONDS``; the task passes what its soft time
    limit leaves) still covers one whole attempt, so the sweep ends before the
    time limit instead of being cut in the middle of a POST.
    """
    counts = {"delivered": 0, "failed": 0}
    if budget_seconds is None:
        budget_seconds = settings.KEFU_WEBHOOK_SWEEP_SECONDS
    deadline = time.monotonic() + budget_seconds
    seen: set[int] = set()
    while time.monotonic() + _row_seconds() <= deadline:
        lease = _claim(now or timezone.now(), seen)
        if lease is None:
            break  # nothing due, or only rows this sweep already tried
        seen.add(lease.pk)
        result = webhook_attempt(lease=lease)
        if result is None:
            continue
        if result.status == WebhookDelivery.Status.DELIVERED:
            counts["delivered"] += 1
        else:
            counts["failed"] += 1
    return counts


def webhook_delivery_retry(*, actor, deliveries) -> int:
    """Schedule undelivered deliveries (also given-up ones) for an attempt now.

    A row a worker is attempting right now (lease running) is left to it.
    """
    return (
        deliveries.exclude(status=WebhookDelivery.Status.DELIVERED)
        .exclude(lease_until__gt=timezone.now())
        .update(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at=timezone.now(),
            lease_until=None,
            lease_token=None,
        )
    )


@transaction.atomic
def webhook_backlog_prune(*, now=None) -> dict[str, int]:
    """Apply ``KEFU_WEBHOOK_RETENTION_DAYS`` (task
    ``partners.prune_webhook_backlog``, daily): deliveries a disabled endpoint
    has held longer are cancelled (kept in the log, never sent), and partner
    events older are deleted from the feed. Idempotent."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.KEFU_WEBHOOK_RETENTION_DAYS)
    cancelled = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING,
        endpoint__is_active=False,
        created_at__lt=cutoff,
    ).update(
        status=WebhookDelivery.Status.CANCELLED,
        lease_until=None,
        lease_token=None,
        last_error="held past the retention period while the endpoint was disabled",
    )
    deleted, _per_model = PartnerEvent.objects.filter(created_at__lt=cutoff).delete()
    return {"cancelled": cancelled, "events_deleted": deleted}
