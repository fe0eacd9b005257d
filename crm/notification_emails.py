"""The e-mail outbox of notifications: its delivery and the Celery task.

``crm.notifications.notify`` writes a row with ``email_status=pending`` and
publishes ``crm.deliver_notification_emails`` once the transaction commits;
beat also runs it every minute. ``notification_emails_deliver`` claims pending
rows under a lease (``config.outbox``: ``email_lease_until`` and
``email_lease_token``), sends each with Django's mail outside any transaction
(with the row's attachments, ``NotificationAttachment``, read with the batch),
and records the result only while it still holds the lease.

An attempt is counted when the send of *that row* starts (a conditional UPDATE
on the lease token that also renews the row's lease for the send), not when a
batch is claimed: a worker killed in the middle of a batch costs an attempt to
the row it was sending only, and the rest of the batch is claimed again, intact,
once the lease expires. Rows whose send was started before (after a crash or an
SMTP error) are claimed one at a time, after the fresh ones, so a message that
kills the worker (poison) runs alone and, after
``KEFU_NOTIFICATION_MAX_ATTEMPTS`` started sends, is marked failed without
costing anything to other rows. Failed rows can be sent again from the admin
(``crm.notifications.notification_email_retry``).

The task lives here, not in ``crm/tasks.py``, because ``crm.notifications``
publishes it while the other crm tasks call services that raise notifications:
one module for all would be an import loop. ``crm/tasks.py`` imports it so that
every crm task is registered from the one module Celery discovers.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F
from django.utils import timezone

from config.outbox import Lease, OutboxFields, outbox_claim, outbox_update
from crm.models import Notification

logger = logging.getLogger(__name__)

DELIVERY_BATCH = 50
LEASE = OutboxFields(until="email_lease_until", token="email_lease_token")


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.KEFU_NOTIFICATION_LEASE_SECONDS)


def max_attempts() -> int:
    return settings.KEFU_NOTIFICATION_MAX_ATTEMPTS


def _give_up_exhausted(now: datetime) -> int:
    """Rows whose every allowed send was started and none recorded (the worker
    died each time: poison) or failed: stop trying."""
    return Notification.objects.filter(
        LEASE.free(now),
        email_status=Notification.EmailStatus.PENDING,
        email_attempts__gte=max_attempts(),
    ).update(
        email_status=Notification.EmailStatus.FAILED,
        email_lease_until=None,
        email_lease_token=None,
    )


def _claim_emails(
    now: datetime, batch: int, exclude: set[int] | frozenset[int] = frozenset()
) -> list[Lease]:
    """Lease pending e-mails: up to ``batch`` never-tried ones, or else one
    whose send was started before (alone: it may be the one that crashes)."""
    due = (
        Notification.objects.filter(
            email_status=Notification.EmailStatus.PENDING,
            email_attempts__lt=max_attempts(),
        )
        .exclude(pk__in=exclude)
        .order_by("pk")
    )
    seconds = lease_duration().total_seconds()
    leases = outbox_claim(
        due.filter(email_attempts=0),
        now=now,
        seconds=seconds,
        limit=batch,
        fields=LEASE,
    )
    if not leases:
        leases = outbox_claim(
            due.filter(email_attempts__gt=0),
            now=now,
            seconds=seconds,
            limit=1,
            fields=LEASE,
        )
    return leases


def _message(row: Notification) -> EmailMessage:
    body = row.body
    if row.link:
        base = settings.KEFU_BASE_URL.rstrip("/")
        body = f"{body}\n\n{base}{row.link}".strip()
    # A stable Message-ID lets the receiving side drop the duplicate of the one
    # case no outbox can rule out: the SMTP server accepted the message and the
    # worker died before it could mark the row sent.
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "kefu.local"
    message = EmailMessage(
        subject=row.title,
        body=body,
        to=[row.recipient.email],
        headers={"Message-ID": f"<notification-{row.pk}@{domain}>"},
    )
    for attachment in row.attachments.all():  # prefetched with the batch
        message.attach(
            attachment.filename, bytes(attachment.content), attachment.content_type
        )
    return message


def notification_emails_deliver(
    *,
    now: datetime | None = None,
    batch: int = DELIVERY_BATCH,
    budget_seconds: float | None = None,
) -> int:
    """Send pending notification e-mails; returns how many were sent.

    Each row is sent only by the holder of its lease and recorded only while
    it still holds it; a failure frees the lease for the next run (not this
    one: a broken mail server does not burn all attempts in a second), and
    after ``KEFU_NOTIFICATION_MAX_ATTEMPTS`` started sends the row is failed.
    With ``budget_seconds`` (the task passes what its soft time limit leaves)
    no send starts after the budget; the rows left are released for the next
    run.
    """
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    sent = 0
    tried: set[int] = set()
    _give_up_exhausted(now or timezone.now())
    while deadline is None or time.monotonic() < deadline:
        claimed = _claim_emails(now or timezone.now(), batch, exclude=tried)
        if not claimed:
            return sent
        tried.update(lease.pk for lease in claimed)
        sent += _deliver_claimed(claimed, deadline=deadline)
    return sent


def _start_send(lease: Lease) -> bool:
    """Count the attempt of this row and renew its lease for the send, if the
    lease is still ours and running."""
    now = timezone.now()
    return bool(
        Notification.objects.filter(
            pk=lease.pk,
            email_status=Notification.EmailStatus.PENDING,
            email_lease_token=lease.token,
            email_lease_until__gt=now,
        ).update(
            email_attempts=F("email_attempts") + 1,
            email_lease_until=now + lease_duration(),
        )
    )


def _deliver_claimed(claimed: list[Lease], deadline: float | None = None) -> int:
    """Send the leased rows; returns how many this worker marked sent. Past
    ``deadline`` (``time.monotonic()``), the rows not started are released."""
    sent = 0
    rows = (
        Notification.objects.select_related("recipient")
        .prefetch_related("attachments")
        .in_bulk([lease.pk for lease in claimed])
    )
    for lease in claimed:
        row = rows.get(lease.pk)
        if row is None:
            continue
        if not row.recipient.email:
            outbox_update(
                Notification,
                lease,
                release=True,
                fields=LEASE,
                email_status=Notification.EmailStatus.SKIPPED,
            )
            continue
        if deadline is not None and time.monotonic() >= deadline:
            outbox_update(Notification, lease, release=True, fields=LEASE)
            continue
        if not _start_send(lease):  # our lease expired; another worker has it
            continue
        attempts = row.email_attempts + 1
        try:
            _message(row).send()
        except SoftTimeLimitExceeded:
            raise  # out of time: not the message's fault; the lease expires
        except Exception:
            logger.exception("notification e-mail %s failed", row.pk)
            outbox_update(
                Notification,
                lease,
                release=True,
                fields=LEASE,
                email_status=Notification.EmailStatus.FAILED
                if attempts >= max_attempts()
                else Notification.EmailStatus.PENDING,
            )
            continue
        sent += outbox_update(
            Notification,
            lease,
            release=True,
            fields=LEASE,
            email_status=Notification.EmailStatus.SENT,
            emailed_at=timezone.now(),
        )
    return sent


# Seconds kept between the last send a run starts and its soft time limit (one
# SMTP exchange, EMAIL_TIMEOUT, and the database work around it).
EMAIL_SEND_MARGIN = 30


@shared_task(bind=True, name="crm.deliver_notification_emails")
def deliver_notification_emails(self) -> int:
    soft = self.soft_time_limit or self.app.conf.task_soft_time_limit
    budget = soft - EMAIL_SEND_MARGIN if soft else None
    return notification_emails_deliver(budget_seconds=budget)
