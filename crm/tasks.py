"""Celery tasks of crm: thin wrappers with explicit names around services.

Beat runs ``crm.revisit_sweep`` and ``crm.deliver_notification_emails`` every
minute and ``crm.revisit_plan_by_rules`` daily (``CELERY_BEAT_SCHEDULE``). All
three are idempotent and safe to run concurrently.
"""

from celery import shared_task


@shared_task(name="crm.revisit_sweep")
def revisit_sweep() -> int:
    from crm.services.reminders import revisit_sweep as sweep

    return sweep()


@shared_task(name="crm.deliver_notification_emails")
def deliver_notification_emails() -> int:
    from crm.services.reminders import notification_emails_deliver

    return notification_emails_deliver()


@shared_task(name="crm.revisit_plan_by_rules")
def revisit_plan_by_rules() -> int:
    from crm.services.revisits import revisit_plan_by_rules as plan

    return plan()
