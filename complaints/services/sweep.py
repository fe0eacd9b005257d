"""The SLA sweep: warn at the policy's warning point, breach at the due time.

Run every minute by beat (task ``complaints.sla_sweep``). Each target is handled
in its own short transaction; a conditional UPDATE marks it (``warned_at`` /
``breached_at`` still NULL), so a warning or breach is recorded, notified and
escalated exactly once even when two sweeps run at the same time or one runs
twice. Notifications carry unique keys too (``crm.notifications.notify``).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from complaints import selectors
from complaints.models import Complaint, SlaTarget
from complaints.services import clock, sla
from complaints.services.assignment import escalate_locked
from complaints.services.common import save
from crm.notifications import notify

BATCH = 1000


def _batch(targets) -> list[tuple[int, int]]:
    """(target id, complaint id) pairs of the first ``BATCH`` of ``targets``."""
    return list(targets.values_list("pk", "complaint_id")[:BATCH])


def _lock_complaint(complaint_id: int) -> Complaint:
    # Lock order complaint → target, as in every lifecycle service (no deadlock).
    return Complaint.objects.select_for_update().get(pk=complaint_id)


def _recipient(complaint):
    if complaint.assignee_id:
        return complaint.assignee
    team = complaint.team
    return team.supervisor if team and team.supervisor_id else None


def _notify(target: SlaTarget, *, what: str) -> None:
    complaint = target.complaint
    recipient = _recipient(complaint)
    if recipient is None:
        return
    title = (
        _("SLA warning: %(target)s of %(ref)s is due soon")
        if what == "warned"
        else _("SLA breached: %(target)s of %(ref)s is overdue")
    ) % {"target": target.get_kind_display(), "ref": complaint.reference}
    notify(
        recipient=recipient,
        kind=f"sla_{what}",
        title=title,
        body=complaint.subject,
        link=complaint.get_absolute_url(),
        key=f"sla:{target.pk}:{what}",
    )


def sla_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Mark due warnings and breaches; returns how many this run marked."""
    now = now or clock.now()
    counts = {"warned": 0, "breached": 0}
    for target_id, complaint_id in _batch(selectors.sla_targets_to_warn(now=now)):
        with transaction.atomic():
            _lock_complaint(complaint_id)
            target = sla.sla_mark_warned(target_id=target_id, now=now)
            if target is not None:
                _notify(target, what="warned")
                counts["warned"] += 1
    for target_id, complaint_id in _batch(selectors.sla_targets_to_breach(now=now)):
        with transaction.atomic():
            locked = _lock_complaint(complaint_id)
            target = sla.sla_mark_breached(target_id=target_id, now=now)
            if target is None:
                continue
            counts["breached"] += 1
            _notify(target, what="breached")
            fields = escalate_locked(
                locked,
                actor=None,
                reason=_("SLA breached: %(target)s")
                % {"target": target.get_kind_display()},
                key=f"sla:{target.pk}:escalated",
            )
            save(locked, fields)
    return counts
