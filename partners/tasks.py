"""Celery tasks of the partner API (thin: call the webhook functions)."""

from celery import shared_task
from django.conf import settings

from partners.api.idempotency import idempotency_records_purge
from partners.webhooks import webhook_backlog_prune, webhook_deliver_due

# Seconds kept between the last attempt a sweep starts and its soft time limit.
SOFT_LIMIT_MARGIN = 5


@shared_task(bind=True, name="partners.deliver_webhooks")
def deliver_webhooks(self) -> dict:
    """Deliver every due webhook; safe to run concurrently (rows are leased).

    The sweep stops taking rows early enough to finish its last attempt before
    the task's soft time limit (set per queue, see CELERY_TASK_ANNOTATIONS).
    """
    budget = settings.KEFU_WEBHOOK_SWEEP_SECONDS
    soft = self.soft_time_limit or self.app.conf.task_soft_time_limit
    if soft:
        budget = min(budget, soft - SOFT_LIMIT_MARGIN)
    return webhook_deliver_due(budget_seconds=budget)


@shared_task(name="partners.prune_webhook_backlog")
def prune_webhook_backlog() -> dict:
    """Apply the webhook retention period (held deliveries, the event feed)."""
    return webhook_backlog_prune()


@shared_task(name="partners.purge_idempotency_records")
def purge_idempotency_records() -> int:
    return idempotency_records_purge()
