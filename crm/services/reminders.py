"""Revisit reminders (the sweep) and marking notifications read.

The database is the source of truth (DESIGN §3; Celery's docs warn that long
``eta`` tasks on Redis are redelivered past the visibility timeout and that broker
restarts lose or duplicate messages). So there are no per-reminder ETA tasks:

* ``revisit_sweep`` (beat, every minute) claims due revisits with
  ``SELECT ... FOR UPDATE SKIP LOCKED``, raises the reminders through
  ``crm.notifications.notify_many`` (unique key per revisit, kind and due time) and
  stamps ``reminded_at`` / ``escalated_at`` in the same transaction. A second or
  concurrent sweep skips the locked rows and no longer selects stamped ones.
* The e-mails of those notifications go out through the outbox of
  ``crm.notification_emails``.

On SQLite ``select_for_update`` is a no-op; SQLite serialises writers anyway, and
the unique notification key still makes a reminder exist once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from crm import selectors
from crm.models import Notification, Revisit
from crm.notifications import enqueue_delivery_on_commit, notify_many

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200


def remind_before() -> timedelta:
    value = settings.KEFU_REVISIT_REMIND_BEFORE
    return value if isinstance(value, timedelta) else timedelta(minutes=int(value))


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


@transaction.atomic
def notification_mark_read(*, actor, notifications) -> int:
    """Mark the actor's own notifications read; returns how many changed."""
    ids = [n.pk for n in notifications]
    return Notification.objects.filter(
        pk__in=ids, recipient=actor, read_at__isnull=True
    ).update(read_at=timezone.now())


@transaction.atomic
def notification_email_retry(*, actor, notifications) -> int:
    """Send failed e-mails again (the admin's action): back to pending with a
    fresh count of attempts, delivery published on commit. Rows that are not
    failed are left alone; returns how many were rescheduled."""
    count = Notification.objects.filter(
        pk__in=[n.pk for n in notifications],
        email_status=Notification.EmailStatus.FAILED,
    ).update(
        email_status=Notification.EmailStatus.PENDING,
        email_attempts=0,
        email_lease_until=None,
        email_lease_token=None,
    )
    if count:
        enqueue_delivery_on_commit()
    return count
