"""Celery tasks of crm: thin wrappers with explicit names around services.

Beat runs ``crm.revisit_sweep`` and ``crm.deliver_notification_emails`` every
minute and ``crm.revisit_plan_by_rules`` daily (``CELERY_BEAT_SCHEDULE``). All
three are idempotent and safe to run concurrently. The e-mail task is defined in
``crm.notification_emails`` (see there why).
"""

from celery import shared_task

# Registered from here too (it lives beside the outbox that publishes it).
from crm.notification_emails import deliver_notification_emails
from crm.services import reminders, revisits

__all__ = ["deliver_notification_emails", "revisit_plan_by_rules", "revisit_sweep"]


@shared_task(name="crm.revisit_sweep")
def revisit_sweep() -> int:
    return reminders.revisit_sweep()


@shared_task(name="crm.revisit_plan_by_rules")
def revisit_plan_by_rules() -> int:
    return revisits.revisit_plan_by_rules()
