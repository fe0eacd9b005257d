"""The e-mail outbox of notifications: its delivery and the Celery task.

``crm.notifications.notify`` writes a row with ``email_status=pending`` and
publishes ``crm.deliver_notification_emails`` once the transaction commits;
beat also runs it every minute. ``notification_emails_deliver`` leases pending
rows (``email_lease_until``), sends each with Django's mail outside any
transaction, and marks it sent only if it still holds the lease. A worker
killed mid-send leaves a lease that expires; the next run reclaims it.

The task lives here, not in ``crm/tasks.py``, because ``crm.notifications``
publishes it while the other crm tasks call services that raise notifications:
one module for all would be an import loop. ``crm/tasks.py`` imports it so that
every crm task is registered from the one module Celery discovers.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from crm.models import Notification

logger = logging.getLogger(__name__)

DELIVERY_BATCH = 50


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.KEFU_NOTIFICATION_LEASE_SECONDS)


def max_attempts() -> int:
    return settings.KEFU_NOTIFICATION_MAX_ATTEMPTS


def _claim_emails(
    now: datetime, batch: int, exclude: set[int] | frozenset[int] = frozenset()
) -> list[tuple[int, datetime]]:
    """Lease up to ``batch`` pending e-mails; returns (id, lease token) pairs."""
    lease_until = now + lease_duration()
    expired = Q(email_lease_until__isnull=True) | Q(email_lease_until__lt=now)
    with transaction.atomic():
        # Rows whose workers died on every attempt: stop trying.
        Notification.objects.filter(
            expired,
            email_status=Notification.EmailStatus.PENDING,
            email_attempts__gte=max_attempts(),
        ).update(email_status=Notification.EmailStatus.FAILED, email_lease_until=None)
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(expired, email_status=Notification.EmailStatus.PENDING)
            .exclude(pk__in=exclude)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if ids:
            Notification.objects.filter(pk__in=ids).update(
                email_lease_until=lease_until, email_attempts=F("email_attempts") + 1
            )
    return [(pk, lease_until) for pk in ids]


def _message(row: Notification) -> EmailMessage:
    body = row.body
    if row.link:
        base = settings.KEFU_BASE_URL.rstrip("/")
        body = f"{body}\n\n{base}{row.link}".strip()
    # A stable Message-ID lets the receiving side drop the duplicate of the one
    # case no outbox can rule out: the SMTP server accepted the message and the
    # worker died before it could mark the row sent.
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "kefu.local"
    return EmailMessage(
        subject=row.title,
        body=body,
        to=[row.recipient.email],
        headers={"Message-ID": f"<notification-{row.pk}@{domain}>"},
    )


def notification_emails_deliver(
    *, now: datetime | None = None, batch: int = DELIVERY_BATCH
) -> int:
    """Send pending notification e-mails; returns how many were sent.

    Each row is leased before sending and marked sent only by the lease holder;
    a failure frees the lease for the next run (not this one: a broken mail
    server does not burn all attempts in a second), and after
    ``KEFU_NOTIFICATION_MAX_ATTEMPTS`` attempts the row is marked failed.
    """
    sent = 0
    tried: set[int] = set()
    while True:
        claimed = _claim_emails(now or timezone.now(), batch, exclude=tried)
        if not claimed:
            return sent
        tried.update(pk for pk, _lease in claimed)
        sent += _deliver_claimed(claimed)
        if len(claimed) < batch:
            return sent


def _deliver_claimed(claimed: list[tuple[int, datetime]]) -> int:
    """Send the leased rows; returns how many this worker marked sent."""
    sent = 0
    rows = Notification.objects.select_related("recipient").in_bulk(
        [pk for pk, _lease in claimed]
    )
    for pk, lease in claimed:
        row = rows[pk]
        mine = Notification.objects.filter(
            pk=pk,
            email_status=Notification.EmailStatus.PENDING,
            email_lease_until=lease,
        )
        if not row.recipient.email:
            mine.update(
                email_status=Notification.EmailStatus.SKIPPED, email_lease_until=None
            )
            continue
        if not mine.exists():  # our lease expired and another worker took the row
            continue
        try:
            _message(row).send()
        except Exception:
            logger.exception("notification e-mail %s failed", pk)
            failed = row.email_attempts >= max_attempts()  # counts this one
            mine.update(
                email_lease_until=None,
                email_status=Notification.EmailStatus.FAILED
                if failed
                else Notification.EmailStatus.PENDING,
            )
            continue
        sent += mine.update(
            email_status=Notification.EmailStatus.SENT,
            emailed_at=timezone.now(),
            email_lease_until=None,
        )
    return sent


@shared_task(name="crm.deliver_notification_emails")
def deliver_notification_emails() -> int:
    return notification_emails_deliver()
