"""Who works a complaint: assignment (with the assignee's notification) and
escalation to the team supervisor or department manager.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from complaints.models import Complaint, ComplaintEvent
from complaints.selectors import complaint_worker_list
from complaints.services import clock, permissions
from complaints.services.common import OPEN_STATUSES, S, lock, require_status, save
from complaints.services.events import event_record
from config.errors import InvalidInput
from crm import scoping
from crm.notifications import notify, notify_many
from crm.roles import Role

EK = ComplaintEvent.Kind
# Whom an agent or handler hands a complaint on to.
HAND_OVER_TO = frozenset({Role.COMPLAINT_HANDLER, Role.SUPERVISOR})


def _notify_assignee(complaint: Complaint, assignee, *, actor) -> None:
    if assignee is None or (actor is not None and assignee.pk == actor.pk):
        return
    notify(
        recipient=assignee,
        kind="complaint_assigned",
        title=_("Complaint %(ref)s assigned to you") % {"ref": complaint.reference},
        body=complaint.subject,
        link=complaint.get_absolute_url(),
        key=f"complaint:{complaint.pk}:assigned:{assignee.pk}:{complaint.version}",
    )


def _assign(locked: Complaint, *, assignee, team, actor, note: str = "") -> list[str]:
    previous = locked.assignee_id
    locked.assignee = assignee
    fields = ["assignee"]
    if team is not None and team.pk != locked.team_id:
        locked.team = team
        locked.department_id = team.department_id
        fields += ["team", "department"]
    event_record(
        complaint=locked,
        kind=EK.ASSIGNED,
        actor=actor,
        note=note,
        data={
            "from": previous,
            "assignee": assignee.pk if assignee else None,
            "team": locked.team_id,
        },
    )
    return fields


@transaction.atomic
def complaint_assign(
    *,
    actor,
    complaint: Complaint,
    assignee=None,
    team=None,
    note: str = "",
    version: int | None = None,
) -> Complaint:
    """Assign to a staff member (and their team) or to a team only.

    Supervisors, managers and admins assign within their scope; an agent or
    handler may take an unassigned complaint of their team for themselves, and
    hand one they own (or an unassigned one of their team) to a complaint
    handler or supervisor of their department. The assignee must be an active
    staff member who works complaints and whom the actor may assign to
    (``complaints.selectors.complaint_worker_list``, the same list the forms
    offer), and a named team one the actor may see: otherwise ``InvalidInput``
    names the field and nothing is written. The new assignee is notified.
    """
    locked = lock(complaint, version)
    require_status(locked, OPEN_STATUSES | {S.RESOLVED}, _("assign"))
    self_take = (
        actor is not None
        and assignee is not None
        and assignee.pk == actor.pk
        and locked.assignee_id is None
        and permissions.is_front_line(actor)
    )
    hand_over = (
        actor is not None
        and assignee is not None
        and not self_take
        and locked.assignee_id in (None, actor.pk)
        and permissions.is_front_line(actor)
        and bool(permissions._roles(assignee) & HAND_OVER_TO)
    )
    if self_take or hand_over:
        permissions.require(actor, locked, permissions.WORKERS)
    else:
        permissions.require(actor, locked, permissions.LEADS)
    if assignee is None and team is None:
        raise InvalidInput(_("Choose an assignee or a team."), field="assignee")
    if assignee is not None:
        if not assignee.is_active:
            raise InvalidInput(_("This staff member is inactive."), field="assignee")
        roles = permissions._roles(assignee)
        if not roles & permissions.WORKERS:
            raise InvalidInput(
                _("This staff member cannot work complaints."), field="assignee"
            )
        if (
            actor is not None
            and not complaint_worker_list(user=actor).filter(pk=assignee.pk).exists()
        ):
            raise InvalidInput(
                _("You may not assign complaints to this staff member."),
                field="assignee",
            )
    if team is not None and actor is not None and not scoping.can_view(actor, team):
        raise InvalidInput(
            _("You may not assign complaints to this team."), field="team"
        )
    if assignee is not None:
        team = team or assignee.team
    if locked.assignee_id == (assignee.pk if assignee else None) and (
        team is None or team.pk == locked.team_id
    ):
        return locked  # already so: nothing to do
    fields = _assign(locked, assignee=assignee, team=team, actor=actor, note=note)
    save(locked, fields, original=complaint)
    _notify_assignee(locked, assignee, actor=actor)
    return locked


def escalation_recipient(locked: Complaint):
    """Who an escalation goes to by default: the team's supervisor, the
    department's manager when the supervisor is the assignee (or there is none)."""
    team = locked.team
    to_user = team.supervisor if team and team.supervisor_id else None
    if to_user is None or (locked.assignee_id and to_user.pk == locked.assignee_id):
        dept = locked.department
        to_user = dept.manager if dept and dept.manager_id else to_user
    return to_user


def escalate_locked_many(items: list[tuple[Complaint, str, str]], *, actor) -> None:
    """``escalate_locked`` of many (locked complaint, reason, notification key)
    at once, in order — the SLA sweep's batch: the events in one INSERT, the
    notifications through ``notify_many``. The caller saves each complaint's
    ``escalation_level`` and ``escalated_at``."""
    events, notices = [], []
    for locked, reason, key in items:
        to_user = escalation_recipient(locked)
        locked.escalation_level += 1
        locked.escalated_at = clock.now()
        events.append(
            ComplaintEvent(
                complaint=locked,
                kind=EK.ESCALATED,
                actor=actor,
                note=reason,
                data={
                    "level": locked.escalation_level,
                    "to": to_user.pk if to_user else None,
                },
                created_at=locked.escalated_at,
            )
        )
        if to_user is not None:
            notices.append(
                {
                    "recipient": to_user,
                    "kind": "complaint_escalated",
                    "title": _("Complaint %(ref)s escalated to you")
                    % {"ref": locked.reference},
                    "body": reason,
                    "link": locked.get_absolute_url(),
                    "key": key,
                }
            )
    ComplaintEvent.objects.bulk_create(events)
    notify_many(notices)


def escalate_locked(locked: Complaint, *, actor, reason: str, to_user=None, key=None):
    """Escalate an already locked complaint."""
    if to_user is None:
        to_user = escalation_recipient(locked)
    locked.escalation_level += 1
    locked.escalated_at = clock.now()
    event_record(
        complaint=locked,
        kind=EK.ESCALATED,
        actor=actor,
        note=reason,
        data={
            "level": locked.escalation_level,
            "to": to_user.pk if to_user else None,
        },
    )
    if to_user is not None:
        notify(
            recipient=to_user,
            kind="complaint_escalated",
            title=_("Complaint %(ref)s escalated to you") % {"ref": locked.reference},
            body=reason,
            link=locked.get_absolute_url(),
            key=key or f"complaint:{locked.pk}:escalated:{locked.escalation_level}",
        )
    return ["escalation_level", "escalated_at"]


@transaction.atomic
def complaint_escalate(
    *,
    actor,
    complaint: Complaint,
    reason: str = "",
    to_user=None,
    version: int | None = None,
) -> Complaint:
    """Escalate to ``to_user`` (a colleague of the actor's department or scope)
    or the team supervisor (the department manager when the supervisor is the
    assignee); notifies them."""
    scoping.require_colleague(actor, to_user, field="to_user")
    locked = lock(complaint, version)
    permissions.require(actor, locked, permissions.LEADS)
    require_status(locked, OPEN_STATUSES, _("escalate"))
    fields = escalate_locked(locked, actor=actor, reason=reason, to_user=to_user)
    save(locked, fields, original=complaint)
    return locked


__all__ = [
    "complaint_assign",
    "complaint_escalate",
]
