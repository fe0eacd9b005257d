"""Ending a complaint's cycle: close, reopen, reject, archive."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from complaints import selectors
from complaints.models import Category, Complaint, ComplaintEvent, SlaTarget
from complaints.services import clock, followups, permissions, sla
from complaints.services.common import (
    FINAL_STATUSES,
    S,
    lock,
    require_status,
    save,
    transition,
)
from complaints.services.events import event_record
from config.errors import InvalidInput
from crm.roles import Role

EK = ComplaintEvent.Kind
TK = SlaTarget.Kind


# Closing a complaint of these (top-level) categories attributed to these cause
# types needs its root cause: the improvement step (改进) starts from it.
ROOT_CAUSE_CATEGORIES = frozenset({"service_quality", "process"})
ROOT_CAUSE_CAUSE_TYPES = frozenset(
    {Complaint.CauseType.STAFF_ERROR, Complaint.CauseType.PROCESS}
)


def _require_root_cause(complaint: Complaint) -> None:
    if complaint.root_cause.strip() or (
        complaint.cause_type not in ROOT_CAUSE_CAUSE_TYPES
    ):
        return
    # ids, not instances: the category's code in one small query only here
    code, name = Category.objects.filter(pk=complaint.category_id).values_list(
        "code", "name"
    ).first() or ("", "")
    if code in ROOT_CAUSE_CATEGORIES:
        raise InvalidInput(
            _(
                "Root cause (root_cause) is required to close a %(category)s "
                "complaint attributed to %(cause)s."
            )
            % {"category": name, "cause": complaint.get_cause_type_display()},
            field="root_cause",
        )


@transaction.atomic
def complaint_close(
    *,
    actor,
    complaint: Complaint,
    note: str = "",
    root_cause: str = "",
    version: int | None = None,
) -> Complaint:
    """resolved → closed. Clocks still running are cancelled.

    ``root_cause`` (改进) is stored when given; it is required (InvalidInput on
    ``root_cause``, nothing changed) for a complaint of a category in
    ``ROOT_CAUSE_CATEGORIES`` whose cause type is in ``ROOT_CAUSE_CAUSE_TYPES``.
    """
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.RESOLVERS)
    root_cause = (root_cause or "").strip()
    fields = ["status", "closed_at"]
    if root_cause and root_cause != locked.root_cause:
        locked.root_cause = root_cause
        fields.append("root_cause")
    _require_root_cause(locked)
    now = clock.now()
    change = transition(locked, S.CLOSED, actor=actor, note=note)
    locked.closed_at = now
    sla.sla_cancel_open(complaint=locked, at=now)
    save(locked, fields, original=complaint)
    followups.on_status_changed(
        complaint=locked,
        actor=change.actor,
        from_status=change.from_status,
        to_status=change.to_status,
    )
    return locked


@transaction.atomic
def complaint_auto_close(*, complaint: Complaint, now: datetime | None = None) -> bool:
    """Close a resolved complaint the customer neither confirmed nor disputed
    within ``KEFU_AUTO_CLOSE_DAYS`` (the system acts: ``actor=None``).

    Conditional: under the row lock it must still be resolved, unconfirmed and
    resolved long enough ago; otherwise nothing happens (False). Exactly once per
    resolution cycle: the ``auto_closed`` event carries a unique key.
    """
    now = now or clock.now()
    days = settings.KEFU_AUTO_CLOSE_DAYS
    locked = lock(complaint)
    if (
        locked.status != S.RESOLVED
        or locked.confirmed_at is not None
        or locked.resolved_at is None
        or locked.resolved_at > now - timedelta(days=days)
    ):
        return False
    cycle = locked.reopened_count + 1
    note = _(
        "Closed automatically: the customer neither confirmed nor disputed the "
        "resolution within %(days)s days."
    ) % {"days": days}
    change = transition(locked, S.CLOSED, actor=None, note=note)
    event_record(
        complaint=locked,
        kind=EK.AUTO_CLOSED,
        from_status=S.RESOLVED,
        to_status=S.CLOSED,
        note=note,
        data={"cycle": cycle, "days": days},
        dedupe_key=f"auto_closed:{locked.pk}:{cycle}",
    )
    locked.closed_at = now
    sla.sla_cancel_open(complaint=locked, at=now)
    save(locked, ["status", "closed_at"], original=complaint)
    followups.on_status_changed(
        complaint=locked,
        actor=None,
        from_status=change.from_status,
        to_status=change.to_status,
    )
    return True


def complaints_auto_close(*, now: datetime | None = None) -> int:
    """Beat's job: auto-close every complaint due (one transaction each, so one
    failure does not hold back the rest); returns how many were closed."""
    now = now or clock.now()
    before = now - timedelta(days=settings.KEFU_AUTO_CLOSE_DAYS)
    closed = 0
    for complaint in selectors.complaints_to_auto_close(resolved_before=before):
        closed += complaint_auto_close(complaint=complaint, now=now)
    return closed


@transaction.atomic
def complaint_reopen(
    *, actor, complaint: Complaint, reason: str, version: int | None = None
) -> Complaint:
    """resolved/closed → reopened (the customer is not satisfied).

    Supervisors, managers, admins, or the system (``actor=None``). The first
    resolution (``first_resolved_at``, ``resolution_minutes``) is kept; the
    latest resolution fields are cleared; a new resolution clock (next cycle)
    starts now; the reopen count rises.
    """
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.LEADS)
    if not (reason or "").strip():
        raise InvalidInput(_("Give the reason for reopening."), field="reason")
    now = clock.now()
    from_status = locked.status
    change = transition(locked, S.REOPENED, actor=actor, note=reason)
    locked.reopened_count += 1
    locked.resolved_at = None
    locked.closed_at = None
    locked.confirmed_at = None
    locked.confirmation_due_at = None
    sla.sla_cancel_open(complaint=locked, at=now)
    event_record(
        complaint=locked,
        kind=EK.REOPENED,
        actor=actor,
        from_status=from_status,
        to_status=S.REOPENED,
        customer_visible=True,
        note=reason,
        data={"cycle": locked.reopened_count + 1},
    )
    sla.sla_start(
        complaint=locked,
        kind=TK.RESOLUTION,
        started_at=now,
        actor=actor,
        cycle=locked.reopened_count + 1,
    )
    save(
        locked,
        [
            "status",
            "reopened_count",
            "resolved_at",
            "closed_at",
            "confirmed_at",
            "confirmation_due_at",
            "resolution_due_at",
        ],
        original=complaint,
    )
    followups.on_status_changed(
        complaint=locked,
        actor=change.actor,
        from_status=change.from_status,
        to_status=change.to_status,
    )
    return locked


@transaction.atomic
def complaint_reject(
    *, actor, complaint: Complaint, reason: str, version: int | None = None
) -> Complaint:
    """received/analyzing → rejected (duplicate, spam, not a complaint)."""
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.LEADS | {Role.COMPLAINT_HANDLER})
    if not (reason or "").strip():
        raise InvalidInput(_("A rejection needs a reason."), field="reason")
    now = clock.now()
    change = transition(locked, S.REJECTED, actor=actor, note=reason)
    locked.rejection_reason = reason.strip()
    locked.closed_at = now
    sla.sla_cancel_open(complaint=locked, at=now)
    save(locked, ["status", "rejection_reason", "closed_at"], original=complaint)
    followups.on_status_changed(
        complaint=locked,
        actor=change.actor,
        from_status=change.from_status,
        to_status=change.to_status,
    )
    return locked


@transaction.atomic
def complaint_archive(*, actor, complaint: Complaint) -> Complaint:
    """Archive a closed or rejected complaint (staff never delete complaints)."""
    locked = lock(complaint)
    permissions.require(actor, locked, permissions.MANAGERS)
    require_status(locked, FINAL_STATUSES, _("archive"))
    if locked.is_archived:
        return locked
    locked.is_archived = True
    save(locked, ["is_archived"], original=complaint)
    event_record(
        complaint=locked,
        kind=ComplaintEvent.Kind.ARCHIVED,
        actor=actor,
        from_status=locked.status,
        to_status=locked.status,
    )
    return locked


__all__ = [
    "complaint_archive",
    "complaint_auto_close",
    "complaint_close",
    "complaint_reject",
    "complaint_reopen",
]
