"""Notifications to staff: one call raises one, exactly once per key.

``notify`` is what every app calls (SLA warnings, revisit reminders, certificate
expiry). It writes the row in the caller's transaction, so the notification
exists if and only if its cause committed; the e-mail goes out later from the
outbox (``Notification.email_status``), delivered by a Celery task
(``crm.notification_emails``).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _

from crm.models import Notification, NotificationAttachment
from crm.notification_emails import deliver_notification_emails

# What each ``kind`` passed to ``notify`` is called on screen (the code stays in
# the row: filters and the API use it). The kinds of every app are named here, as
# plain codes: a label is data, not a dependency on the app that raises it.
KIND_LABELS = {
    "complaint_assigned": _("complaint assigned"),
    "complaint_escalated": _("complaint escalated"),
    "capa_assigned": _("corrective action assigned"),
    "kb_review_due": _("knowledge article to review"),
    "kpi_monthly_report": _("monthly KPI report"),
    "audit_opened": _("service-standard audit opened"),
    "product_issue": _("product problem"),
    "qa_failed": _("quality inspection below the pass mark"),
    "qa_samples_drawn": _("complaints to inspect"),
    "sla_warned": _("SLA warning"),
    "sla_breached": _("SLA breached"),
    "revisit_due_soon": _("revisit due soon"),
    "revisit_overdue": _("revisit overdue"),
    "training.assignment": _("training assigned"),
    "training.certification_expiring": _("certificate expiring"),
    "aftersales_visit": _("after-sales visit tomorrow"),
}


@dataclass(frozen=True)
class EmailAttachment:
    """A file to attach to a notification's e-mail."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


def kind_label(kind: str) -> str:
    """The label of a notification kind (the code itself when unknown)."""
    return str(KIND_LABELS.get(kind, kind))


def _enqueue_delivery() -> None:
    deliver_notification_emails.delay()


_deferred: ContextVar[bool] = ContextVar("kefu_delivery_deferred", default=False)


@contextmanager
def deliveries_deferred():
    """Bulk jobs (``seed_demo``, imports) raise notifications in many small
    transactions; publish one delivery task at the end instead of one per
    transaction, so the queue is not flooded with redundant messages that
    delay every other job."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)
        transaction.on_commit(_enqueue_delivery, robust=True)


def enqueue_delivery_on_commit() -> None:
    """Publish one delivery task after the current transaction commits.

    One per transaction, however many notifications it raised (the task sends all
    pending rows). A lost publish only delays the e-mail until beat's next run.
    """
    if _deferred.get():
        return
    current = set(connection.savepoint_ids)
    for sids, func, _robust in getattr(connection, "run_on_commit", []):
        if func is _enqueue_delivery and sids <= current:
            return
    transaction.on_commit(_enqueue_delivery, robust=True)


def notification_raised(key: str) -> bool:
    """Whether the notification ``key`` exists (lets a caller skip building
    an expensive attachment that ``notify`` would not store)."""
    return Notification.objects.filter(key=key).exists()


def notify(
    *,
    recipient,
    kind: str,
    title: str,
    key: str,
    body: str = "",
    link: str = "",
    email: bool = True,
    attachments: Sequence[EmailAttachment] = (),
) -> tuple[Notification, bool]:
    """Raise the notification ``key`` for ``recipient``; return (row, created).

    A second call with the same key returns the existing row and creates nothing.
    ``attachments`` go with the e-mail; they are stored with the row, in the
    same savepoint (both or neither), and only when an e-mail is to be sent.
    """
    existing = Notification.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    status = (
        Notification.EmailStatus.PENDING
        if email and recipient.email
        else Notification.EmailStatus.SKIPPED
    )
    try:
        with transaction.atomic():
            row = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                title=title[:200],
                body=body,
                link=link,
                key=key,
                email_status=status,
            )
            if status == Notification.EmailStatus.PENDING and attachments:
                NotificationAttachment.objects.bulk_create(
                    NotificationAttachment(
                        notification=row,
                        filename=a.filename,
                        content=a.content,
                        content_type=a.content_type,
                    )
                    for a in attachments
                )
    except IntegrityError:
        # A concurrent caller raised the same key first.
        return Notification.objects.get(key=key), False
    if status == Notification.EmailStatus.PENDING:
        enqueue_delivery_on_commit()
    return row, True


def notify_many(items: list[dict]) -> int:
    """Raise many notifications at once (each dict: the arguments of ``notify``).

    One query to skip keys that exist, one bulk insert that ignores keys a
    concurrent caller inserted meanwhile: still exactly once per key. Returns how
    many this call inserted (not counting those lost to a concurrent caller).
    """
    if not items:
        return 0
    keys = [item["key"] for item in items]
    existing = set(
        Notification.objects.filter(key__in=keys).values_list("key", flat=True)
    )
    rows, seen = [], set()
    for item in items:
        if item["key"] in existing or item["key"] in seen:
            continue
        seen.add(item["key"])
        recipient = item["recipient"]
        rows.append(
            Notification(
                recipient=recipient,
                kind=item["kind"],
                title=item["title"][:200],
                body=item.get("body", ""),
                link=item.get("link", ""),
                key=item["key"],
                email_status=Notification.EmailStatus.PENDING
                if item.get("email", True) and recipient.email
                else Notification.EmailStatus.SKIPPED,
            )
        )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    if any(r.email_status == Notification.EmailStatus.PENDING for r in rows):
        enqueue_delivery_on_commit()
    return len(rows)
