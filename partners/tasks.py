"""Celery tasks of the partner API (thin: call the webhook functions)."""

from celery import shared_task

from partners.api.idempotency import idempotency_records_purge
from partners.webhooks import webhook_deliver_due


@shared_task(name="partners.deliver_webhooks")
def deliver_webhooks() -> dict:
    """Deliver every due webhook; safe to run concurrently (rows are leased)."""
    return webhook_deliver_due()


@shared_task(name="partners.purge_idempotency_records")
def purge_idempotency_records() -> int:
    return idempotency_records_purge()
