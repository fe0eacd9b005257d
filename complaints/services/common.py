"""Building blocks shared by the lifecycle services: the transition table,
locking with the optimistic version check, saving, status changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import AgentLoad, Complaint, ComplaintEvent
from complaints.services.events import event_record
from config.errors import IllegalTransition, VersionConflict

S = Complaint.Status

# Allowed status changes, as data (house style rule 2). ``on_hold`` resumes to
# the status it was put on hold from (checked against this table too).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.ANALYZING, S.ON_HOLD, S.REJECTED}),
    S.ANALYZING: frozenset({S.HANDLING, S.ON_HOLD, S.REJECTED}),
    S.HANDLING: frozenset({S.REPLIED, S.ON_HOLD}),
    S.REPLIED: frozenset({S.RESOLVED, S.HANDLING, S.ON_HOLD}),
    S.ON_HOLD: frozenset({S.RECEIVED, S.ANALYZING, S.HANDLING, S.REPLIED, S.REOPENED}),
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.CLOSED: frozenset({S.REOPENED}),
    S.REOPENED: frozenset({S.ANALYZING, S.HANDLING, S.ON_HOLD}),
    S.REJECTED: frozenset(),
}
# Statuses in which the complaint is still being worked.
OPEN_STATUSES = frozenset(
    {S.RECEIVED, S.ANALYZING, S.HANDLING, S.ON_HOLD, S.REPLIED, S.REOPENED}
)
FINAL_STATUSES = frozenset({S.CLOSED, S.REJECTED})


# --- each staff member's open count (``complaints.services.load``) -----------------


def counted(key) -> int | None:
    """The assignee whose count ``key`` = (assignee id, status) adds to."""
    if key is None:
        return None
    assignee_id, status = key
    return assignee_id if assignee_id is not None and status in OPEN_STATUSES else None


def load_move(before, after) -> None:
    """Move the counts from ``before`` to ``after`` ((assignee id, status) or None)."""
    old, new = counted(before), counted(after)
    if old == new:
        return
    rows = [(pk, delta) for pk, delta in ((old, -1), (new, 1)) if pk is not None]
    table = AgentLoad._meta.db_table
    values = ", ".join("(%s, %s)" for _ in rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, open_count) VALUES {values} "
            f"ON CONFLICT (user_id) DO UPDATE SET "
            f"open_count = {table}.open_count + excluded.open_count",
            [x for row in rows for x in row],
        )


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def lock(complaint: Complaint, version: int | None = None) -> Complaint:
    """Re-read ``complaint`` under a row lock and check the caller's version."""
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if version is not None and locked.version != version:
        raise VersionConflict(
            _(
                "The complaint was changed by someone else (version %(current)s, "
                "yours %(yours)s). Reload and try again."
            )
            % {"current": locked.version, "yours": version}
        )
    return locked


def require_status(complaint: Complaint, allowed, action: str) -> None:
    if complaint.status not in allowed:
        raise IllegalTransition(
            _("Cannot %(action)s a complaint that is %(status)s.")
            % {"action": action, "status": complaint.get_status_display()}
        )


@dataclass(frozen=True)
class StatusChange:
    """What a ``transition`` changed; the service hands it to
    ``followups.on_status_changed`` once the complaint is saved."""

    actor: Any
    from_status: str
    to_status: str


def transition(
    complaint: Complaint,
    to_status: str,
    *,
    actor,
    note: str = "",
    data: dict | None = None,
    customer_visible: bool = True,
    resuming: bool = False,
) -> StatusChange:
    """Change the status in memory (caller saves) and write the event; returns
    the change for the caller's follow-ups (nothing runs them implicitly).

    Leaving ``on_hold`` is only possible by resuming (``resuming=True``).
    """
    from_status = complaint.status
    if not can_transition(from_status, to_status) or (
        from_status == S.ON_HOLD and not resuming
    ):
        raise IllegalTransition(
            _("A complaint cannot go from %(from)s to %(to)s.")
            % {
                "from": complaint.get_status_display(),
                "to": S(to_status).label,
            }
        )
    complaint.status = to_status
    event_record(
        complaint=complaint,
        kind=ComplaintEvent.Kind.STATUS_CHANGED,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        customer_visible=customer_visible,
        note=note,
        data=data,
    )
    return StatusChange(actor=actor, from_status=from_status, to_status=to_status)


def save_many(complaints, fields) -> None:
    """``save`` of several complaints whose assignee and status did not change
    (the SLA sweep's escalations): the version bumps and ``fields`` in one
    bulk UPDATE, no open-count move to make."""
    complaints = list(complaints)
    if not complaints:
        return
    now = timezone.now()
    for complaint in complaints:
        complaint.version += 1
        complaint.updated_at = now
    Complaint.objects.bulk_update(
        complaints, sorted({*fields, "version", "updated_at"}), batch_size=500
    )


def save(complaint: Complaint, fields, *, original: Complaint | None = None) -> None:
    """Save ``fields`` plus the version bump and refresh the caller's instance.

    Only saves: cross-app follow-ups are the calling service's to make.
    """
    complaint.version += 1
    complaint.save(update_fields=sorted({*fields, "version", "updated_at"}))
    # The agents' open counts, in this transaction (as loaded → as saved).
    after = (complaint.assignee_id, complaint.status)
    if hasattr(complaint, "_load_key"):
        load_move(complaint._load_key, after)
    complaint._load_key = after
    if original is not None and original is not complaint:
        for f in Complaint._meta.concrete_fields:
            setattr(original, f.attname, getattr(complaint, f.attname))
