"""Celery tasks of aftersales: thin wrappers with explicit names around services.

Beat runs ``aftersales.visit_reminders`` every 15 minutes (idempotent: each
visit is reminded once, the day before).
"""

from celery import shared_task

from aftersales.services import reminders

__all__ = ["visit_reminders"]


@shared_task(name="aftersales.visit_reminders")
def visit_reminders() -> int:
    return reminders.visit_reminders_send()
