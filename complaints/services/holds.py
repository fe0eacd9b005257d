"""Hold and resume: waiting for the customer pauses every running SLA clock."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from complaints.models import Complaint
from complaints.services import clock, followups, permissions, sla
from complaints.services.common import S, lock, require_status, save, transition
from complaints.services.deadlines import _due_fields
from config.errors import InvalidInput


@transaction.atomic
def complaint_hold(
    *, actor, complaint: Complaint, reason: str, version: int | None = None
) -> Complaint:
    """Put on hold (waiting for the customer): every running SLA clock pauses."""
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.WORKERS)
    if not (reason or "").strip():
        raise InvalidInput(_("Say what you are waiting for."), field="reason")
    now = clock.now()
    previous = locked.status
    change = transition(locked, S.ON_HOLD, actor=actor, note=reason)
    locked.status_before_hold = previous
    locked.on_hold_since = now
    sla.sla_pause(complaint=locked, at=now, actor=actor)
    save(locked, ["status", "status_before_hold", "on_hold_since"], original=complaint)
    followups.on_status_changed(
        complaint=locked,
        actor=change.actor,
        from_status=change.from_status,
        to_status=change.to_status,
    )
    return locked


@transaction.atomic
def complaint_resume(
    *, actor, complaint: Complaint, note: str = "", version: int | None = None
) -> Complaint:
    """Resume from hold to the previous status; paused clocks restart and their
    due times move by the business time spent on hold."""
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.WORKERS)
    require_status(locked, {S.ON_HOLD}, _("resume"))
    now = clock.now()
    change = transition(
        locked,
        locked.status_before_hold or S.RECEIVED,
        actor=actor,
        note=note,
        resuming=True,
    )
    locked.status_before_hold = ""
    locked.on_hold_since = None
    sla.sla_resume(complaint=locked, at=now, actor=actor)
    save(
        locked,
        ["status", "status_before_hold", "on_hold_since", *_due_fields()],
        original=complaint,
    )
    followups.on_status_changed(
        complaint=locked,
        actor=change.actor,
        from_status=change.from_status,
        to_status=change.to_status,
    )
    return locked


__all__ = [
    "complaint_hold",
    "complaint_resume",
]
