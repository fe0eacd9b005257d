"""Delivery of messages to customers: the outbox sweep and its Celery task.

``complaints.services.customer_messages`` writes ``CustomerMessage`` rows in the
transaction of their cause and publishes ``complaints.deliver_customer_messages``
once it commits (beat also runs it every minute). The task lives here, beside
the code that delivers, so that the queueing module can publish it without an
import loop; ``complaints/tasks.py`` imports it.

Reuses ``config.outbox`` (no lease logic of its own): one row per lease; the
attempt counted and the row marked ``sending`` when its send starts (a
conditional UPDATE on the token that renews the lease); the result recorded
only while the lease is still ours. A failure returns the row to ``pending``
with a back-off (never into quiet hours); after ``KEFU_MESSAGE_MAX_ATTEMPTS``
started sends it is ``failed``. Sent and failed messages are written on the
complaint's timeline (events ``message_sent`` / ``message_failed``); a
message about no complaint (issue 17) keeps its result on its own row.
"""

from __future__ import annotations

import logging
import time as monotonic_time
from datetime import datetime, time, timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from complaints.channels import Outgoing, backend_for
from complaints.models import ComplaintEvent, CustomerMessage, MessageChannel, Severity
from complaints.services.events import event_record
from complaints.services.links import outbound_message_id
from config.outbox import Lease, outbox_claim, outbox_held, outbox_update

logger = logging.getLogger(__name__)

C = MessageChannel
MS = CustomerMessage.Status
EK = ComplaintEvent.Kind


# --- quiet hours ------------------------------------------------------------------


def release_time(channel: str, severity: str, now: datetime) -> datetime | None:
    """When a message queued at ``now`` may go: None (at once) for e-mail, for
    urgent complaints and outside quiet hours; else the end of the quiet hours
    (08:00 local)."""
    if channel == C.EMAIL or severity == Severity.URGENT:
        return None
    start, end = settings.KEFU_QUIET_HOURS_START, settings.KEFU_QUIET_HOURS_END
    local = timezone.localtime(now)
    if start > end:
        quiet = local.hour >= start or local.hour < end
    else:
        quiet = start <= local.hour < end
    if not quiet:
        return None
    day = local.date() if local.hour < end else local.date() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(end)))


# --- delivery ---------------------------------------------------------------------


def _lease_seconds() -> float:
    return float(settings.KEFU_MESSAGE_LEASE_SECONDS)


def _max_attempts() -> int:
    return settings.KEFU_MESSAGE_MAX_ATTEMPTS


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def _retry_at(row: CustomerMessage, attempts: int) -> datetime:
    """After a failed send: a back-off, and never into quiet hours."""
    retry = timezone.now() + _backoff(attempts)
    return release_time(row.channel, _severity(row), retry) or retry


def _severity(row: CustomerMessage) -> str:
    return row.complaint.severity if row.complaint_id else ""


def _record_result(row: CustomerMessage, *, sent: bool, error: str = "") -> None:
    if row.complaint_id is None:
        return  # about no complaint: the row's status and error are the record
    event_record(
        complaint=row.complaint,
        kind=EK.MESSAGE_SENT if sent else EK.MESSAGE_FAILED,
        note=error,
        data={
            "message_id": row.pk,
            "kind": row.kind,
            "channel": row.channel,
            "reply_id": row.reply_id,
        },
    )


def _give_up_exhausted(now: datetime) -> int:
    """Rows whose every allowed send started and none was recorded (the worker
    died each time): failed, with an event."""
    rows = list(
        CustomerMessage.objects.filter(
            Q(lease_until__isnull=True) | Q(lease_until__lte=now),
            status__in=(MS.PENDING, MS.SENDING),
            attempts__gte=_max_attempts(),
        ).select_related("complaint")
    )
    for row in rows:
        with transaction.atomic():
            if CustomerMessage.objects.filter(
                Q(lease_until__isnull=True) | Q(lease_until__lte=now),
                pk=row.pk,
                status__in=(MS.PENDING, MS.SENDING),
            ).update(status=MS.FAILED, lease_until=None, lease_token=None):
                _record_result(row, sent=False, error=row.last_error or "gave up")
    return len(rows)


def _due(at: datetime):
    """The messages due at ``at``, oldest first. Ordered by ``pk`` alone: the
    run walks them with a keyset cursor (``pk > last``), which needs a key that
    does not change when a row is attempted (``attempts`` does)."""
    return CustomerMessage.objects.filter(
        Q(not_before__isnull=True) | Q(not_before__lte=at),
        status__in=(MS.PENDING, MS.SENDING),
        attempts__lt=_max_attempts(),
    ).order_by("pk")


def _start_send(lease: Lease) -> bool:
    """Count the attempt, mark the row sending and renew its lease, if the
    lease is still ours and running."""
    now = timezone.now()
    return bool(
        CustomerMessage.objects.filter(
            pk=lease.pk,
            status__in=(MS.PENDING, MS.SENDING),
            lease_token=lease.token,
            lease_until__gt=now,
        ).update(
            status=MS.SENDING,
            attempts=F("attempts") + 1,
            lease_until=now + timedelta(seconds=_lease_seconds()),
        )
    )


def _outgoing(row: CustomerMessage) -> Outgoing:
    reference = row.complaint.reference if row.complaint_id else row.reference
    if row.channel == C.EMAIL:
        message_id = outbound_message_id(reference, f"m{row.pk}")
    else:
        message_id = f"kefu-{reference}-m{row.pk}"
    return Outgoing(
        channel=row.channel,
        address=row.address,
        subject=row.subject,
        body=row.body,
        message_id=message_id,
        reference=reference,
    )


def _deliver_one(lease: Lease, backend=None) -> int:
    row = (
        CustomerMessage.objects.select_related("complaint").filter(pk=lease.pk).first()
    )
    if row is None or not _start_send(lease):
        return 0
    attempts = row.attempts + 1
    try:
        provider_id = (backend or backend_for(row.channel)).send(_outgoing(row))
    except SoftTimeLimitExceeded:
        raise  # out of time: the lease expires and the row is sent again
    except Exception as exc:  # the provider refused or is unreachable
        logger.warning("customer message %s failed: %s", row.pk, exc)
        error = f"{type(exc).__name__}: {exc}"[:1000]
        failed = attempts >= _max_attempts()
        with transaction.atomic():
            # Only a row still being sent goes back to pending (or fails): one
            # withdrawn meanwhile (its visit cancelled) stays withdrawn.
            recorded = bool(
                outbox_held(CustomerMessage, lease)
                .filter(status=MS.SENDING)
                .update(
                    status=MS.FAILED if failed else MS.PENDING,
                    last_error=error,
                    not_before=row.not_before if failed else _retry_at(row, attempts),
                    lease_until=None,
                    lease_token=None,
                )
            )
            if not recorded:  # withdrawn: let the lease go, keep the status
                outbox_update(CustomerMessage, lease, release=True)
            if recorded and failed:
                _record_result(row, sent=False, error=error)
        return 0
    with transaction.atomic():
        recorded = outbox_update(
            CustomerMessage,
            lease,
            release=True,
            status=MS.SENT,
            provider_id=(provider_id or "")[:200],
            last_error="",
            sent_at=timezone.now(),
        )
        if recorded:
            _record_result(row, sent=True)
    return int(recorded)


def customer_messages_deliver(
    *,
    now: datetime | None = None,
    budget_seconds: float | None = None,
    backend=None,
) -> int:
    """Send the messages due at ``now`` (default: the current time); returns
    how many this run marked sent. Safe to run concurrently: each row is sent
    by the holder of its lease only (one row per lease). ``backend`` replaces
    the channels' backends (the demo's: nothing leaves the machine).

    A run claims the due rows one at a time in ``pk`` order behind a cursor
    (``pk > last claimed``), so it attempts each row at most once — a failed
    send made due again meanwhile waits for the next run — and each claim is
    the same bounded query however many rows the run has sent. A row the
    cursor passed while another worker held it is that worker's; a row that
    commits behind the cursor (a lower pk committed late) is left to the run
    its commit publishes, or to beat.
    """
    at = now or timezone.now()
    deadline = (
        None if budget_seconds is None else monotonic_time.monotonic() + budget_seconds
    )
    _give_up_exhausted(timezone.now())
    sent = 0
    last = 0  # the cursor: pks are positive
    while deadline is None or monotonic_time.monotonic() < deadline:
        leases = outbox_claim(
            _due(at).filter(pk__gt=last),
            now=timezone.now(),
            seconds=_lease_seconds(),
            limit=1,
        )
        if not leases:
            break
        last = leases[0].pk
        sent += _deliver_one(leases[0], backend)
    return sent


def customer_message_retry(*, actor, messages) -> int:
    """Send failed messages to customers again (administrators: the failed
    deliveries page): back to ``pending`` with a fresh count of attempts, not
    before the end of quiet hours, delivery published on commit. Messages of an
    erased customer and rows that are not failed are left alone; returns how
    many were rescheduled."""
    from complaints.services.permissions import require_role
    from crm.roles import Role

    require_role(actor, frozenset({Role.ADMIN}))
    now = timezone.now()
    count = 0
    with transaction.atomic():
        rows = (
            CustomerMessage.objects.select_for_update(of=("self",))
            .filter(pk__in=[m.pk for m in messages], status=MS.FAILED)
            .exclude(customer__is_anonymised=True)
            .select_related("complaint")
        )
        for row in rows:
            CustomerMessage.objects.filter(pk=row.pk, status=MS.FAILED).update(
                status=MS.PENDING,
                attempts=0,
                lease_until=None,
                lease_token=None,
                not_before=release_time(row.channel, _severity(row), now),
            )
            count += 1
        if count:
            transaction.on_commit(deliver_customer_messages.delay, robust=True)
    return count


# Seconds kept between the last send a run starts and its soft time limit (one
# provider exchange and the database work around it).
MESSAGE_SEND_MARGIN = 30


@shared_task(bind=True, name="complaints.deliver_customer_messages")
def deliver_customer_messages(self) -> int:
    """Send the due messages to customers (after each commit that queued one,
    and beat every minute); safe to run twice or concurrently (leases)."""
    soft = self.soft_time_limit or self.app.conf.task_soft_time_limit
    budget = soft - MESSAGE_SEND_MARGIN if soft else None
    return customer_messages_deliver(budget_seconds=budget)
