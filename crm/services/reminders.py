"""Revisit reminders and the e-mail outbox of notifications.

The database is the source of truth (DESIGN §3; Celery's docs warn that long
``eta`` tasks on Redis are redelivered past the visibility timeout and that broker
restarts lose or duplicate messages). So there are no per-reminder ETA tasks:

* ``revisit_sweep`` (beat, every minute) claims due revisits with
  ``SELECT ... FOR UPDATE SKIP LOCKED``, raises the reminders through
  ``crm.notifications.notify_many`` (unique key per revisit, kind and due time) and
  stamps ``reminded_at`` / ``escalated_at`` in the same transaction. A second or
  concurrent sweep skips the locked rows and no longer selects stamped ones.
* ``notification_emails_deliver`` leases pending e-mail rows (``email_lease_until``),
  sends each with Django's mail outside any transaction, and marks it sent only if
  it still holds the lease. A worker killed mid-send leaves a lease that expires;
  the next run (enqueued on commit, and every minute by beat) reclaims it.

On SQLite ``select_for_update`` is a no-op; SQLite serialises writers anyway, and
the unique notification key still makes a reminder exist once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from crm import selectors
from crm.models import Notification, Revisit
from crm.notifications import notify_many

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200
DELIVERY_BATCH = 50


def remind_before() -> timedelta:
    value = getattr(settings, "KEFU_REVISIT_REMIND_BEFORE", timedelta(hours=1))
    return value if isinstance(value, timedelta) else timedelta(minutes=int(value))


def lease_duration() -> timedelta:
    return timedelta(seconds=getattr(settings, "KEFU_NOTIFICATION_LEASE_SECONDS", 300))


def max_attempts() -> int:
    return getattr(settings, "KEFU_NOTIFICATION_MAX_ATTEMPTS", 5)


def _stamp(revisit: Revisit) -> int:
    # The due time is part of the key: a rescheduled revisit is reminded again.
    return int(revisit.due_at.timestamp())


def _link(revisit: Revisit) -> str:
    try:
        return reverse("admin:crm_revisit_change", args=[revisit.pk])
    except NoReverseMatch:
        return ""


def _supervisor_of(revisit: Revisit):
    """Who hears of an overdue revisit: the assignee's supervisor (or team
    supervisor), else the manager of the customer's department."""
    assignee = revisit.assignee
    if assignee is not None:
        if assignee.supervisor_id and assignee.supervisor_id != assignee.pk:
            return assignee.supervisor
        team = assignee.team
        if (
            team is not None
            and team.supervisor_id
            and team.supervisor_id != assignee.pk
        ):
            return team.supervisor
    department = revisit.customer.department
    if department is not None and department.manager_id:
        return department.manager
    return None


def _claim(queryset, batch: int) -> list[Revisit]:
    return list(
        queryset.select_for_update(skip_locked=True, of=("self",))
        .select_related(
            "customer__department__manager",
            "assignee__supervisor",
            "assignee__team__supervisor",
        )
        .order_by("due_at", "pk")[:batch]
    )


def _due_soon_batch(now: datetime, batch: int) -> tuple[int, int]:
    """Claim one batch of revisits to remind; returns (claimed, notifications)."""
    items = []
    with transaction.atomic():
        rows = _claim(selectors.revisits_to_remind(until=now + remind_before()), batch)
        for revisit in rows:
            recipient = revisit.assignee or (
                revisit.customer.department.manager
                if revisit.customer.department_id
                else None
            )
            if recipient is None:
                continue
            with override(settings.LANGUAGE_CODE):
                due = timezone.localtime(revisit.due_at).strftime("%Y-%m-%d %H:%M")
                title = _("Revisit due %(due)s: %(customer)s") % {
                    "due": due,
                    "customer": revisit.customer.name,
                }
                body = _("%(purpose)s by %(method)s, due %(due)s.") % {
                    "purpose": revisit.get_purpose_display(),
                    "method": revisit.get_method_display(),
                    "due": due,
                }
            items.append(
                {
                    "recipient": recipient,
                    "kind": "revisit_due_soon",
                    "title": title,
                    "body": body,
                    "link": _link(revisit),
                    "key": f"revisit:{revisit.pk}:due_soon:{_stamp(revisit)}",
                }
            )
        raised = notify_many(items)
        Revisit.objects.filter(pk__in=[r.pk for r in rows]).update(reminded_at=now)
    return len(rows), raised


def _overdue_batch(now: datetime, batch: int) -> tuple[int, int]:
    items = []
    with transaction.atomic():
        rows = _claim(selectors.revisits_to_escalate(now=now), batch)
        for revisit in rows:
            supervisor = _supervisor_of(revisit)
            if supervisor is None:
                continue
            with override(settings.LANGUAGE_CODE):
                title = _("Revisit overdue: %(customer)s (%(assignee)s)") % {
                    "customer": revisit.customer.name,
                    "assignee": revisit.assignee or _("unassigned"),
                }
                body = _("%(purpose)s was due %(due)s and is not done.") % {
                    "purpose": revisit.get_purpose_display(),
                    "due": timezone.localtime(revisit.due_at).strftime(
                        "%Y-%m-%d %H:%M"
                    ),
                }
            items.append(
                {
                    "recipient": supervisor,
                    "kind": "revisit_overdue",
                    "title": title,
                    "body": body,
                    "link": _link(revisit),
                    "key": f"revisit:{revisit.pk}:overdue:{_stamp(revisit)}",
                }
            )
        raised = notify_many(items)
        Revisit.objects.filter(pk__in=[r.pk for r in rows]).update(escalated_at=now)
    return len(rows), raised


def revisit_sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """Raise due-soon reminders and overdue escalations; returns how many
    notifications this call created. Safe to run twice or concurrently."""
    now = now or timezone.now()
    raised = 0
    for step in (_due_soon_batch, _overdue_batch):
        while True:
            claimed, created = step(now, batch)
            raised += created
            if claimed < batch:
                break
    return raised


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
        base = getattr(settings, "KEFU_BASE_URL", "").rstrip("/")
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


@transaction.atomic
def notification_mark_read(*, actor, notifications) -> int:
    """Mark the actor's own notifications read; returns how many changed."""
    ids = [n.pk for n in notifications]
    return Notification.objects.filter(
        pk__in=ids, recipient=actor, read_at__isnull=True
    ).update(read_at=timezone.now())
