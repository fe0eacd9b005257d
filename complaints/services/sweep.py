"""The SLA sweep: warn at the policy's warning point, breach at the due time.

Run every minute by beat (task ``complaints.sla_sweep``). What is due is read
from the partial indexes (``selectors.sla_targets_to_warn`` / ``_to_breach``,
at most ``BATCH`` a run) and marked in chunks of ``CHUNK`` clocks, one short
transaction each: the chunk's complaints are locked (in id order, so two sweeps
never deadlock; lock order complaint → target as in every lifecycle service),
the clocks still unmarked are re-checked under their row locks and marked in one
UPDATE (``sla.sla_mark_many``), then their events, notifications and — for
breaches — escalations are written in bulk. A warning or breach is therefore
recorded, notified and escalated exactly once even when two sweeps run at the
same time or one runs twice; notifications carry unique keys too
(``crm.notifications.notify_many``). Marking 1,000 clocks costs a few dozen
queries instead of twenty per clock. A complaint another transaction holds is
skipped (``SKIP LOCKED``) and marked by the next run, so the sweep never waits
while holding locks; a chunk that fails is redone clock by clock, so one clock
that cannot be marked holds back nothing else (it is logged).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import InterfaceError, OperationalError, transaction
from django.utils.translation import gettext as _

from complaints import selectors
from complaints.models import Complaint, SlaTarget
from complaints.services import clock, sla
from complaints.services.assignment import escalate_locked_many
from complaints.services.common import save_many
from crm.notifications import notify_many

logger = logging.getLogger(__name__)

BATCH = 1000
CHUNK = 100


def _batch(targets) -> list[tuple[int, int]]:
    """(target id, complaint id) pairs of the first ``BATCH`` of ``targets``."""
    return list(targets.values_list("pk", "complaint_id")[:BATCH])


def _lock_complaints(ids) -> dict[int, Complaint]:
    """The complaints ``ids`` that are free, locked in id order, with what the
    notices and escalations read (assignee, team supervisor, department
    manager). A complaint another transaction holds is skipped (SKIP LOCKED):
    the sweep never waits while holding the chunk's locks — which could
    deadlock with a writer of several complaints in another order — and its
    clocks are marked by the next run."""
    return {
        c.pk: c
        for c in Complaint.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(pk__in=sorted(set(ids)))
        .select_related("assignee", "team__supervisor", "department__manager")
        .order_by("pk")
    }


def _recipient(complaint):
    if complaint.assignee_id:
        return complaint.assignee
    team = complaint.team
    return team.supervisor if team and team.supervisor_id else None


def _notice(target: SlaTarget, complaint: Complaint, *, what: str) -> dict | None:
    recipient = _recipient(complaint)
    if recipient is None:
        return None
    title = (
        _("SLA warning: %(target)s of %(ref)s is due soon")
        if what == "warned"
        else _("SLA breached: %(target)s of %(ref)s is overdue")
    ) % {"target": target.get_kind_display(), "ref": complaint.reference}
    return {
        "recipient": recipient,
        "kind": f"sla_{what}",
        "title": title,
        "body": complaint.subject,
        "link": complaint.get_absolute_url(),
        "key": f"sla:{target.pk}:{what}",
    }


def sla_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Mark due warnings and breaches; returns how many this run marked."""
    now = now or clock.now()
    counts = {"warned": 0, "breached": 0}
    for what, due in (
        ("warned", selectors.sla_targets_to_warn(now=now)),
        ("breached", selectors.sla_targets_to_breach(now=now)),
    ):
        pairs = _batch(due)
        for start in range(0, len(pairs), CHUNK):
            counts[what] += _mark_isolated(
                pairs[start : start + CHUNK], now=now, what=what
            )
    return counts


def _mark_isolated(pairs: list[tuple[int, int]], *, now: datetime, what: str) -> int:
    """The chunk in one transaction; if it fails, its clocks one by one, so a
    clock that cannot be marked holds back neither its chunk nor the rest of
    the run (it is logged and tried again by the next run)."""
    try:
        return _mark_chunk(pairs, now=now, what=what)
    except (OperationalError, InterfaceError):
        raise  # the database or the connection: nothing one by one would fix
    except Exception:
        if len(pairs) == 1:
            logger.exception("SLA sweep: clock %s not marked %s", pairs[0][0], what)
            return 0
    return sum(_mark_isolated([pair], now=now, what=what) for pair in pairs)


@transaction.atomic
def _mark_chunk(pairs: list[tuple[int, int]], *, now: datetime, what: str) -> int:
    complaints = _lock_complaints(complaint_id for _t, complaint_id in pairs)
    marked = sla.sla_mark_many(
        target_ids=[t for t, c in pairs if c in complaints], now=now, what=what
    )
    notices = [_notice(t, complaints[t.complaint_id], what=what) for t in marked]
    notify_many([n for n in notices if n is not None])
    if what == "breached" and marked:
        escalate_locked_many(
            [
                (
                    complaints[t.complaint_id],
                    _("SLA breached: %(target)s") % {"target": t.get_kind_display()},
                    f"sla:{t.pk}:escalated",
                )
                for t in marked
            ],
            actor=None,
        )
        save_many(
            [complaints[pk] for pk in dict.fromkeys(t.complaint_id for t in marked)],
            ["escalation_level", "escalated_at"],
        )
    return len(marked)
