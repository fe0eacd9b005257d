"""Changes that move SLA due times: a severity change (the policy is picked
again) and a manager's override of one clock's due time.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import Complaint, ComplaintEvent, SlaTarget
from complaints.services import permissions, sla
from complaints.services.common import FINAL_STATUSES, lock, save
from complaints.services.events import event_record
from config.errors import Conflict, InvalidInput

EK = ComplaintEvent.Kind


def _due_fields() -> list[str]:
    return [due for _m, due, _met in sla.TARGET_FIELDS.values()]


@transaction.atomic
def complaint_override_due(
    *,
    actor,
    complaint: Complaint,
    kind: str,
    due_at: datetime,
    reason: str,
    version: int | None = None,
) -> Complaint:
    """A manager sets a clock's due time by hand; it is no longer recomputed."""
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.MANAGERS)
    if kind not in SlaTarget.Kind.values:
        raise InvalidInput(_("Unknown SLA target."), field="kind")
    if not (reason or "").strip():
        raise InvalidInput(_("Give the reason for the new due time."), field="reason")
    if due_at is None or timezone.is_naive(due_at):
        raise InvalidInput(_("The time must include a time zone."), field="due_at")
    target = sla.open_target(locked, kind)
    if target is None:
        raise Conflict(_("This SLA clock is not running."), code="sla_not_running")
    if due_at <= target.started_at:
        raise InvalidInput(
            _("The due time must be after the clock started."), field="due_at"
        )
    sla.sla_override_due(
        complaint=locked,
        kind=kind,
        due_at=due_at,
        actor=actor,
        reason=reason,
        target=target,
    )
    save(locked, _due_fields(), original=complaint)
    return locked


def _repick_policy(locked: Complaint, *, actor, reason: str) -> list[str]:
    # the category's id is enough to match policies (no read of the category)
    policy = sla.policy_for(
        channel=locked.channel, severity=locked.severity, category=locked.category_id
    )
    locked.sla_policy = policy
    sla.sla_recompute(complaint=locked, actor=actor, reason=reason)
    return ["sla_policy", *_due_fields()]


def _change_severity(locked: Complaint, *, severity: str, actor, reason: str):
    if severity not in Complaint.Severity.values:
        raise InvalidInput(_("Unknown severity."), field="severity")
    previous = locked.severity
    locked.severity = severity
    event_record(
        complaint=locked,
        kind=EK.SEVERITY_CHANGED,
        actor=actor,
        note=reason,
        data={"from": previous, "to": severity},
    )
    return ["severity", *_repick_policy(locked, actor=actor, reason=reason)]


@transaction.atomic
def complaint_change_severity(
    *,
    actor,
    complaint: Complaint,
    severity: str,
    reason: str = "",
    version: int | None = None,
) -> Complaint:
    """Change the severity; the policy is picked again and running clocks that
    were not overridden get new due times."""
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.WORKERS)
    if locked.status in FINAL_STATUSES:
        raise Conflict(
            _("A closed or rejected complaint cannot change."),
            code="illegal_transition",
        )
    if severity == locked.severity:
        return locked
    fields = _change_severity(locked, severity=severity, actor=actor, reason=reason)
    save(locked, fields, original=complaint)
    return locked


__all__ = [
    "complaint_change_severity",
    "complaint_override_due",
]
